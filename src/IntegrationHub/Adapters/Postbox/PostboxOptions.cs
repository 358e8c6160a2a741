namespace IntegrationHub.Adapters.Postbox;

/// <summary>
/// The postbox target's own settings, bound from <c>Hub:Targets:{name}</c> beside Kind, BaseUrl and Timeout.
/// </summary>
public sealed class PostboxOptions
{
    /// <summary>The <c>aud</c> of the author token: whom the postbox API expects tokens for.</summary>
    public string Audience { get; set; } = "urn:bundid:zbp";

    /// <summary>How long an author token is valid: short, each call makes a fresh one.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The bridge's API key (X-Api-Key), from the environment or a secret store; none when empty.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The BundID identity provider's report-signing public key (PEM: a public key or a certificate). Identification
    /// reports are only believed when signed with it; without it every citizen counts as STORK-QAA-Level-1.
    /// </summary>
    public string? IdentityProviderKey { get; set; }

    /// <summary>The <c>iss</c> identification reports must carry; not checked when empty.</summary>
    public string? IdentityProviderIssuer { get; set; }
}
