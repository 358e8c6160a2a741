using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Jose;

/// <summary>RSA public keys as JWK (RFC 7517/7518) and JWK thumbprints (RFC 7638).</summary>
public static class JsonWebKeys
{
    /// <summary>Smallest RSA modulus accepted on import; FIT-Connect itself requires 4096 bits for its own keys.</summary>
    public const int MinimumImportKeySizeBits = 2048;

    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    /// <summary>Public encryption key as published for senders: kty, n, e, alg RSA-OAEP-256, use enc, key_ops [wrapKey], kid.</summary>
    public static JsonObject ToPublicEncryptionJwk(RSA rsa, string kid) => ToPublicJwk(rsa, kid, "RSA-OAEP-256", "enc", "wrapKey");

    /// <summary>Public signature verification key: kty, n, e, alg PS512, use sig, key_ops [verify], kid.</summary>
    public static JsonObject ToPublicSigningJwk(RSA rsa, string kid) => ToPublicJwk(rsa, kid, "PS512", "sig", "verify");

    /// <summary>RFC 7638 thumbprint: base64url(SHA-256(UTF-8 of {"e":..,"kty":"RSA","n":..})) with no whitespace.</summary>
    public static string Thumbprint(RSA rsa)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        var (n, e) = PublicMembers(rsa);
        return ThumbprintOf(n, e);
    }

    /// <summary>RFC 7638 thumbprint of an RSA JWK, computed over its required members only (e, kty, n).</summary>
    public static string Thumbprint(JsonObject jwk)
    {
        using var rsa = FromJwk(jwk, minimumKeySizeBits: 0);
        return Thumbprint(rsa);
    }

    /// <summary>
    /// Imports an RSA public JWK. Refuses private members (a public key set must never carry them),
    /// non-RSA keys and moduli smaller than <paramref name="minimumKeySizeBits"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The JWK is not an acceptable RSA public key.</exception>
    public static RSA FromJwk(JsonObject jwk, int minimumKeySizeBits = MinimumImportKeySizeBits)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        if (GetString(jwk, "kty") != "RSA")
        {
            throw new ArgumentException("JWK kty must be \"RSA\".", nameof(jwk));
        }

        foreach (var member in PrivateMembers)
        {
            if (jwk.ContainsKey(member))
            {
                throw new ArgumentException("JWK contains private key material; only public keys are accepted.", nameof(jwk));
            }
        }

        var modulus = DecodeUnsigned(GetString(jwk, "n"), "n");
        var exponent = DecodeUnsigned(GetString(jwk, "e"), "e");
        if (modulus.Length * 8 < minimumKeySizeBits)
        {
            throw new ArgumentException($"JWK modulus is shorter than {minimumKeySizeBits} bits.", nameof(jwk));
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(new RSAParameters { Modulus = modulus, Exponent = exponent });
            return rsa;
        }
        catch (CryptographicException ex)
        {
            rsa.Dispose();
            throw new ArgumentException("JWK is not a valid RSA public key.", nameof(jwk), ex);
        }
    }

    internal static (string N, string E) PublicMembers(RSA rsa)
    {
        var p = rsa.ExportParameters(includePrivateParameters: false);
        return (Base64UrlStrict.Encode(TrimLeadingZeros(p.Modulus!)), Base64UrlStrict.Encode(TrimLeadingZeros(p.Exponent!)));
    }

    internal static string ThumbprintOf(string n, string e)
    {
        // Members in lexicographic order, no whitespace (RFC 7638 section 3.3); n/e are base64url so need no escaping.
        var canonical = "{\"e\":\"" + e + "\",\"kty\":\"RSA\",\"n\":\"" + n + "\"}";
        return Base64UrlStrict.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static JsonObject ToPublicJwk(RSA rsa, string kid, string alg, string use, string keyOp)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        ArgumentException.ThrowIfNullOrWhiteSpace(kid);
        var (n, e) = PublicMembers(rsa);
        return new JsonObject
        {
            ["kty"] = "RSA",
            ["n"] = n,
            ["e"] = e,
            ["alg"] = alg,
            ["use"] = use,
            ["key_ops"] = new JsonArray(keyOp),
            ["kid"] = kid,
        };
    }

    private static string GetString(JsonObject jwk, string name)
    {
        if (jwk[name] is JsonValue value && value.TryGetValue<string>(out var s) && s.Length > 0)
        {
            return s;
        }

        throw new ArgumentException($"JWK member '{name}' is missing or not a string.", nameof(jwk));
    }

    private static byte[] DecodeUnsigned(string text, string member)
    {
        if (!Base64UrlStrict.TryDecode(text, out var bytes) || bytes.Length == 0)
        {
            throw new ArgumentException($"JWK member '{member}' is not base64url.", "jwk");
        }

        return TrimLeadingZeros(bytes);
    }

    // JWA 6.3.1: n and e are unsigned big-endian without leading zero octets; some libraries add one.
    private static byte[] TrimLeadingZeros(byte[] value)
    {
        var i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        return i == 0 ? value : value[i..];
    }
}
