using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Simulators.Crypto;

/// <summary>What a sender needs from a published JWK: import the RSA public key, compute the RFC 7638 thumbprint.</summary>
public static class Jwk
{
    public static RSA ImportPublic(JsonObject jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        if ((string?)jwk["kty"] != "RSA")
        {
            throw new ArgumentException("Only RSA keys are supported.", nameof(jwk));
        }

        if (jwk.ContainsKey("d"))
        {
            throw new ArgumentException("A published key must not contain private members.", nameof(jwk));
        }

        var n = (string?)jwk["n"] ?? throw new ArgumentException("JWK lacks n.", nameof(jwk));
        var e = (string?)jwk["e"] ?? throw new ArgumentException("JWK lacks e.", nameof(jwk));
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = Base64Url.DecodeFromChars(n), Exponent = Base64Url.DecodeFromChars(e) });
        return rsa;
    }

    /// <summary>RFC 7638: SHA-256 over {"e":…,"kty":"RSA","n":…} (sorted members, no whitespace), base64url.</summary>
    public static string Thumbprint(RSA rsa)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        var p = rsa.ExportParameters(false);
        var canonical = $"{{\"e\":\"{Base64Url.EncodeToString(Unsigned(p.Exponent!))}\",\"kty\":\"RSA\",\"n\":\"{Base64Url.EncodeToString(Unsigned(p.Modulus!))}\"}}";
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static ReadOnlySpan<byte> Unsigned(byte[] value)
    {
        var span = value.AsSpan();
        while (span.Length > 1 && span[0] == 0)
        {
            span = span[1..];
        }

        return span;
    }
}
