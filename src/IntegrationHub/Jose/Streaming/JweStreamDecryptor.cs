using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Storage;

namespace IntegrationHub.Jose.Streaming;

/// <summary>
/// Result of a successful streaming decryption. <see cref="AuthenticationTag"/> is the 5th compact part, verbatim;
/// <see cref="PlaintextLength"/> counts the bytes handed to the destination (after decompression).
/// </summary>
public sealed record JweStreamResult(JweHeader Header, string AuthenticationTag, long PlaintextLength);

/// <summary>
/// Decrypts compact JWE (RFC 7516; RSA-OAEP-256 key transport, A256GCM, optional zip DEF) from a stream to a stream
/// with bounded memory, for payloads too large for <see cref="JweDecryptor"/> (which holds everything at once).
/// Same algorithm policy and <see cref="JweFailure"/> classes as <see cref="JweDecryptor"/>; the caller supplies the
/// private key, the header's <c>kid</c> never selects one.
/// </summary>
/// <remarks>
/// <para><b>Unauthenticated output.</b> Plaintext is written to the destination as it is decrypted, before the GCM tag
/// (which follows the ciphertext) can be checked. Until <c>DecryptAsync</c>/<c>DecryptToAsync</c> has returned
/// successfully, everything written is unauthenticated and may be forged, truncated or garbage (a wrong or tampered
/// key yields random plaintext rather than an early error, so there is no padding oracle). Treat the destination as
/// untrusted until then and discard it when an exception is thrown. Do not act on the bytes (parse, forward,
/// commit) before success, or make that action abortable.</para>
/// <para><b>When failures surface.</b> Policy and header failures (<see cref="JweFailure.UnsupportedAlgorithm"/>,
/// malformed header, encrypted key or IV, <see cref="JweFailure.KeyUnwrapFailed"/> for a key-size mismatch) are raised
/// before any plaintext is written. A ciphertext over the limit (<see cref="JweFailure.TooLarge"/>) or with characters
/// outside base64url (<see cref="JweFailure.Malformed"/>) fails as soon as it is read. A wrong part count is noticed
/// where the missing or extra '.' is met, so possibly only after streaming. <see cref="JweFailure.DecryptionFailed"/>
/// (bad tag, modified ciphertext, IV or header, wrong or tampered key) is raised only after the whole ciphertext was
/// streamed. With zip DEF, inflate errors (<see cref="JweFailure.DecompressionFailed"/>) and the plaintext limit
/// (<see cref="JweFailure.TooLarge"/>, counted on the inflated output) stop the output at once, but are reported only
/// after the rest of the ciphertext was authenticated, and lose to <see cref="JweFailure.DecryptionFailed"/> when the
/// tag is bad, exactly as in <see cref="JweDecryptor"/>, which inflates only after the tag check.</para>
/// <para><b>Memory.</b> A few pooled 64 KiB buffers plus the inflater's state, independent of the payload size.
/// A plaintext chunk passed to the callback is only valid during the call (the buffer is reused and wiped).</para>
/// </remarks>
public static class JweStreamDecryptor
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>Bound for the encrypted key part; RSA-16384 needs 2,731 characters.</summary>
    private const int MaxEncryptedKeyChars = 8 * 1024;

    /// <summary>Bound for the IV and tag parts (16 and 22 characters when well-formed).</summary>
    private const int MaxSmallPartChars = 64;

    /// <summary>
    /// Decrypts <paramref name="compactJwe"/> (read incrementally, ASCII) and writes the plaintext to
    /// <paramref name="plaintextDestination"/> as it goes. See the type remarks: the written plaintext is
    /// unauthenticated until this method returns successfully; discard it on any exception.
    /// </summary>
    /// <exception cref="JweException">Refused; see <see cref="JweFailure"/>. The message is generic and safe to log.</exception>
    public static Task<JweStreamResult> DecryptAsync(
        Stream compactJwe,
        RSA privateKey,
        Stream plaintextDestination,
        JweDecryptionOptions? options = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(plaintextDestination);
        return DecryptToAsync(compactJwe, privateKey, plaintextDestination.WriteAsync, options, ct);
    }

    /// <summary>
    /// As <see cref="DecryptAsync"/>, but hands each plaintext chunk (at most 64 KiB) to <paramref name="onPlaintextChunk"/>,
    /// which must copy or consume it before its task completes. Lets a caller hash, count or forward without an extra
    /// stream. The chunks are unauthenticated until this method returns successfully.
    /// </summary>
    /// <exception cref="JweException">Refused; see <see cref="JweFailure"/>.</exception>
    public static Task<JweStreamResult> DecryptToAsync(
        Stream compactJwe,
        RSA privateKey,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onPlaintextChunk,
        JweDecryptionOptions? options = null,
        CancellationToken ct = default) =>
        DecryptCoreAsync(compactJwe, privateKey, onPlaintextChunk, options, GHashImplementation.Auto, ct);

    /// <summary>Test seam: <paramref name="ghash"/> forces the portable GHASH on CPUs that have PCLMULQDQ.</summary>
    internal static async Task<JweStreamResult> DecryptCoreAsync(
        Stream compactJwe,
        RSA privateKey,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> onPlaintextChunk,
        JweDecryptionOptions? options,
        GHashImplementation ghash,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(compactJwe);
        ArgumentNullException.ThrowIfNull(privateKey);
        ArgumentNullException.ThrowIfNull(onPlaintextChunk);
        options ??= JweDecryptionOptions.Default;
        if (options.MaxPlaintextBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxPlaintextBytes must be positive.");
        }

        using var reader = new CompactJweStreamReader(compactJwe);
        var part = ArrayPool<byte>.Shared.Rent(Jwe.MaxHeaderChars);
        try
        {
            // 1. Protected header (also the AAD, as its ASCII bytes).
            var (headerLength, headerEnd) = await reader.ReadPartAsync(part, Jwe.MaxHeaderChars, ct).ConfigureAwait(false);
            if (headerEnd == CompactJweStreamReader.PartEnd.EndOfInput)
            {
                throw new JweException(JweFailure.Malformed, headerLength == 0 ? "JWE is empty." : PartCountMessage);
            }

            if (headerEnd == CompactJweStreamReader.PartEnd.TooLong || headerLength == 0)
            {
                throw new JweException(JweFailure.Malformed, "JWE protected header is missing or too long.");
            }

            var aad = part.AsSpan(0, headerLength).ToArray();
            var header = Jwe.ParseHeader(Encoding.ASCII.GetString(aad));

            // Policy before any cryptography: no key operation happens for a refused algorithm.
            var padding = JweKeyManagement.CheckPolicy(header, options);

            // 2. Encrypted key.
            var (keyLength, keyEnd) = await reader.ReadPartAsync(part, MaxEncryptedKeyChars, ct).ConfigureAwait(false);
            if (keyEnd == CompactJweStreamReader.PartEnd.EndOfInput)
            {
                throw new JweException(JweFailure.Malformed, PartCountMessage);
            }

            if (keyEnd == CompactJweStreamReader.PartEnd.TooLong)
            {
                throw new JweException(JweFailure.KeyUnwrapFailed, "JWE encrypted key does not match the recipient key size.");
            }

            var encryptedKey = new byte[Base64UrlMaxDecoded(keyLength)];
            if (!CompactJweStreamReader.TryDecodeStrict(part.AsSpan(0, keyLength), encryptedKey, out var encryptedKeyLength))
            {
                throw new JweException(JweFailure.Malformed, "JWE encrypted key is not base64url.");
            }

            // 3. Initialization vector.
            var (ivChars, ivEnd) = await reader.ReadPartAsync(part, MaxSmallPartChars, ct).ConfigureAwait(false);
            if (ivEnd == CompactJweStreamReader.PartEnd.EndOfInput)
            {
                throw new JweException(JweFailure.Malformed, PartCountMessage);
            }

            if (ivEnd == CompactJweStreamReader.PartEnd.TooLong)
            {
                throw new JweException(JweFailure.Malformed, WrongLengthMessage);
            }

            var iv = new byte[MaxSmallPartChars];

            if (!CompactJweStreamReader.TryDecodeStrict(part.AsSpan(0, ivChars), iv, out var ivLength))
            {
                throw new JweException(JweFailure.Malformed, "JWE initialization vector is not base64url.");
            }

            if (ivLength != AesGcmStreamDecryptor.NonceBytes)
            {
                throw new JweException(JweFailure.Malformed, WrongLengthMessage);
            }

            var modulusBytes = (privateKey.KeySize + 7) / 8;
            if (encryptedKeyLength != modulusBytes)
            {
                // Public information only (the key size), so this does not form an oracle.
                throw new JweException(JweFailure.KeyUnwrapFailed, "JWE encrypted key does not match the recipient key size.");
            }

            // 4. Ciphertext, streamed: base64url -> GHASH + CTR -> (inflate) -> destination.
            var wrappedKey = encryptedKey.AsSpan(0, encryptedKeyLength).ToArray();
            var cek = JweKeyManagement.UnwrapOrRandom(wrappedKey, privateKey, padding, out var keepAfterTag);
            // A freshly unwrapped key is kept for the next read only once the tag verified; zeroed in every case after.
            try
            {
                using (var gcm = new AesGcmStreamDecryptor(cek, iv.AsSpan(0, ivLength), aad, ghash))
                {
                    var compressed = header.Zip is not null;
                    await using var source = new CiphertextDecryptingStream(reader, gcm, CiphertextLimit(options.MaxPlaintextBytes, compressed));
                    var (plaintextLength, deferred) = compressed
                        ? await InflateAsync(source, onPlaintextChunk, options.MaxPlaintextBytes, ct).ConfigureAwait(false)
                        : (await CopyAsync(source, onPlaintextChunk, ct).ConfigureAwait(false), null);

                    // Whatever the inflater left (after its end of stream, or after a deferred failure) is authenticated too.
                    await source.DrainAsync(ct).ConfigureAwait(false);

                    // 5. Authentication tag: the last part, then the end of the input.
                    var (tagChars, tagEnd) = await reader.ReadPartAsync(part, MaxSmallPartChars, ct).ConfigureAwait(false);
                    if (tagEnd == CompactJweStreamReader.PartEnd.Dot)
                    {
                        throw new JweException(JweFailure.Malformed, PartCountMessage);
                    }

                    if (tagEnd == CompactJweStreamReader.PartEnd.TooLong)
                    {
                        throw new JweException(JweFailure.Malformed, WrongLengthMessage);
                    }

                    var tag = new byte[MaxSmallPartChars];

                    if (!CompactJweStreamReader.TryDecodeStrict(part.AsSpan(0, tagChars), tag, out var tagLength))
                    {
                        throw new JweException(JweFailure.Malformed, "JWE authentication tag is not base64url.");
                    }

                    if (tagLength != AesGcmStreamDecryptor.TagBytes)
                    {
                        throw new JweException(JweFailure.Malformed, WrongLengthMessage);
                    }

                    if (!gcm.VerifyTag(tag.AsSpan(0, tagLength)))
                    {
                        // Same failure whether the CEK was bad or the tag/ciphertext/header was modified (RFC 7516 11.5).
                        throw new JweException(JweFailure.DecryptionFailed, "JWE could not be decrypted.");
                    }

                    if (keepAfterTag)
                    {
                        JweKeyManagement.KeepVerified(privateKey, wrappedKey, padding, cek);
                    }

                    if (deferred is not null)
                    {
                        throw deferred;
                    }

                    return new JweStreamResult(header, Encoding.ASCII.GetString(part, 0, tagChars), plaintextLength);
                }
            }
            finally
            {
                CryptographicOperations.ZeroMemory(cek);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(part);
        }
    }

    private const string PartCountMessage = "JWE compact serialization must have exactly 5 parts.";
    private const string WrongLengthMessage = "JWE initialization vector or authentication tag has the wrong length.";

    private static int Base64UrlMaxDecoded(int chars) => (chars * 3 / 4) + 3;

    /// <summary>GCM ciphertext length equals the (possibly compressed) plaintext length; DEFLATE may expand slightly.</summary>
    private static long CiphertextLimit(long maxPlaintext, bool compressed)
    {
        var max = AesGcmStreamDecryptor.MaxCiphertextBytes;
        if (maxPlaintext >= max)
        {
            return max;
        }

        return compressed ? Math.Min(max, maxPlaintext + (maxPlaintext / 64) + 1024) : maxPlaintext;
    }

    private static async Task<long> CopyAsync(Stream source, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, ChunkBytes), ct).ConfigureAwait(false)) > 0)
            {
                await sink(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                total += read;
            }

            return total;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Raw DEFLATE (zip "DEF") of the decrypted stream. Inflate errors and the size limit stop the output at once but
    /// are returned, not thrown, so the caller can finish the tag check first (a bad tag must win, as in JweDecryptor).
    /// </summary>
    private static async Task<(long Length, JweException? Deferred)> InflateAsync(
        Stream source, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink, long maxBytes, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            await using var inflater = new DeflateStream(source, CompressionMode.Decompress, leaveOpen: true);
            long total = 0;
            while (true)
            {
                int read;
                try
                {
                    read = await inflater.ReadAsync(buffer.AsMemory(0, ChunkBytes), ct).ConfigureAwait(false);
                }
                catch (InvalidDataException ex)
                {
                    return (total, new JweException(JweFailure.DecompressionFailed, "JWE plaintext could not be decompressed.", ex));
                }

                if (read == 0)
                {
                    return (total, null);
                }

                if (total + read > maxBytes)
                {
                    return (total, new JweException(JweFailure.TooLarge, "JWE plaintext exceeds the size limit after decompression."));
                }

                await sink(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                total += read;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Read-only view of the ciphertext part, decoded and decrypted in place; the inflater pulls from it.</summary>
    private sealed class CiphertextDecryptingStream(CompactJweStreamReader reader, AesGcmStreamDecryptor gcm, long limit) : ReadOnlyForwardStream
    {
        private readonly byte[] _spill = new byte[3];
        private int _spillPosition;
        private int _spillLength;
        private long _count;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            if (_spillLength > 0)
            {
                return TakeSpill(buffer.Span);
            }

            if (buffer.Length < _spill.Length)
            {
                // The decoder works in whole base64 quads (3 bytes); a tinier read is served from a spill buffer.
                _spillPosition = 0;
                _spillLength = await reader.ReadCiphertextAsync(_spill, cancellationToken).ConfigureAwait(false);
                Decrypt(_spill.AsSpan(0, _spillLength), authenticateOnly: false);
                return TakeSpill(buffer.Span);
            }

            var read = await reader.ReadCiphertextAsync(buffer, cancellationToken).ConfigureAwait(false);
            Decrypt(buffer.Span[..read], authenticateOnly: false);
            return read;
        }

        private int TakeSpill(Span<byte> destination)
        {
            var n = Math.Min(destination.Length, _spillLength);
            _spill.AsSpan(_spillPosition, n).CopyTo(destination);
            _spillPosition += n;
            _spillLength -= n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) =>
            throw new NotSupportedException("Use ReadAsync.");

        /// <summary>Authenticates the rest of the ciphertext without decrypting it.</summary>
        public async Task DrainAsync(CancellationToken ct)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            try
            {
                int read;
                while ((read = await reader.ReadCiphertextAsync(buffer.AsMemory(0, ChunkBytes), ct).ConfigureAwait(false)) > 0)
                {
                    Decrypt(buffer.AsSpan(0, read), authenticateOnly: true);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private void Decrypt(Span<byte> ciphertext, bool authenticateOnly)
        {
            _count += ciphertext.Length;
            if (_count > limit)
            {
                throw new JweException(JweFailure.TooLarge, "JWE ciphertext exceeds the size limit.");
            }

            if (authenticateOnly)
            {
                gcm.Authenticate(ciphertext);
            }
            else
            {
                gcm.Decrypt(ciphertext, ciphertext);
            }
        }
    }
}
