using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Storage;

namespace IntegrationHub.Security.AtRest;

/// <summary>
/// Reads as the chunked envelope of its source: the header, then one record per chunk (flag, ciphertext, tag), each
/// encrypted when it is read. Holds one chunk at a time. The last chunk is flagged (and the flag authenticated), so
/// a blob cut at a chunk boundary does not pass for complete.
/// </summary>
internal sealed class ChunkEncryptingStream : ReadOnlyForwardStream
{
    private readonly Stream _source;
    private readonly AesGcm _aes;
    private readonly AtRestEnvelope _envelope;
    private readonly byte[] _header;
    private readonly byte[] _associatedData;
    private readonly byte[] _plain;
    private readonly byte[] _output;
    private int _outputPosition;
    private int _outputLength;
    private uint _index;
    private bool _headerSent;
    private bool _finished;
    private int _carried = -1; // the byte read ahead to learn whether a full chunk was the last

    public ChunkEncryptingStream(Stream source, byte[] key, AtRestEnvelope envelope, string associatedData)
    {
        _source = source;
        _aes = new AesGcm(key, AtRestEnvelope.TagBytes);
        _envelope = envelope;
        _header = envelope.ToBytes();
        _associatedData = Encoding.UTF8.GetBytes(associatedData);
        _plain = new byte[envelope.ChunkSize];
        _output = new byte[1 + envelope.ChunkSize + AtRestEnvelope.TagBytes];
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0) return 0;
        while (_outputPosition == _outputLength)
        {
            if (_finished) return 0;
            await NextAsync(cancellationToken);
        }
        var n = Math.Min(buffer.Length, _outputLength - _outputPosition);
        _output.AsMemory(_outputPosition, n).CopyTo(buffer);
        _outputPosition += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private async Task NextAsync(CancellationToken ct)
    {
        _outputPosition = 0;
        if (!_headerSent)
        {
            _headerSent = true;
            _header.CopyTo(_output, 0);
            _outputLength = _header.Length;
            return;
        }
        var length = 0;
        if (_carried >= 0)
        {
            _plain[0] = (byte)_carried;
            length = 1;
            _carried = -1;
        }
        length += await _source.ReadAtLeastAsync(_plain.AsMemory(length), _plain.Length - length, throwOnEndOfStream: false, ct);
        var last = length < _plain.Length;
        if (!last)
        {
            var one = new byte[1];
            if (await _source.ReadAsync(one, ct) == 0) last = true;
            else _carried = one[0];
        }
        _output[0] = last ? (byte)1 : (byte)0;
        Span<byte> nonce = stackalloc byte[AtRestEnvelope.NonceBytes];
        AtRestProtector.ChunkNonce(_envelope.NoncePrefix, _index, nonce);
        _aes.Encrypt(nonce, _plain.AsSpan(0, length), _output.AsSpan(1, length), _output.AsSpan(1 + length, AtRestEnvelope.TagBytes),
            AtRestProtector.ChunkContext(_header, _index, last, _associatedData));
        _outputLength = 1 + length + AtRestEnvelope.TagBytes;
        _index = checked(_index + 1);
        _finished = last;
    }

    protected override void Dispose(bool disposing)
    {
        // The source stays the caller's: a report's document is written again from it on a second try.
        if (disposing) _aes.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>
/// The plaintext of a chunked envelope (its header already read): each chunk is authenticated before any of it is
/// handed out; a missing last chunk, data after it, or a changed chunk throws <see cref="AtRestDataException"/>.
/// </summary>
internal sealed class ChunkDecryptingStream : ReadOnlyForwardStream
{
    private readonly Stream _source;
    private readonly AesGcm _aes;
    private readonly AtRestEnvelope _envelope;
    private readonly byte[] _header;
    private readonly byte[] _associatedData;
    private readonly byte[] _record;
    private readonly byte[] _plain;
    private int _plainPosition;
    private int _plainLength;
    private uint _index;
    private bool _finished;

    public ChunkDecryptingStream(Stream source, byte[] key, AtRestEnvelope envelope, byte[] header, string associatedData)
    {
        _source = source;
        _aes = new AesGcm(key, AtRestEnvelope.TagBytes);
        _envelope = envelope;
        _header = header;
        _associatedData = Encoding.UTF8.GetBytes(associatedData);
        // One byte more than a record: reading the last one finds out whether anything follows it.
        _record = new byte[envelope.ChunkSize + AtRestEnvelope.TagBytes + 1];
        _plain = new byte[envelope.ChunkSize];
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0) return 0;
        while (_plainPosition == _plainLength)
        {
            if (_finished) return 0;
            await NextAsync(cancellationToken);
        }
        var n = Math.Min(buffer.Length, _plainLength - _plainPosition);
        _plain.AsMemory(_plainPosition, n).CopyTo(buffer);
        _plainPosition += n;
        return n;
    }

    private async Task NextAsync(CancellationToken ct)
    {
        var flag = new byte[1];
        if (await _source.ReadAtLeastAsync(flag, 1, throwOnEndOfStream: false, ct) == 0) throw AtRestEnvelope.Unreadable("it is cut short");
        if (flag[0] > 1) throw AtRestEnvelope.Unreadable("a chunk's flag is impossible");
        var last = flag[0] == 1;
        var full = _envelope.ChunkSize + AtRestEnvelope.TagBytes;
        int length;
        if (!last)
        {
            length = await _source.ReadAtLeastAsync(_record.AsMemory(0, full), full, throwOnEndOfStream: false, ct);
            if (length < full) throw AtRestEnvelope.Unreadable("it is cut short");
        }
        else
        {
            length = await _source.ReadAtLeastAsync(_record, _record.Length, throwOnEndOfStream: false, ct);
            if (length > full) throw AtRestEnvelope.Unreadable("data follows its last chunk");
            if (length < AtRestEnvelope.TagBytes) throw AtRestEnvelope.Unreadable("it is cut short");
        }
        var plainLength = length - AtRestEnvelope.TagBytes;
        Span<byte> nonce = stackalloc byte[AtRestEnvelope.NonceBytes];
        AtRestProtector.ChunkNonce(_envelope.NoncePrefix, _index, nonce);
        try
        {
            _aes.Decrypt(nonce, _record.AsSpan(0, plainLength), _record.AsSpan(plainLength, AtRestEnvelope.TagBytes), _plain.AsSpan(0, plainLength),
                AtRestProtector.ChunkContext(_header, _index, last, _associatedData));
        }
        catch (CryptographicException)
        {
            throw AtRestEnvelope.Unreadable("a chunk was changed, moved, or belongs to another blob");
        }
        _plainPosition = 0;
        _plainLength = plainLength;
        _index = checked(_index + 1);
        _finished = last;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes.Dispose();
            _source.Dispose();
        }
        base.Dispose(disposing);
    }
}
