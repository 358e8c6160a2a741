using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;

namespace IntegrationHub.OnceOnly;

/// <summary>A municipality's evidence providers (Hub:Tenants[i]:Evidence).</summary>
public sealed class TenantEvidenceOptions
{
    public const decimal DefaultIncomeTolerancePercent = 5m;

    public List<EvidenceProviderOptions> Providers { get; set; } = [];
    /// <summary>
    /// How far (in percent of the registered monthly amount) the income an application states may differ from the register
    /// before the EINKOMMEN check reports a discrepancy (incomes vary from month to month). Default 5.
    /// </summary>
    public decimal IncomeTolerancePercent { get; set; } = DefaultIncomeTolerancePercent;
}

/// <summary>Who provides one evidence type for a municipality, and on which legal bases it may be asked.</summary>
public sealed class EvidenceProviderOptions
{
    /// <summary>One of <see cref="EvidenceTypes"/>.</summary>
    public string Type { get; set; } = string.Empty;
    /// <summary>The provider: a name in Hub:Targets of Kind <c>EvidenceProvider</c>.</summary>
    public string Target { get; set; } = string.Empty;
    /// <summary>The legal bases that justify a lookup of this type without the citizen's consent (e.g. "§ 23 Abs. 3 WoGG").</summary>
    public List<string> LegalBases { get; set; } = [];
    /// <summary>How long an answer may be reused for the same requester, person and type; none (the default): never cached.</summary>
    public TimeSpan? CacheTtl { get; set; }
}

/// <summary>A specialist procedure allowed to ask for evidence (Hub:EvidenceRequesters[]).</summary>
public sealed class EvidenceRequesterOptions
{
    public string ClientId { get; set; } = string.Empty;
    /// <summary>SHA-256 of the client secret, hex; the secret itself is never stored.</summary>
    public string SecretSha256 { get; set; } = string.Empty;
    /// <summary>The municipality the procedure works for; it gets evidence only for cases there.</summary>
    public string Ars { get; set; } = string.Empty;
    /// <summary>The requesting authority as the access protocol names it (e.g. "Sozialamt Offenbach").</summary>
    public string Authority { get; set; } = string.Empty;
    /// <summary>The procedure as the access protocol names it (e.g. "Prosoz SGB XII").</summary>
    public string Procedure { get; set; } = string.Empty;
    /// <summary>The evidence types the procedure's role allows.</summary>
    public List<string> EvidenceTypes { get; set; } = [];
    /// <summary>
    /// Per evidence type, the legal bases this procedure may invoke (e.g. <c>"LEISTUNGSBEZUG": ["§ 118 Abs. 1 SGB XII"]</c>); a
    /// basis counts only if the municipality's provider lists it too. None for a type: the procedure needs the citizen's consent.
    /// </summary>
    public Dictionary<string, List<string>> LegalBases { get; set; } = new(StringComparer.Ordinal);
    /// <summary>
    /// Where the hub may post asynchronous results: origins (<c>https://prosoz.offenbach.example</c>, scheme, host and port).
    /// None (the default): the requester asks synchronously only. http is accepted only for a loopback host and only while
    /// Hub:OnceOnly:AllowHttpLoopbackCallbacks is on (development and tests).
    /// </summary>
    public List<string> CallbackOrigins { get; set; } = [];
    /// <summary>
    /// The HMAC key of the callbacks (headers as the procedures' callbacks), a secret of its own shared with the requester;
    /// from configuration or a secret store, never derived from the client secret. Required with CallbackOrigins.
    /// </summary>
    public string? CallbackSecret { get; set; }
}

/// <summary>Settings of the requester API (Hub:OnceOnly).</summary>
public sealed class OnceOnlyOptions
{
    public const string Section = "Hub:OnceOnly";
    /// <summary>How long a synchronous request waits for the provider before it is answered with evidence-timeout.</summary>
    public TimeSpan SyncTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>How often the worker looks for asynchronous requests that are due (a new request is taken up at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>First wait after a provider outage or a failed callback; doubles per attempt, with jitter, up to MaxBackoff.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>After this long an asynchronous request stops retrying: the requester hears the outage, or the request is Failed.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(24);
    /// <summary>One POST of a result to the requester's callback URL.</summary>
    public TimeSpan CallbackTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Development and tests only: a requester's CallbackOrigins may name an http origin on a loopback host. Off by default (https only).</summary>
    public bool AllowHttpLoopbackCallbacks { get; set; }

    public TimeSpan BackoffAfter(int attempts)
    {
        var delay = InitialBackoff * Math.Pow(2, Math.Min(Math.Max(attempts - 1, 0), 20));
        if (delay > MaxBackoff) delay = MaxBackoff;
        // Jitter (up to +20 %) spreads the requests waiting for one provider when it returns.
        return delay * (1 + Random.Shared.NextDouble() * 0.2);
    }
}

/// <summary>Checks the evidence configuration at start-up, so a broken one never takes traffic.</summary>
public sealed class EvidenceConfigurationValidation(IOptions<OnceOnlyOptions> onceOnly) : IValidateOptions<HubOptions>
{
    public const string ProviderKind = "EvidenceProvider";
    /// <summary>Shortest callback secret accepted (characters): an HMAC key worth the name.</summary>
    public const int MinCallbackSecretLength = 32;

