using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IntegrationHub.Jose;

/// <summary>Outcome of <see cref="SecurityEventTokenValidator.Verify"/>. On failure only <see cref="Failure"/> is set.</summary>
public sealed record SecurityEventTokenVerification(
    bool IsValid,
    string? Failure,
    JsonObject? Header,
    JsonObject? Claims,
    string? EventUri,
    JsonObject? EventPayload)
{
    internal static SecurityEventTokenVerification Fail(string failure) => new(false, failure, null, null, null, null);
}

/// <summary>
/// Verifies a FIT-Connect SET: typ secevent+jwt, alg PS512 (nothing else), signature with the given public key,
/// required claims (jti, iss, iat, sub, txn) and exactly one event. Does not resolve keys by kid.
/// </summary>
public static class SecurityEventTokenValidator
{
    private const int MaxTokenChars = 1024 * 1024;

    private static readonly JsonDocumentOptions StrictJson = new()
    {
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 32,
    };

    public static SecurityEventTokenVerification Verify(string token, RSA publicKey, string? expectedIssuer = null)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenChars)
        {
            return SecurityEventTokenVerification.Fail("token missing or too long");
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return SecurityEventTokenVerification.Fail("token must be a compact JWS with 3 parts");
        }

        if (!Base64UrlStrict.TryDecode(parts[0], out var headerBytes)
            || !Base64UrlStrict.TryDecode(parts[1], out var claimsBytes)
            || !Base64UrlStrict.TryDecode(parts[2], out var signature))
        {
            return SecurityEventTokenVerification.Fail("token part is not base64url");
        }

        var header = ParseObject(headerBytes);
        if (header is null)
        {
            return SecurityEventTokenVerification.Fail("header is not a JSON object");
        }

        if (GetString(header, "typ") != SecurityEventTokenSigner.TokenType)
        {
            return SecurityEventTokenVerification.Fail("typ must be secevent+jwt");
        }

        // Only PS512 is acceptable; checked before any key use (no alg confusion, no "none").
        if (GetString(header, "alg") != SecurityEventTokenSigner.Algorithm)
        {
            return SecurityEventTokenVerification.Fail("alg must be PS512");
        }

        if (header.ContainsKey("crit"))
        {
            return SecurityEventTokenVerification.Fail("critical header extensions are not supported");
        }

        var signingInput = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        bool signatureOk;
        try
        {
            signatureOk = publicKey.VerifyData(signingInput, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pss);
        }
        catch (CryptographicException)
        {
            signatureOk = false;
        }

        if (!signatureOk)
        {
            return SecurityEventTokenVerification.Fail("signature invalid");
        }

        var claims = ParseObject(claimsBytes);
        if (claims is null)
        {
            return SecurityEventTokenVerification.Fail("claims are not a JSON object");
        }

        var iss = GetString(claims, "iss");
        if (string.IsNullOrEmpty(iss) || (expectedIssuer is not null && iss != expectedIssuer))
        {
            return SecurityEventTokenVerification.Fail("issuer missing or unexpected");
        }

        if (!Guid.TryParseExact(GetString(claims, "jti"), "D", out _))
        {
            return SecurityEventTokenVerification.Fail("jti must be a UUID");
        }

        if (claims["iat"] is not JsonValue iat || !iat.TryGetValue<long>(out _))
        {
            return SecurityEventTokenVerification.Fail("iat must be a number");
        }

        if (!HasPrefixedUuid(GetString(claims, "sub"), "submission:") && !HasPrefixedUuid(GetString(claims, "sub"), "reply:"))
        {
            return SecurityEventTokenVerification.Fail("sub must be submission:<uuid>");
        }

        if (!HasPrefixedUuid(GetString(claims, "txn"), "case:"))
        {
            return SecurityEventTokenVerification.Fail("txn must be case:<uuid>");
        }

        if (claims["events"] is not JsonObject events || events.Count != 1)
        {
            return SecurityEventTokenVerification.Fail("events must contain exactly one event");
        }

        var (eventUri, payload) = events.First();
        if (payload is not JsonObject eventPayload)
        {
            return SecurityEventTokenVerification.Fail("event payload must be a JSON object");
        }

        return new SecurityEventTokenVerification(true, null, header, claims, eventUri, eventPayload);
    }

    private static bool HasPrefixedUuid(string? value, string prefix) =>
        value is not null && value.StartsWith(prefix, StringComparison.Ordinal) && Guid.TryParseExact(value[prefix.Length..], "D", out _);

    private static JsonObject? ParseObject(byte[] utf8)
    {
        try
        {
            using var doc = JsonDocument.Parse(utf8, StrictJson);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? JsonObject.Create(doc.RootElement.Clone()) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? GetString(JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
