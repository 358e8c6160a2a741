using System.Buffers;
using System.Buffers.Text;

namespace IntegrationHub.Jose.Streaming;

/// <summary>
/// Reads a compact JWE (ASCII bytes) part by part from a stream with one pooled buffer: the small parts into
/// caller buffers with a bound, the ciphertext through a strict streaming base64url decoder (RFC 7515 2: alphabet
/// [A-Za-z0-9-_], no padding, no whitespace, canonical trailing bits), so no part is ever held whole.
/// </summary>
internal sealed class CompactJweStreamReader : IDisposable
{
    public const int BufferBytes = 64 * 1024;

    private static readonly SearchValues<byte> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"u8);

    private readonly Stream _input;
    private byte[]? _buffer;
    private int _position;
    private int _length;
    private bool _endOfInput;

    // Up to three base64url characters carried from one read to the next (a quad split across reads).
    private readonly byte[] _carry = new byte[4];
    private int _carryLength;
    private bool _ciphertextDone;

    public CompactJweStreamReader(Stream input)
    {
        _input = input;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
    }

    /// <summary>How a bounded part ended.</summary>
    public enum PartEnd
    {
        /// <summary>A '.' followed (consumed).</summary>
        Dot,

        /// <summary>The input ended.</summary>
        EndOfInput,

        /// <summary>More than the bound before any terminator; nothing after the bound was consumed.</summary>
        TooLong,
    }

    /// <summary>Reads one part up to its '.' or the end of the input into <paramref name="destination"/> (at most its length).</summary>
    public async ValueTask<(int Length, PartEnd End)> ReadPartAsync(byte[] destination, int maxLength, CancellationToken ct)
    {
        var length = 0;
        while (true)
        {
            if (_position == _length && !await FillAsync(ct).ConfigureAwait(false))
            {
                return (length, PartEnd.EndOfInput);
            }

            var available = Buffer.AsSpan(_position, _length - _position);
            var dot = available.IndexOf((byte)'.');
            var piece = dot >= 0 ? available[..dot] : available;
            if (piece.Length > maxLength - length)
            {
                return (length, PartEnd.TooLong);
            }

            piece.CopyTo(destination.AsSpan(length));
            length += piece.Length;
            _position += piece.Length;
            if (dot >= 0)
            {
                _position++;
                return (length, PartEnd.Dot);
            }
        }
    }

    /// <summary>
    /// Decodes the next ciphertext bytes into <paramref name="destination"/> (at least 3 bytes long). Returns 0 once
    /// the ciphertext part ended with its '.', which is then consumed.
    /// </summary>
    /// <exception cref="JweException">Malformed: not strict base64url, or the input ends inside the ciphertext.</exception>
    public async ValueTask<int> ReadCiphertextAsync(Memory<byte> destination, CancellationToken ct)
    {
        if (destination.Length < 3)
        {
            throw new ArgumentException("The destination must hold at least one base64 quad.", nameof(destination));
        }

        while (!_ciphertextDone)
        {
            if (_position == _length && !await FillAsync(ct).ConfigureAwait(false))
            {
                throw new JweException(JweFailure.Malformed, "JWE compact serialization must have exactly 5 parts.");
            }

            var written = DecodeAvailable(destination.Span);
            if (written > 0)
            {
                return written;
            }
        }

        return 0;
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    /// <summary>Strict base64url decoding of a whole (small) part, as <see cref="Base64UrlStrict.TryDecode"/>.</summary>
    public static bool TryDecodeStrict(ReadOnlySpan<byte> encoded, Span<byte> destination, out int written)
    {
        written = 0;
        if (encoded.Length % 4 == 1 || encoded.IndexOfAnyExcept(Alphabet) >= 0 || !HasCanonicalTail(encoded))
        {
            return false;
        }

        if (Base64Url.GetMaxDecodedLength(encoded.Length) > destination.Length)
        {
            return false;
        }

        return Base64Url.DecodeFromUtf8(encoded, destination, out _, out written) == OperationStatus.Done;
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(CompactJweStreamReader));

    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        if (_endOfInput)
        {
            return false;
        }

        var read = await _input.ReadAsync(Buffer.AsMemory(0, BufferBytes), ct).ConfigureAwait(false);
        _position = 0;
        _length = read;
        if (read == 0)
        {
            _endOfInput = true;
            return false;
        }

        return true;
    }