    public ValidateOptionsResult Validate(string? name, HubOptions options)
    {
        var errors = Validate(options, onceOnly.Value.AllowHttpLoopbackCallbacks).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("The evidence configuration is invalid:\n- " + string.Join("\n- ", errors));
    }

    public static IEnumerable<string> Validate(HubOptions hub, bool allowHttpLoopbackCallbacks = false)
    {
        var known = string.Join(", ", EvidenceTypes.All);
        foreach (var tenant in hub.Tenants)
        {
            var types = new HashSet<string>(StringComparer.Ordinal);
            if (tenant.Evidence.IncomeTolerancePercent is < 0 or > 100)
                yield return $"Tenant {tenant.Ars}: Evidence:IncomeTolerancePercent must be between 0 and 100.";
            foreach (var provider in tenant.Evidence.Providers)
            {
                if (!EvidenceTypes.All.Contains(provider.Type))
                    yield return $"Tenant {tenant.Ars}: evidence provider for unknown evidence type '{provider.Type}' (known: {known}).";
                else if (!types.Add(provider.Type))
                    yield return $"Tenant {tenant.Ars}: evidence type {provider.Type} has more than one provider.";
                if (!hub.Targets.TryGetValue(provider.Target, out var target))
                    yield return $"Tenant {tenant.Ars}: the provider of {provider.Type} names target '{provider.Target}', which is missing in Hub:Targets.";
                else if (!string.Equals(target.Kind, ProviderKind, StringComparison.OrdinalIgnoreCase))
                    yield return $"Tenant {tenant.Ars}: target '{provider.Target}' (provider of {provider.Type}) has Kind '{target.Kind}', not {ProviderKind}.";
                if (provider.CacheTtl is { } ttl && ttl <= TimeSpan.Zero)
                    yield return $"Tenant {tenant.Ars}: CacheTtl of {provider.Type} must be positive or unset (unset: no caching).";
                if (provider.LegalBases.Any(string.IsNullOrWhiteSpace))
                    yield return $"Tenant {tenant.Ars}: a legal basis of {provider.Type} is empty.";
            }
        }

        var municipalities = hub.Tenants.Select(t => t.Ars).ToHashSet(StringComparer.Ordinal);
        var clients = new HashSet<string>(StringComparer.Ordinal);
        foreach (var requester in hub.EvidenceRequesters)
        {
            var who = $"Evidence requester '{requester.ClientId}'";
            if (string.IsNullOrWhiteSpace(requester.ClientId))
                yield return "An evidence requester has no ClientId.";
            else if (!clients.Add(requester.ClientId))
                yield return $"{who} is configured twice.";
            if (hub.Senders.Any(s => s.ClientId == requester.ClientId))
                yield return $"{who} is also a sender client; use distinct client ids.";
            if (requester.SecretSha256.Length != 64 || !requester.SecretSha256.All(char.IsAsciiHexDigit))
                yield return $"{who}: SecretSha256 must be 64 hex digits (the SHA-256 of the secret).";
            if (!municipalities.Contains(requester.Ars))
                yield return $"{who}: ARS '{requester.Ars}' is not a configured tenant.";
            if (string.IsNullOrWhiteSpace(requester.Authority) || string.IsNullOrWhiteSpace(requester.Procedure))
                yield return $"{who}: Authority and Procedure are required (the access protocol names them).";
            if (requester.EvidenceTypes.Count == 0)
                yield return $"{who}: no evidence types; its role allows none.";
            foreach (var type in requester.EvidenceTypes.Where(t => !EvidenceTypes.All.Contains(t)))
                yield return $"{who}: unknown evidence type '{type}' (known: {known}).";
            foreach (var (type, bases) in requester.LegalBases)
            {
                if (!requester.EvidenceTypes.Contains(type))
                    yield return $"{who}: legal bases for {type}, which its role does not allow.";
                if (bases.Count == 0 || bases.Any(string.IsNullOrWhiteSpace))
                    yield return $"{who}: a legal basis of {type} is empty.";
            }
            foreach (var origin in requester.CallbackOrigins)
                if (EvidenceCallbacks.OriginProblem(origin, allowHttpLoopbackCallbacks) is { } problem)
                    yield return $"{who}: callback origin '{origin}' {problem}";
            if (requester.CallbackOrigins.Count > 0 && (requester.CallbackSecret?.Length ?? 0) < MinCallbackSecretLength)
                yield return $"{who}: CallbackSecret (at least {MinCallbackSecretLength} characters, its own secret) is required with CallbackOrigins.";
        }
    }
}
