using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Jose;

namespace IntegrationHub.Adapters.Postbox;

/// <summary>
/// RS512 (RSASSA-PKCS1-v1_5 with SHA-512) compact JWS, as the ZBP bridge uses for author tokens and content signatures:
/// signed tokens, detached signatures over exact bytes (RFC 7515 appendix F), and strict verification that accepts
/// no other algorithm.
/// </summary>
public static class CompactJws
{
    public const string Algorithm = "RS512";

    public static string Sign(JsonObject header, JsonObject claims, RSA key)
    {
        var signingInput = Encode(header) + "." + Base64UrlStrict.Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return signingInput + "." + Base64UrlStrict.Encode(key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1));
    }

    /// <summary>A detached JWS over <paramref name="payload"/>: "header..signature".</summary>
    public static string SignDetached(JsonObject header, ReadOnlySpan<byte> payload, RSA key)
    {
        var encodedHeader = Encode(header);
        var signingInput = encodedHeader + "." + Base64UrlStrict.Encode(payload);
        return encodedHeader + ".." + Base64UrlStrict.Encode(key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1));
    }

    /// <summary>
    /// The header and claims of a compact JWS whose alg is RS512 and whose signature <paramref name="key"/> verifies;
    /// null for anything else (malformed, another algorithm, a wrong signature, claims that are not a JSON object).
    /// </summary>
    public static (JsonObject Header, JsonObject Claims)? Verify(string? compact, RSA key)
    {
        var parts = compact?.Split('.');
        if (parts is not { Length: 3 } || parts.Any(p => p.Length == 0)) return null;
        if (!Base64UrlStrict.TryDecode(parts[0], out var headerBytes) || !Base64UrlStrict.TryDecode(parts[1], out var claimBytes)
            || !Base64UrlStrict.TryDecode(parts[2], out var signature))
            return null;
        var header = ParseObject(headerBytes);
        if (header is null || header["alg"]?.GetValueKind() != JsonValueKind.String || header["alg"]!.GetValue<string>() != Algorithm) return null;
        var signingInput = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!key.VerifyData(signingInput, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1)) return null;
        var claims = ParseObject(claimBytes);
        return claims is null ? null : (header, claims);
    }

    private static string Encode(JsonObject json) => Base64UrlStrict.Encode(Encoding.UTF8.GetBytes(json.ToJsonString()));

    private static JsonObject? ParseObject(byte[] json)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 8 }) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
