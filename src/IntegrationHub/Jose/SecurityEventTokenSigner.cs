using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Jose;

/// <summary>
/// Issues FIT-Connect Security Event Tokens (RFC 8417) as compact JWS, PS512 (RSASSA-PSS, SHA-512, MGF1 SHA-512, salt 64).
/// The signer does not own the key; the caller disposes it.
/// </summary>
public sealed class SecurityEventTokenSigner
{
    public const string TokenType = "secevent+jwt";
    public const string Algorithm = "PS512";
    public const int MinimumKeySizeBits = 2048;

    private readonly RSA _signingKey;
    private readonly string _kid;
    private readonly string _issuer;

    public SecurityEventTokenSigner(RSA signingKey, string kid, string issuer)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(kid);
        ArgumentException.ThrowIfNullOrWhiteSpace(issuer);
        if (signingKey.KeySize < MinimumKeySizeBits)
        {
            throw new ArgumentException($"Signing key must have at least {MinimumKeySizeBits} bits.", nameof(signingKey));
        }

        _signingKey = signingKey;
        _kid = kid;
        _issuer = issuer;
    }

    /// <summary>
    /// Signs one event. Claims: $schema, jti (new UUID), iss, iat, sub "submission:&lt;id&gt;", txn "case:&lt;id&gt;",
    /// events {eventUri: payload}. The payload is deep-copied, the caller's object stays untouched. A caller that sends the
    /// same event again (a retried delivery) passes a stable <paramref name="jti"/>, so the receiver can deduplicate.
    /// </summary>
    public string Sign(string eventUri, Guid submissionId, Guid caseId, JsonObject eventPayload, DateTimeOffset issuedAt, Guid? jti = null)
    {
        ArgumentNullException.ThrowIfNull(eventPayload);
        if (!Uri.TryCreate(eventUri, UriKind.Absolute, out _))
        {
            throw new ArgumentException("Event type must be an absolute URI.", nameof(eventUri));
        }

        var header = new JsonObject
        {
            ["typ"] = TokenType,
            ["alg"] = Algorithm,
            ["kid"] = _kid,
        };

        var claims = new JsonObject
        {
            ["$schema"] = FitConnectEvents.SetPayloadSchema,
            ["jti"] = (jti ?? Guid.NewGuid()).ToString("D"),
            ["iss"] = _issuer,
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
            ["sub"] = "submission:" + submissionId.ToString("D"),
            ["txn"] = "case:" + caseId.ToString("D"),
            ["events"] = new JsonObject { [eventUri] = eventPayload.DeepClone() },
        };

        var signingInput = Base64UrlStrict.Encode(Encoding.UTF8.GetBytes(header.ToJsonString()))
            + "."
            + Base64UrlStrict.Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = _signingKey.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA512, RSASignaturePadding.Pss);
        return signingInput + "." + Base64UrlStrict.Encode(signature);
    }
}
