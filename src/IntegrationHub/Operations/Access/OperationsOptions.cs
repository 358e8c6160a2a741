namespace IntegrationHub.Operations.Access;

/// <summary>The operations console and API (section Hub:Operations); see README "Operations console".</summary>
public sealed class OperationsOptions
{
    public const string Section = "Hub:Operations";

    /// <summary>People and scripts that sign in with an API key (the console's login form, or X-Api-Key on the API).</summary>
    public List<OperatorKeyOptions> Operators { get; set; } = [];
    /// <summary>Sign-in with an OIDC provider's JWT (Authorization: Bearer) instead of, or beside, API keys.</summary>
    public OidcOptions Oidc { get; set; } = new();
    public EditAndRetryOptions EditAndRetry { get; set; } = new();
    public RetentionOptions Retention { get; set; } = new();
    /// <summary>How long a console session lasts without activity.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
    /// <summary>How long a console session lasts at most, however active: then the operator signs in again.</summary>
    public TimeSpan SessionAbsoluteLifetime { get; set; } = TimeSpan.FromHours(12);
    /// <summary>Failed sign-ins (console form or API key) one remote address may make per <see cref="FailedSignInWindow"/>.</summary>
    public int FailedSignInLimit { get; set; } = 10;
    public TimeSpan FailedSignInWindow { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>Messages a retry batch reads and sends per page (bounds its memory).</summary>
    public int RetryPageSize { get; set; } = 500;
}

public sealed class OperatorKeyOptions
{
    public string Name { get; set; } = string.Empty;
    public OperatorRole Role { get; set; } = OperatorRole.Reader;
    /// <summary>SHA-256 of the API key, lower-case hex: the key itself is never stored (see README for how to make one).</summary>
    public string KeySha256 { get; set; } = string.Empty;
    /// <summary>The municipalities (ARS) this operator may see and act on; "*" means all. Required: an empty list is refused at start-up.</summary>
    public List<string> Municipalities { get; set; } = [];
}

public sealed class OidcOptions
{
    /// <summary>The provider's issuer; OIDC sign-in is off while empty.</summary>
    public string Issuer { get; set; } = string.Empty;
    public string Audience { get; set; } = "integrationhub-operations";
    /// <summary>PEM file(s) of the provider's token signing public keys (no metadata download: the hub may have no route to the provider).</summary>
    public List<string> SigningKeyFiles { get; set; } = [];
    /// <summary>The claim that carries the role: reader, operator or admin.</summary>
    public string RoleClaim { get; set; } = "roles";
    public string NameClaim { get; set; } = "preferred_username";
    /// <summary>The claim with the municipalities (ARS) the person may see; "*" means all, absent means none.</summary>
    public string MunicipalityClaim { get; set; } = "ars";
}

public sealed class EditAndRetryOptions
{
    /// <summary>Off by default: editing a citizen's application is an exception that needs a decision.</summary>
    public bool Enabled { get; set; }
}

public sealed class RetentionOptions
{
    /// <summary>How often the retention job runs.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Resolved and archived failed messages are removed after this long.</summary>
    public TimeSpan FailedMessages { get; set; } = TimeSpan.FromDays(30);
    /// <summary>Personal data of completed submissions is deleted after this long, unless the municipality sets its own period.</summary>
    public TimeSpan SubmissionPayloads { get; set; } = TimeSpan.FromDays(180);
}
