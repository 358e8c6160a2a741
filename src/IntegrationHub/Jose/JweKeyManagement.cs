using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text.Json;

namespace IntegrationHub.Jose;

/// <summary>
/// Header policy and RSA-OAEP key unwrap shared by <see cref="JweDecryptor"/> and
/// <see cref="Streaming.JweStreamDecryptor"/>, so both refuse the same inputs with the same failures.
/// </summary>
internal static class JweKeyManagement
{
    // Algorithms this implementation can execute at all; the options can only narrow this set.
    private static readonly FrozenDictionary<string, RSAEncryptionPadding> KeyAlgorithms =
        new Dictionary<string, RSAEncryptionPadding>(StringComparer.Ordinal)
        {
            ["RSA-OAEP-256"] = RSAEncryptionPadding.OaepSHA256,
            ["RSA-OAEP"] = RSAEncryptionPadding.OaepSHA1,
        }.ToFrozenDictionary(StringComparer.Ordinal);

    // Header parameters this implementation understands; anything listed in "crit" must be one of them (none are extensions).
    private static readonly FrozenSet<string> UnderstoodCritical = FrozenSet<string>.Empty;

    private const string A256Gcm = "A256GCM";
    private const string Deflate = "DEF";

    /// <summary>A256GCM key size.</summary>
    public const int CekBytes = 32;

    /// <summary>
    /// Checks alg, enc, zip and crit against what is supported and allowed, and returns the OAEP padding for alg.
    /// Call it before any use of the private key: no key operation may happen for a refused algorithm.
    /// </summary>
    /// <exception cref="JweException"><see cref="JweFailure.UnsupportedAlgorithm"/>.</exception>
    public static RSAEncryptionPadding CheckPolicy(JweHeader header, JweDecryptionOptions options)
    {
        if (!KeyAlgorithms.TryGetValue(header.Alg, out var padding) || !options.AllowedKeyAlgorithms.Contains(header.Alg))
        {
            throw new JweException(JweFailure.UnsupportedAlgorithm, "JWE key management algorithm is not allowed.");
        }

        if (header.Enc != A256Gcm || !options.AllowedContentEncryptions.Contains(header.Enc))
        {
            throw new JweException(JweFailure.UnsupportedAlgorithm, "JWE content encryption algorithm is not allowed.");
        }

        if (header.Zip is not null && header.Zip != Deflate)
        {
            throw new JweException(JweFailure.UnsupportedAlgorithm, "JWE compression algorithm is not supported.");
        }

        if (header.All.TryGetValue("crit", out var crit))
        {
            var understood = crit.ValueKind == JsonValueKind.Array
                && crit.GetArrayLength() > 0
                && crit.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String && UnderstoodCritical.Contains(e.GetString()!));
            if (!understood)
            {
                throw new JweException(JweFailure.UnsupportedAlgorithm, "JWE uses critical header extensions that are not supported.");
            }
        }

        return padding;
    }

    /// <summary>
    /// RSA-OAEP unwrap. On any failure a random CEK is used instead, so the caller only ever learns
    /// "decryption failed" after the GCM tag check (RFC 7516 section 11.5, against padding oracles).
    /// A key unwrapped recently comes from <see cref="UnwrappedKeyCache"/> (the caller gets its own copy to zero).
    /// <paramref name="keepAfterTag"/> is true for a key RSA unwrapped just now: the caller hands it to
    /// <see cref="KeepVerified"/> once the GCM tag verified, never before (a valid padding alone must not make the
    /// next attempt faster: that would be a padding oracle through timing).
    /// </summary>
    public static byte[] UnwrapOrRandom(byte[] encryptedKey, RSA privateKey, RSAEncryptionPadding padding, out bool keepAfterTag)
    {
        keepAfterTag = false;
        if (UnwrappedKeyCache.Find(privateKey, encryptedKey, padding) is { } known)
        {
            return known;
        }

        byte[]? cek;
        try
        {
            cek = privateKey.Decrypt(encryptedKey, padding);
        }
        catch (CryptographicException)
        {
            cek = null;
        }

        if (cek is { Length: CekBytes })
        {
            keepAfterTag = true;
            return cek;
        }

        if (cek is not null)
        {
            CryptographicOperations.ZeroMemory(cek);
        }

        return RandomNumberGenerator.GetBytes(CekBytes);
    }

    /// <summary>Keeps a CEK whose GCM tag verified, so the next read of the same JWE skips the RSA unwrap.</summary>
    public static void KeepVerified(RSA privateKey, byte[] encryptedKey, RSAEncryptionPadding padding, byte[] cek) =>
        UnwrappedKeyCache.Keep(privateKey, encryptedKey, padding, cek);
}
