using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IntegrationHub.Simulators.DeliveryService;

/// <summary>A Security Event Token as the delivery service reads it, before its signature is checked.</summary>
internal sealed record ParsedEventToken(JsonObject Header, JsonObject Claims, string SigningInput, byte[] Signature)
{
    public string? Kid => Str(Header["kid"]);
    public string? Jti => Str(Claims["jti"]);
    public string? Issuer => Str(Claims["iss"]);
    public string? Subject => Str(Claims["sub"]);
    public string? Transaction => Str(Claims["txn"]);

    /// <summary>The one event of the token (its type URI and payload), or null when there is not exactly one.</summary>
    public (string Uri, JsonObject Payload)? Event =>
        Claims["events"] is JsonObject events && events.Count == 1 && events.First() is { Value: JsonObject payload } e ? (e.Key, payload) : null;

    internal static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>
/// FIT-Connect's Security Event Tokens (RFC 8417) on the delivery service's side, written independently of the hub:
/// compact JWS, typ secevent+jwt, PS512 only (RSASSA-PSS, SHA-512); parse, verify against a registered JWK, and sign
/// the service's own events.
/// </summary>
internal static class EventTokens
{
    public const string SchemaUri = "https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json";

    public static ParsedEventToken? Parse(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0])) as JsonObject;
            var claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1])) as JsonObject;
            var signature = Base64Url.DecodeFromChars(parts[2]);
            return header is null || claims is null ? null : new ParsedEventToken(header, claims, parts[0] + "." + parts[1], signature);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Checks header (typ, alg PS512, kid of the key) and signature; the failure in words, or null.</summary>
    public static string? Verify(ParsedEventToken token, JsonObject publicJwk)
    {
        if (ParsedEventToken.Str(token.Header["typ"]) != "secevent+jwt") return "typ must be secevent+jwt";
        if (ParsedEventToken.Str(token.Header["alg"]) != "PS512") return "alg must be PS512";
        if (token.Kid is null || token.Kid != ParsedEventToken.Str(publicJwk["kid"])) return "kid is not the destination's registered signature key";
        using var rsa = Crypto.Jwk.ImportPublic(publicJwk);
        if (rsa.KeySize < 2048) return "the registered key is too small";
        return rsa.VerifyData(Encoding.ASCII.GetBytes(token.SigningInput), token.Signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pss)
            ? null : "signature does not verify with the destination's registered signature key";
    }

    public static string Sign(RSA key, string kid, string issuer, string eventUri, Guid submissionId, Guid caseId, JsonObject payload, DateTimeOffset issuedAt)
    {
        var header = new JsonObject { ["typ"] = "secevent+jwt", ["alg"] = "PS512", ["kid"] = kid };
        var claims = new JsonObject
        {
            ["$schema"] = SchemaUri,
            ["jti"] = Guid.NewGuid().ToString("D"),
            ["iss"] = issuer,
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
            ["sub"] = $"submission:{submissionId:D}",
            ["txn"] = $"case:{caseId:D}",
            ["events"] = new JsonObject { [eventUri] = payload },
        };
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString())) + "."
            + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA512, RSASignaturePadding.Pss);
        return input + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>The public JWK of the service's own signing key (its jwks.json).</summary>
    public static JsonObject PublicJwk(RSA key, string kid)
    {
        var p = key.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "RSA",
            ["kid"] = kid,
            ["alg"] = "PS512",
            ["use"] = "sig",
            ["key_ops"] = new JsonArray("verify"),
            ["n"] = Base64Url.EncodeToString(p.Modulus),
            ["e"] = Base64Url.EncodeToString(p.Exponent),
        };
    }
}