    /// <summary>Decodes what the buffer holds (up to the capacity of <paramref name="destination"/>).</summary>
    private int DecodeAvailable(Span<byte> destination)
    {
        var available = Buffer.AsSpan(_position, _length - _position);
        var dot = available.IndexOf((byte)'.');
        var segment = dot >= 0 ? available[..dot] : available;
        var consumed = 0;
        var written = 0;

        // Complete a quad left over from the previous read.
        if (_carryLength > 0)
        {
            var take = Math.Min(4 - _carryLength, segment.Length);
            RequireAlphabet(segment[..take]);
            segment[..take].CopyTo(_carry.AsSpan(_carryLength));
            _carryLength += take;
            consumed += take;
            if (_carryLength == 4)
            {
                written += DecodeQuads(_carry, destination);
                _carryLength = 0;
            }
        }

        // Whole quads straight from the buffer, as many as the destination takes.
        var rest = segment[consumed..];
        var quads = Math.Min(rest.Length / 4, (destination.Length - written) / 3);
        if (quads > 0 && _carryLength == 0)
        {
            var chars = rest[..(quads * 4)];
            RequireAlphabet(chars);
            written += DecodeQuads(chars, destination[written..]);
            consumed += chars.Length;
            rest = rest[chars.Length..];
        }

        // A short remainder waits for the next read, unless the destination was what stopped us.
        if (rest.Length is > 0 and < 4 && _carryLength == 0)
        {
            RequireAlphabet(rest);
            rest.CopyTo(_carry);
            _carryLength = rest.Length;
            consumed += rest.Length;
            rest = [];
        }

        if (dot >= 0 && rest.IsEmpty)
        {
            // The ciphertext part ends here: decode the final 2 or 3 characters (canonical), then consume the '.'.
            if (destination.Length - written < 2)
            {
                _position += consumed;
                return written;
            }

            written += DecodeTail(destination[written..]);
            consumed++; // the '.'
            _ciphertextDone = true;
        }

        _position += consumed;
        return written;
    }

    private int DecodeTail(Span<byte> destination)
    {
        var tail = _carry.AsSpan(0, _carryLength);
        _carryLength = 0;
        if (tail.Length == 0)
        {
            return 0;
        }

        if (tail.Length == 1 || !HasCanonicalTail(tail))
        {
            throw Malformed();
        }

        if (Base64Url.DecodeFromUtf8(tail, destination, out _, out var written) != OperationStatus.Done)
        {
            throw Malformed();
        }

        return written;
    }

    private static int DecodeQuads(ReadOnlySpan<byte> chars, Span<byte> destination)
    {
        if (Base64Url.DecodeFromUtf8(chars, destination, out var consumed, out var written) != OperationStatus.Done || consumed != chars.Length)
        {
            throw Malformed();
        }

        return written;
    }

    private static void RequireAlphabet(ReadOnlySpan<byte> chars)
    {
        if (chars.IndexOfAnyExcept(Alphabet) >= 0)
        {
            throw Malformed();
        }
    }

    // Non-canonical encodings (unused trailing bits set) are refused, so one value has exactly one spelling.
    private static bool HasCanonicalTail(ReadOnlySpan<byte> encoded)
    {
        var rest = encoded.Length % 4;
        if (rest == 0)
        {
            return true;
        }

        var unusedMask = rest == 2 ? 0x0F : 0x03;
        return (SextetOf(encoded[^1]) & unusedMask) == 0;
    }

    private static int SextetOf(byte c) => c switch
    {
        >= (byte)'A' and <= (byte)'Z' => c - 'A',
        >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
        >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
        (byte)'-' => 62,
        _ => 63,
    };

    private static JweException Malformed() => new(JweFailure.Malformed, "JWE ciphertext is not base64url.");
}
