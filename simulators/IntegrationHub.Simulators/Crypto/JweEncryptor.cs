using System.Buffers.Text;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Simulators.Crypto;

/// <summary>
/// Sender-side compact JWE (RFC 7516): RSA-OAEP-256 (or RSA-OAEP) key transport, A256GCM, random 256-bit CEK and
/// 96-bit IV, optional zip "DEF" (raw DEFLATE). Independent of the hub's implementation on purpose.
/// </summary>
public static class JweEncryptor
{
    public static string Encrypt(
        ReadOnlySpan<byte> plaintext,
        RSA recipientPublicKey,
        string? kid,
        string? cty = null,
        bool compress = false,
        string alg = "RSA-OAEP-256")
    {
        var header = new JsonObject { ["alg"] = alg, ["enc"] = "A256GCM" };
        if (kid is not null)
        {
            header["kid"] = kid;
        }

        if (cty is not null)
        {
            header["cty"] = cty;
        }

        if (compress)
        {
            header["zip"] = "DEF";
        }

        var padding = alg switch
        {
            "RSA-OAEP-256" => RSAEncryptionPadding.OaepSHA256,
            "RSA-OAEP" => RSAEncryptionPadding.OaepSHA1,
            _ => throw new ArgumentException("Only RSA-OAEP-256 and RSA-OAEP are supported; use EncryptWithHeader for other headers.", nameof(alg)),
        };

        return EncryptWithHeader(plaintext, recipientPublicKey, header.ToJsonString(), compress, padding);
    }

    /// <summary>
    /// Test hook: encrypts with RSA-OAEP(-256) + A256GCM but writes <paramref name="protectedHeaderJson"/> verbatim as the
    /// protected header (and AAD), whatever algorithms it claims. Lets tests build "alg: none", "dir", "A128GCM" … tokens
    /// that are otherwise well-formed.
    /// </summary>
    public static string EncryptWithHeader(
        ReadOnlySpan<byte> plaintext,
        RSA recipientPublicKey,
        string protectedHeaderJson,
        bool compress = false,
        RSAEncryptionPadding? keyPadding = null)
    {
        ArgumentNullException.ThrowIfNull(recipientPublicKey);
        ArgumentException.ThrowIfNullOrEmpty(protectedHeaderJson);

        var encodedHeader = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(protectedHeaderJson));
        var content = compress ? Deflate(plaintext) : plaintext.ToArray();
        var cek = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(12);
        var ciphertext = new byte[content.Length];
        var tag = new byte[16];
        try
        {
            var encryptedKey = recipientPublicKey.Encrypt(cek, keyPadding ?? RSAEncryptionPadding.OaepSHA256);
            using (var gcm = new AesGcm(cek, 16))
            {
                gcm.Encrypt(iv, content, ciphertext, tag, Encoding.ASCII.GetBytes(encodedHeader));
            }

            return string.Join(
                '.',
                encodedHeader,
                Base64Url.EncodeToString(encryptedKey),
                Base64Url.EncodeToString(iv),
                Base64Url.EncodeToString(ciphertext),
                Base64Url.EncodeToString(tag));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(cek);
            CryptographicOperations.ZeroMemory(content);
        }
    }

    /// <summary>The five base64url parts of a compact JWE (header, encrypted key, IV, ciphertext, tag), for tampering in tests.</summary>
    public static string[] Split(string compact) => compact.Split('.');

    public static string Join(IEnumerable<string> parts) => string.Join('.', parts);

    private static byte[] Deflate(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
        }

        return output.ToArray();
    }
}
