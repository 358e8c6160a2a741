using IntegrationHub.Storage;

namespace IntegrationHub.Intake;

/// <summary>
/// Watches a JWE compact serialization stream by as it is copied to the blob store: counts the
/// parts, checks the base64url alphabet and keeps the last part (the authentication tag),
/// without ever holding the whole body in memory.
/// </summary>
public sealed class JweCompactInspector(Stream inner, long maxBytes) : ReadOnlyForwardStream
{
    private const int MaxTagChars = 64;
    private static readonly System.Buffers.SearchValues<byte> Base64UrlAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"u8);
    private readonly System.Text.StringBuilder _tag = new();
    private long _length;
    private int _dots;
    private bool _invalidCharacter;

    public bool IsWellFormed => !_invalidCharacter && _dots == 4 && _tag.Length > 0;
    public bool TooLarge => _length > maxBytes;
    public string AuthenticationTag => _tag.ToString();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var read = await inner.ReadAsync(buffer, ct);
        Inspect(buffer.Span[..read]);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Inspect(buffer.AsSpan(offset, read));
        return read;
    }

    private void Inspect(ReadOnlySpan<byte> chunk)
    {
        _length += chunk.Length;
        if (_length > maxBytes) throw new PayloadTooLargeException();
        // Runs of base64url characters are skipped vectorized; only the dots (and anything else) stop the search.
        while (!chunk.IsEmpty)
        {
            var stop = chunk.IndexOfAnyExcept(Base64UrlAlphabet);
            var run = stop < 0 ? chunk : chunk[..stop];
            if (_dots == 4 && !run.IsEmpty)
            {
                if (_tag.Length + run.Length > MaxTagChars) _invalidCharacter = true;
                else foreach (var b in run) _tag.Append((char)b);
            }
            if (stop < 0) return;
            if (chunk[stop] == (byte)'.')
            {
                _dots++;
                if (_dots == 4) _tag.Clear();
            }
            else _invalidCharacter = true;
            chunk = chunk[(stop + 1)..];
        }
    }

    // Bytes read so far: the intake API records it as the stored size. Still not seekable.
    public override long Position { get => _length; set => throw new NotSupportedException(); }
}

public sealed class PayloadTooLargeException() : Exception("The payload exceeds the configured limit.");
