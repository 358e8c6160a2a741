namespace IntegrationHub.OnceOnly.Protocol;

/// <summary>The access protocol's settings in section <c>Hub:OnceOnly</c>.</summary>
public sealed class AccessProtocolOptions
{
    public const string Section = "Hub:OnceOnly";

    /// <summary>
    /// The secret key of the persons' pseudonyms (HMAC-SHA256, the UTF-8 bytes of this text). Every hub process of an
    /// installation needs the same one, from the environment or a secret store (Hub__OnceOnly__ProtocolKey). Without it the
    /// embedded default generates a local key file in the key folder.
    /// </summary>
    public string? ProtocolKey { get; set; }

    /// <summary>SHA-256 (hex) of the API key that the protocol query API demands in <c>X-Api-Key</c>; without it the API answers 401.</summary>
    public string? ProtocolApiKeySha256 { get; set; }
}
