namespace IntegrationHub.Tenancy.Onboarding;

public enum MunicipalityState { Active, Disabled }

/// <summary>
/// A municipality's state in the ledger: its active file version (0 for one from Hub:Tenants, which only ever gets a
/// row when an operator disables it) and whether it takes intake.
/// </summary>
public sealed class MunicipalityRecord
{
    /// <summary>Amtlicher Regionalschlüssel, 12 digits.</summary>
    public string Ars { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public MunicipalityState State { get; set; }
    /// <summary>The version of <see cref="MunicipalityVersion"/> in force; 0 when the municipality comes from the settings.</summary>
    public int ActiveVersion { get; set; }
    /// <summary>Why an operator disabled it (shown in the problem new submissions get).</summary>
    public string? DisabledReason { get; set; }
    public string UpdatedBy { get; set; } = string.Empty;
    /// <summary>Concurrency token: two operators applying at once do not both win.</summary>
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One applied version of a municipality file, kept whole so any version can be shown, compared or rolled back to.</summary>
public sealed class MunicipalityVersion
{
    public long Id { get; set; }
    public string Ars { get; set; } = string.Empty;
    /// <summary>1, 2, …: per municipality, a rollback adds a new version with an old content.</summary>
    public int Version { get; set; }
    /// <summary>The file as applied (YAML).</summary>
    public string Content { get; set; } = string.Empty;
    /// <summary>SHA-256 of <see cref="Content"/>, hex: what the provider's git holds can be matched against it.</summary>
    public string ContentSha256 { get; set; } = string.Empty;
    /// <summary>"apply" or "rollback".</summary>
    public string Action { get; set; } = string.Empty;
    public string AppliedBy { get; set; } = string.Empty;
    public DateTimeOffset AppliedAt { get; set; }
    /// <summary>The plan that was applied (one change per line), for the history.</summary>
    public string? Plan { get; set; }
}

/// <summary>A smoke test of a municipality: a synthetic application per service through the whole path, step by step.</summary>
public sealed class SmokeTestRun
{
    public Guid Id { get; set; }
    public string Ars { get; set; } = string.Empty;
    public string StartedBy { get; set; } = string.Empty;
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>"running", "passed" or "failed".</summary>
    public string Outcome { get; set; } = string.Empty;
    /// <summary>The steps per service with green/red and the reason, as JSON.</summary>
    public string Report { get; set; } = "[]";
}

/// <summary>
/// A destination's encryption key beyond the first (key rotation): version 1 is implicit (the key made when the
/// destination was set up); each rotation adds a version. A key is accepted for decryption until it is retired.
/// </summary>
public sealed class DestinationKeyVersion
{
    public Guid DestinationId { get; set; }
    public int Version { get; set; }
    /// <summary>The key id the destination publishes (JWK kid).</summary>
    public string Kid { get; set; } = string.Empty;
    public DateTimeOffset CreatedAt { get; set; }
    public string CreatedBy { get; set; } = string.Empty;
    /// <summary>When the previous key stops being accepted (end of the overlap).</summary>
    public DateTimeOffset? PreviousRetiresAt { get; set; }
    /// <summary>When this key itself was retired (no longer published or accepted); null while in use.</summary>
    public DateTimeOffset? RetiredAt { get; set; }
}
