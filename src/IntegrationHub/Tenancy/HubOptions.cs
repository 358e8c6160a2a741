namespace IntegrationHub.Tenancy;

/// <summary>The hub's configuration (section "Hub"); see README "Configuration".</summary>
public sealed class HubOptions
{
    public const string Section = "Hub";

    /// <summary>Root for the embedded default's SQLite file, blob folder and key folder.</summary>
    public string DataDirectory { get; set; } = "data";
    /// <summary>Issuer of tokens and events; the address senders use.</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";
    /// <summary>The bus: InMemory (embedded default) or RabbitMq (ConnectionStrings:RabbitMq, an amqp:// URI).</summary>
    public string Transport { get; set; } = "InMemory";
    public RabbitMqOptions RabbitMq { get; set; } = new();
    public LedgerOptions Ledger { get; set; } = new();
    public BlobStoreOptions BlobStore { get; set; } = new();
    public OutboxOptions Outbox { get; set; } = new();
    public DeliveryOptions Delivery { get; set; } = new();
    public KeyOptions Keys { get; set; } = new();
    public IntakeLimits Limits { get; set; } = new();
    public Security.HubSecurityOptions Security { get; set; } = new();
    public List<TenantOptions> Tenants { get; set; } = [];
    public Dictionary<string, TargetOptions> Targets { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    public List<SenderClientOptions> Senders { get; set; } = [];
    /// <summary>Specialist procedures allowed to ask for evidence (see OnceOnly).</summary>
    public List<IntegrationHub.OnceOnly.EvidenceRequesterOptions> EvidenceRequesters { get; set; } = [];
}

public sealed class RabbitMqOptions
{
    /// <summary>
    /// Wait for the broker's confirm on every publish. RabbitMQ.Client 7.x (still 7.2.2) can hang a confirmed publish
    /// after a broker restart (rabbitmq-dotnet-client #1928, #1930); BusRecovery notices and has the hub restarted.
    /// </summary>
    public bool PublisherConfirmation { get; set; } = true;

    /// <summary>Replicated quorum queues for the hub's endpoints (classic durable queues when off).</summary>
    public bool QuorumQueues { get; set; } = true;

