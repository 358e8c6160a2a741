using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.UnitTests.Jose.Streaming;

/// <summary>A write-only destination that counts and (optionally) hashes and keeps what it is given; completes synchronously.</summary>
internal sealed class RecordingStream(bool keep = true, bool hash = true) : Stream
{
    private readonly MemoryStream? _kept = keep ? new MemoryStream() : null;
    private readonly IncrementalHash? _sha512 = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA512) : null;

    public long Count { get; private set; }

    public byte[] Bytes => _kept?.ToArray() ?? throw new InvalidOperationException("Not kept.");

    public string Sha512Hex() => Convert.ToHexStringLower((_sha512 ?? throw new InvalidOperationException("Not hashed.")).GetCurrentHash());

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => Count;

    public override long Position
    {
        get => Count;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Count += buffer.Length;
        _sha512?.AppendData(buffer);
        _kept?.Write(buffer);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha512?.Dispose();
            _kept?.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// Serves an inner stream synchronously (ReadAsync completes on the calling thread), optionally in small random pieces,
/// so part boundaries fall anywhere and allocations can be counted per thread.
/// </summary>
internal sealed class SyncPieceStream(Stream inner, Random? pieces = null, int maxPiece = 7) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (pieces is not null && buffer.Length > 1)
        {
            buffer = buffer[..Math.Min(buffer.Length, pieces.Next(1, maxPiece + 1))];
        }

        return inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

internal static class StreamingTestData
{
    /// <summary>Deterministic bytes; <paramref name="compressible"/> draws from 16 letters so DEFLATE has something to do.</summary>
    public static byte[] Plaintext(int length, int seed, bool compressible = false)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        if (compressible)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)('a' + (bytes[i] & 0x0F));
            }
        }

        return bytes;
    }

    /// <summary>The compact form as the blob store holds it (UTF-8, so a stray non-ASCII character arrives as raw high bytes).</summary>
    public static MemoryStream Input(string compact) => new(Encoding.UTF8.GetBytes(compact), writable: false);

    /// <summary>
    /// Writes a compact JWE (RSA-OAEP-256, A256GCM) for a large plaintext to a file without building it as a string:
    /// AES-GCM by the platform's one-shot <see cref="AesGcm"/> (independent of the code under test), in place,
    /// so the plaintext buffer is overwritten. Returns the authentication tag part.
    /// </summary>
    public static string WriteLargeJwe(string path, byte[] plaintextOverwritten, RSA recipientPublicKey)
    {
        var header = Base64Url.EncodeToString("""{"alg":"RSA-OAEP-256","enc":"A256GCM","cty":"application/pdf"}"""u8);
        var cek = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(12);
        var tag = new byte[16];
        using (var gcm = new AesGcm(cek, 16))
        {
            gcm.Encrypt(iv, plaintextOverwritten, plaintextOverwritten, tag, Encoding.ASCII.GetBytes(header));
        }

        var encryptedKey = recipientPublicKey.Encrypt(cek, RSAEncryptionPadding.OaepSHA256);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        void Write(string text) => file.Write(Encoding.ASCII.GetBytes(text));
        Write(header + "." + Base64Url.EncodeToString(encryptedKey) + "." + Base64Url.EncodeToString(iv) + ".");
        const int Chunk = 3 * 64 * 1024; // a multiple of 3, so the chunks' encodings concatenate without padding
        var encoded = new byte[Base64Url.GetEncodedLength(Chunk)];
        for (var offset = 0; offset < plaintextOverwritten.Length; offset += Chunk)
        {
            var piece = plaintextOverwritten.AsSpan(offset, Math.Min(Chunk, plaintextOverwritten.Length - offset));
            var written = Base64Url.EncodeToUtf8(piece, encoded);
            file.Write(encoded, 0, written);
        }

        var tagPart = Base64Url.EncodeToString(tag);
        Write("." + tagPart);
        return tagPart;
    }
}
