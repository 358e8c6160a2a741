using System.Collections.Frozen;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Jose;

/// <summary>Policy for <see cref="JweDecryptor"/>. Defaults follow the FIT-Connect crypto profile.</summary>
public sealed record JweDecryptionOptions
{
    public static JweDecryptionOptions Default { get; } = new();

    /// <summary>Allowed key management algorithms. Supported: RSA-OAEP-256; RSA-OAEP (SHA-1) only if listed here explicitly.</summary>
    public IReadOnlySet<string> AllowedKeyAlgorithms { get; init; } = new[] { "RSA-OAEP-256" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Allowed content encryption algorithms. Supported: A256GCM.</summary>
    public IReadOnlySet<string> AllowedContentEncryptions { get; init; } = new[] { "A256GCM" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Upper bound for the plaintext after decompression (zip bomb guard) and for the ciphertext.</summary>
    public long MaxPlaintextBytes { get; init; } = 64L * 1024 * 1024;
}

/// <summary>Result of a successful decryption. <see cref="AuthenticationTag"/> is the 5th compact part, verbatim.</summary>
public sealed record JweDecrypted(JweHeader Header, byte[] Plaintext, string AuthenticationTag);

/// <summary>
/// Decrypts compact JWE (RFC 7516) with RSA-OAEP-256 key transport and A256GCM content encryption.
/// The caller supplies the private key; the header's <c>kid</c> never selects a key.
/// </summary>
public static class JweDecryptor
{
    private const int IvBytes = 12;
    private const int TagBytes = 16;

    public static JweDecrypted Decrypt(string compact, RSA privateKey, JweDecryptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        options ??= JweDecryptionOptions.Default;
        if (options.MaxPlaintextBytes <= 0 || options.MaxPlaintextBytes > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxPlaintextBytes must be between 1 and Array.MaxLength.");
        }

        var parts = Jwe.Split(compact);
        var header = Jwe.ParseHeader(parts[0]);

        // Policy before any cryptography: no key operation happens for a refused algorithm.
        var padding = JweKeyManagement.CheckPolicy(header, options);

        var encryptedKey = DecodePart(parts[1], "encrypted key");
        var iv = DecodePart(parts[2], "initialization vector");
        var tag = DecodePart(parts[4], "authentication tag");
        if (iv.Length != IvBytes || tag.Length != TagBytes)
        {
            throw new JweException(JweFailure.Malformed, "JWE initialization vector or authentication tag has the wrong length.");
        }

        var modulusBytes = (privateKey.KeySize + 7) / 8;
        if (encryptedKey.Length != modulusBytes)
        {
            // Public information only (the key size), so this does not form an oracle.
            throw new JweException(JweFailure.KeyUnwrapFailed, "JWE encrypted key does not match the recipient key size.");
        }

        // Ciphertext length equals the (possibly compressed) plaintext length for GCM.
        var ciphertextCharLimit = ((CiphertextLimit(options.MaxPlaintextBytes, header.Zip is not null) + 2) / 3 * 4) + 4;
        if (parts[3].Length > ciphertextCharLimit)
        {
            throw new JweException(JweFailure.TooLarge, "JWE ciphertext exceeds the size limit.");
        }

        var ciphertext = DecodePart(parts[3], "ciphertext");
        if (ciphertext.Length > CiphertextLimit(options.MaxPlaintextBytes, header.Zip is not null))
        {
            throw new JweException(JweFailure.TooLarge, "JWE ciphertext exceeds the size limit.");
        }

        var cek = JweKeyManagement.UnwrapOrRandom(encryptedKey, privateKey, padding, out var keepAfterTag);
        var plaintext = new byte[ciphertext.Length];
        try
        {
            var aad = Encoding.ASCII.GetBytes(parts[0]);
            using var gcm = new AesGcm(cek, TagBytes);
            gcm.Decrypt(iv, ciphertext, tag, plaintext, aad);
            if (keepAfterTag)
            {
                JweKeyManagement.KeepVerified(privateKey, encryptedKey, padding, cek);
            }
        }
        catch (CryptographicException ex)
        {
            // Same failure whether the CEK was bad or the tag/ciphertext/header was modified (RFC 7516 11.5).
            CryptographicOperations.ZeroMemory(plaintext);
            throw new JweException(JweFailure.DecryptionFailed, "JWE could not be decrypted.", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(cek);
        }

        if (header.Zip is null)
        {
            return new JweDecrypted(header, plaintext, parts[4]);
        }

        try
        {
            return new JweDecrypted(header, Inflate(plaintext, options.MaxPlaintextBytes), parts[4]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static long CiphertextLimit(long maxPlaintext, bool compressed) =>
        compressed
            ? Math.Min(Array.MaxLength, maxPlaintext + (maxPlaintext / 64) + 1024) // DEFLATE may expand incompressible data slightly
            : maxPlaintext;

    private static byte[] DecodePart(string part, string what)
    {
        if (!Base64UrlStrict.TryDecode(part, out var bytes))
        {
            throw new JweException(JweFailure.Malformed, $"JWE {what} is not base64url.");
        }

        return bytes;
    }

    private static byte[] Inflate(byte[] compressed, long maxBytes)
    {
        using var input = new MemoryStream(compressed, writable: false);
        using var inflater = new DeflateStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        try
        {
            int read;
            while ((read = inflater.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + read > maxBytes)
                {
                    throw new JweException(JweFailure.TooLarge, "JWE plaintext exceeds the size limit after decompression.");
                }

                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException ex)
        {
            ClearStream(output);
            throw new JweException(JweFailure.DecompressionFailed, "JWE plaintext could not be decompressed.", ex);
        }
        catch (JweException)
        {
            ClearStream(output);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }

        var result = output.ToArray();
        ClearStream(output);
        return result;
    }

    private static void ClearStream(MemoryStream stream)
    {
        if (stream.TryGetBuffer(out var segment))
        {
            CryptographicOperations.ZeroMemory(segment.AsSpan());
        }
    }
}