    /// <summary>How often the bus proves it can publish and consume (see BusRecovery).</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the bus may stay stuck, with the broker reachable, before the hub exits for a restart.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromSeconds(60);
}

public sealed class LedgerOptions
{
    /// <summary>Sqlite (embedded default, a file in the data directory) or Postgres (ConnectionStrings:Ledger).</summary>
    public string Provider { get; set; } = "Sqlite";
    /// <summary>Apply pending schema scripts at start-up; otherwise run "IntegrationHub.Host migrate" before.</summary>
    public bool MigrateOnStart { get; set; } = true;
}

public sealed class BlobStoreOptions
{
    /// <summary>FileSystem (embedded default, {DataDirectory}/blobs) or AzureBlob (section Hub:BlobStore:AzureBlob).</summary>
    public string Provider { get; set; } = "FileSystem";
}

/// <summary>The ledger is the outbox: work that sits too long in a non-final state is published again.</summary>
public sealed class OutboxOptions
{
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How long a submission or delivery may sit unfinished before it is published again.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Redelivery of handovers to targets that are down: exponential backoff, scheduled in the ledger.</summary>
public sealed class DeliveryOptions
{
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);
    /// <summary>After this long without success a delivery is failed and goes to the error queue.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(48);
    /// <summary>A call placed in a mailbox that is not acknowledged within this time is placed again (same message id: no duplicate).</summary>
    public TimeSpan AcknowledgeWithin { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan BackoffAfter(int attempts)
    {
        var exponent = Math.Min(Math.Max(attempts - 1, 0), 20);
        var delay = InitialBackoff * Math.Pow(2, exponent);
        if (delay > MaxBackoff) delay = MaxBackoff;
        // Jitter (up to +20 %) spreads a crowd of failed deliveries over time when the target returns.
        return delay * (1 + Random.Shared.NextDouble() * 0.2);
    }
}

public sealed class KeyOptions
{
    /// <summary>Folder of the key files; defaults to {DataDirectory}/keys.</summary>
    public string? Directory { get; set; }
    /// <summary>Protects private keys at rest. Required outside the embedded default (environment: Hub__Keys__MasterKey).</summary>
    public string? MasterKey { get; set; }
    /// <summary>RSA size of destination encryption keys; FIT-Connect requires 4096.</summary>
    public int DestinationKeyBits { get; set; } = 4096;
    /// <summary>After a destination key rotation, how long the previous key is still published and accepted.</summary>
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromDays(14);
}

public sealed class IntakeLimits
{
    public long MaxMetadataBytes { get; set; } = 512 * 1024;
    public long MaxDataBytes { get; set; } = 16 * 1024 * 1024;
    /// <summary>Per attachment, as uploaded (JWE, base64url: about 4/3 of the plaintext) and as decrypted.</summary>
    public long MaxAttachmentBytes { get; set; } = 192L * 1024 * 1024;
    public int MaxAttachments { get; set; } = 50;
    /// <summary>How long a created submission may stay unsubmitted; then it and its uploaded attachments are removed (Intake/Expiry).</summary>
    public TimeSpan IncompleteSubmissionLifetime { get; set; } = TimeSpan.FromHours(24);
    public long MaxXmlCharacters { get; set; } = 16 * 1024 * 1024;
    /// <summary>Deepest element nesting a submitted application may have (the contracts need about 6).</summary>
    public int MaxXmlDepth { get; set; } = 64;
    /// <summary>Longest text node or attribute value of a submitted application, in characters (no contract field needs more).</summary>
    public int MaxXmlValueCharacters { get; set; } = 256 * 1024;
    public int AccessTokenMinutes { get; set; } = 30;
    /// <summary>Largest procedure report (POST /api/v1/procedures/{target}/reports), its Bescheid inline as base64: a PDF of about 3 MB.</summary>
    public long MaxReportBytes { get; set; } = 4 * 1024 * 1024;
    /// <summary>Requests per sender client and token requests per remote address (Hub:Limits:RateLimit).</summary>
    public Intake.RateLimitOptions RateLimit { get; set; } = new();
}

/// <summary>A municipality: its ARS, its destinations (Zustellpunkte) and its routes.</summary>
public sealed class TenantOptions
{
    public string Ars { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public List<DestinationOptions> Destinations { get; set; } = [];
    public List<RouteOptions> Routes { get; set; } = [];
    /// <summary>The DMS / E-Akte (name in Hub:Targets) where cases are filed once the procedure has an Aktenzeichen; none if empty.</summary>
    public string? Dms { get; set; }
    /// <summary>The citizen postbox (name in Hub:Targets) that gets receipts, status and Bescheide; none if empty.</summary>
    public string? Postbox { get; set; }
    /// <summary>Where the DMS files what: per service and document type, the Aktenplan key.</summary>
    public List<AktenplanEntry> Aktenplan { get; set; } = [];
    /// <summary>How long this municipality lets deliveries wait and back off (beats the target's and Hub:Delivery).</summary>
    public RedeliveryOverrides? Redelivery { get; set; }
    /// <summary>Who provides which evidence type for this municipality (see OnceOnly).</summary>
    public IntegrationHub.OnceOnly.TenantEvidenceOptions Evidence { get; set; } = new();
    /// <summary>How long personal data of completed submissions is kept (beats Hub:Operations:Retention:SubmissionPayloads).</summary>
    public TimeSpan? PayloadRetention { get; set; }
}

/// <summary>One line of a municipality's Aktenplan mapping: documents of this kind of this service are filed under this key.</summary>
public sealed class AktenplanEntry
{
    /// <summary>The service's LeiKa key; empty matches every service.</summary>
    public string LeikaKey { get; set; } = string.Empty;
    /// <summary>DocumentKinds: Antrag, Bescheid, Nachforderung, …; empty matches every kind.</summary>
    public string DocumentType { get; set; } = string.Empty;
    /// <summary>The Aktenplan key (e.g. "50.22.01"), the DMS's filing location.</summary>
    public string Key { get; set; } = string.Empty;
    /// <summary>The title of the Akte to file under (e.g. "Wohngeld").</summary>
    public string AkteTitle { get; set; } = string.Empty;
}

public sealed class DestinationOptions
{
    public Guid Id { get; set; }
    public List<ServiceOptions> Services { get; set; } = [];
}

public sealed class ServiceOptions
{
    /// <summary>The 14-digit LeiKa key of the service.</summary>
    public string LeikaKey { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    /// <summary>The submission schema the service accepts (submissionSchema.schemaUri).</summary>
    public string SchemaUri { get; set; } = string.Empty;

    public string Identifier => $"urn:de:fim:leika:leistung:{LeikaKey}";
}

public sealed class RouteOptions
{
    public string LeikaKey { get; set; } = string.Empty;
    /// <summary>Names of entries in Hub:Targets.</summary>
    public List<string> Targets { get; set; } = [];
    /// <summary>Evidence types the hub checks the application against before the handover (once-only), e.g. MELDEDATEN.</summary>
    public List<string> Checks { get; set; } = [];
}

public sealed class TargetOptions
{
    /// <summary>The adapter that speaks to this target: Prosoz or Marius.</summary>
    public string Kind { get; set; } = string.Empty;
    public string BaseUrl { get; set; } = string.Empty;
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Shared secret of the HMAC with which the target authenticates its callbacks to the hub (from the environment, never in a file).</summary>
    public string? CallbackSecret { get; set; }
    /// <summary>The target's resilience pipeline; unset values come from the defaults of its kind (see TargetResilience).</summary>
    public ResilienceOverrides? Resilience { get; set; }
    /// <summary>Delayed redelivery to this target (beats Hub:Delivery; a municipality's own settings beat these).</summary>
    public RedeliveryOverrides? Redelivery { get; set; }
}

/// <summary>
/// Settings of a target's resilience pipeline (Hub:Targets:{name}:Resilience); each unset value is the default of the
/// target's kind. Timeouts of zero or less switch that timeout off.
/// </summary>
public sealed class ResilienceOverrides
{
    /// <summary>Calls in flight to the target at once, per hub process.</summary>
    public int? MaxConcurrency { get; set; }
    /// <summary>Calls that may wait for a free slot; beyond that a call is refused and redelivered later.</summary>
    public int? QueueLimit { get; set; }
    /// <summary>One call including its retries and their delays (steps without uploads).</summary>
    public TimeSpan? TotalTimeout { get; set; }
    /// <summary>One attempt (steps without uploads).</summary>
    public TimeSpan? AttemptTimeout { get; set; }
    /// <summary>One attempt of a step that uploads documents (handover, filing, Bescheid): only a backstop, see TargetResilience.</summary>
    public TimeSpan? UploadTimeout { get; set; }
    public int? MaxRetries { get; set; }
    /// <summary>First retry delay; doubles per retry, with jitter.</summary>
    public TimeSpan? BaseDelay { get; set; }
    /// <summary>Longest retry delay inside the pipeline; a longer Retry-After is left to delayed redelivery.</summary>
    public TimeSpan? MaxDelay { get; set; }
    public double? FailureRatio { get; set; }
    public TimeSpan? SamplingDuration { get; set; }
    public int? MinimumThroughput { get; set; }
    public TimeSpan? BreakDuration { get; set; }
}

/// <summary>Per-target or per-municipality redelivery settings; each unset value falls through to the next level.</summary>
public sealed class RedeliveryOverrides
{
    public TimeSpan? InitialBackoff { get; set; }
    public TimeSpan? MaxBackoff { get; set; }
    public TimeSpan? GiveUpAfter { get; set; }
}

/// <summary>A registered sender (EfA online service) and the destinations it may submit to.</summary>
public sealed class SenderClientOptions
{
    public string ClientId { get; set; } = string.Empty;
    /// <summary>SHA-256 of the client secret, hex; the secret itself is never stored.</summary>
    public string SecretSha256 { get; set; } = string.Empty;
    public List<Guid> Destinations { get; set; } = [];
}
