using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace IntegrationHub.UnitTests.Jose;

/// <summary>Test helpers: private RSA keys from JWK text (RFC examples) and an RSA that counts private-key use.</summary>
internal static class TestRsa
{
    public static RSA FromPrivateJwk(string json)
    {
        var jwk = JsonNode.Parse(json)!.AsObject();
        var n = Decode(jwk, "n");
        var half = (n.Length + 1) / 2;
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters
        {
            Modulus = n,
            Exponent = Decode(jwk, "e"),
            D = Pad(Decode(jwk, "d"), n.Length),
            P = Pad(Decode(jwk, "p"), half),
            Q = Pad(Decode(jwk, "q"), half),
            DP = Pad(Decode(jwk, "dp"), half),
            DQ = Pad(Decode(jwk, "dq"), half),
            InverseQ = Pad(Decode(jwk, "qi"), half),
        });
        return rsa;
    }

    private static byte[] Decode(JsonObject jwk, string name) => Base64Url.DecodeFromChars((string)jwk[name]!);

    // RSAParameters wants fixed-length big-endian values; JWK values drop leading zeros.
    private static byte[] Pad(byte[] value, int length)
    {
        if (value.Length >= length)
        {
            return value;
        }

        var padded = new byte[length];
        value.CopyTo(padded, length - value.Length);
        return padded;
    }
}

/// <summary>Wraps a key and counts Decrypt calls, to prove that refused algorithms never reach the private key.</summary>
internal sealed class DecryptCountingRsa(RSA inner) : RSA
{
    public int DecryptCalls { get; private set; }

    public override int KeySize
    {
        get => inner.KeySize;
        set => throw new NotSupportedException();
    }

    public override KeySizes[] LegalKeySizes => inner.LegalKeySizes;

    public override byte[] Decrypt(byte[] data, RSAEncryptionPadding padding)
    {
        DecryptCalls++;
        return inner.Decrypt(data, padding);
    }

    public override RSAParameters ExportParameters(bool includePrivateParameters) => inner.ExportParameters(includePrivateParameters);

    public override void ImportParameters(RSAParameters parameters) => throw new NotSupportedException();
}
