using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace IntegrationHub.Jose.Streaming;

/// <summary>
/// AES-GCM decryption in pieces (NIST SP 800-38D), because <see cref="AesGcm"/> is one-shot only.
/// CTR keystream comes from <see cref="SymmetricAlgorithm.EncryptEcb(ReadOnlySpan{byte}, Span{byte}, PaddingMode)"/>
/// over batches of counter blocks; GHASH runs over the ciphertext as it arrives.
/// Plaintext handed out before <see cref="VerifyTag"/> returned true is unauthenticated.
/// </summary>
internal sealed class AesGcmStreamDecryptor : IDisposable
{
    public const int KeyBytes = 32;
    public const int NonceBytes = 12;
    public const int TagBytes = 16;

    /// <summary>SP 800-38D limit for the plaintext: 2^39 - 256 bits.</summary>
    public const long MaxCiphertextBytes = (1L << 36) - 32;

    private const int BlockBytes = 16;
    private const int BatchBlocks = 4096; // 64 KiB of keystream per ECB call

    private readonly Aes _aes;
    private readonly GHash _ghash;
    private readonly byte[] _counterBlocks;
    private readonly byte[] _keystream;
    private readonly byte[] _encryptedJ0 = new byte[BlockBytes];
    private readonly byte[] _pending = new byte[BlockBytes]; // GHASH input not yet a whole block
    private int _pendingLength;
    private int _keystreamPosition;
    private int _keystreamLength;
    private uint _counter = 2; // inc32(J0); J0 itself masks the tag
    private readonly long _aadLength;
    private long _ciphertextLength;
    private bool _finished;
    private bool _disposed;

    public AesGcmStreamDecryptor(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData,
        GHashImplementation ghash = GHashImplementation.Auto)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException("AES-256-GCM needs a 32-byte key.", nameof(key));
        }

        if (nonce.Length != NonceBytes)
        {
            throw new ArgumentException("Only 96-bit nonces are supported.", nameof(nonce));
        }

        _aes = Aes.Create();
        _counterBlocks = ArrayPool<byte>.Shared.Rent(BatchBlocks * BlockBytes);
        _keystream = ArrayPool<byte>.Shared.Rent(BatchBlocks * BlockBytes);
        try
        {
            _aes.SetKey(key);

            Span<byte> block = stackalloc byte[BlockBytes];
            block.Clear();
            Span<byte> hashSubkey = stackalloc byte[BlockBytes];
            _aes.EncryptEcb(block, hashSubkey, PaddingMode.None);
            _ghash = new GHash(hashSubkey, ghash);
            CryptographicOperations.ZeroMemory(hashSubkey);

            nonce.CopyTo(block);
            BinaryPrimitives.WriteUInt32BigEndian(block[NonceBytes..], 1);
            _aes.EncryptEcb(block, _encryptedJ0, PaddingMode.None);

            // The nonce part of every counter block never changes; only the last four bytes are rewritten per batch.
            for (var i = 0; i < BatchBlocks; i++)
            {
                nonce.CopyTo(_counterBlocks.AsSpan(i * BlockBytes, NonceBytes));
            }

            _aadLength = associatedData.Length;
            Absorb(associatedData);
            PadPending();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public bool UsesClmul => _ghash.UsesClmul;

    public long CiphertextLength => _ciphertextLength;

    /// <summary>
    /// Authenticates and decrypts the next piece of ciphertext. <paramref name="plaintext"/> may be the same memory
    /// as <paramref name="ciphertext"/> (in place), but must not overlap it otherwise.
    /// </summary>
    public void Decrypt(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (plaintext.Length < ciphertext.Length)
        {
            throw new ArgumentException("The plaintext buffer is too small.", nameof(plaintext));
        }

        Authenticate(ciphertext); // before the XOR: in place, the ciphertext is gone afterwards
        var done = 0;
        while (done < ciphertext.Length)
        {
            if (_keystreamPosition == _keystreamLength)
            {
                NextKeystream(ciphertext.Length - done);
            }

            var n = Math.Min(ciphertext.Length - done, _keystreamLength - _keystreamPosition);
            Xor(ciphertext.Slice(done, n), _keystream.AsSpan(_keystreamPosition, n), plaintext.Slice(done, n));
            _keystreamPosition += n;
            done += n;
        }
    }

    /// <summary>Feeds ciphertext into the tag computation without decrypting it (used to drain after a deferred failure).</summary>
    public void Authenticate(ReadOnlySpan<byte> ciphertext)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
        {
            throw new InvalidOperationException("The tag has already been computed.");
        }

        if (ciphertext.Length > MaxCiphertextBytes - _ciphertextLength)
        {
            throw new CryptographicException("The ciphertext exceeds the AES-GCM length limit.");
        }

        _ciphertextLength += ciphertext.Length;
        Absorb(ciphertext);
    }

    /// <summary>Finishes GHASH and writes the expected tag (T = GHASH(...) XOR E(K, J0)). Call once.</summary>
    public void ComputeTag(Span<byte> tag)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
        {
            throw new InvalidOperationException("The tag has already been computed.");
        }

        _finished = true;
        PadPending();
        Span<byte> lengths = stackalloc byte[BlockBytes];
        BinaryPrimitives.WriteUInt64BigEndian(lengths, (ulong)_aadLength * 8);
        BinaryPrimitives.WriteUInt64BigEndian(lengths[8..], (ulong)_ciphertextLength * 8);
        _ghash.Update(lengths);

        Span<byte> s = stackalloc byte[BlockBytes];
        _ghash.GetValue(s);
        Xor(s, _encryptedJ0, tag[..TagBytes]);
        CryptographicOperations.ZeroMemory(s);
    }

    /// <summary>Finishes and compares with <paramref name="receivedTag"/> in constant time.</summary>
    public bool VerifyTag(ReadOnlySpan<byte> receivedTag)
    {
        Span<byte> expected = stackalloc byte[TagBytes];
        ComputeTag(expected);
        var ok = receivedTag.Length == TagBytes && CryptographicOperations.FixedTimeEquals(expected, receivedTag);
        CryptographicOperations.ZeroMemory(expected);
        return ok;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_keystream);
        CryptographicOperations.ZeroMemory(_encryptedJ0);
        CryptographicOperations.ZeroMemory(_pending);
        ArrayPool<byte>.Shared.Return(_keystream);
        ArrayPool<byte>.Shared.Return(_counterBlocks);
    }

    private void Absorb(ReadOnlySpan<byte> data)
    {
        if (_pendingLength > 0)
        {
            var take = Math.Min(BlockBytes - _pendingLength, data.Length);
            data[..take].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += take;
            data = data[take..];
            if (_pendingLength < BlockBytes)
            {
                return;
            }

            _ghash.Update(_pending);
            _pendingLength = 0;
        }

        var whole = data.Length & ~(BlockBytes - 1);
        _ghash.Update(data[..whole]);
        data[whole..].CopyTo(_pending);
        _pendingLength = data.Length - whole;
    }

    private void PadPending()
    {
        if (_pendingLength == 0)
        {
            return;
        }

        _pending.AsSpan(_pendingLength).Clear();
        _ghash.Update(_pending);
        _pendingLength = 0;
    }

    private void NextKeystream(int bytesWanted)
    {
        // Only as many blocks as the current request needs (at most one batch), so short messages stay cheap.
        var blocks = Math.Min(BatchBlocks, (bytesWanted + BlockBytes - 1) / BlockBytes);
        var counters = _counterBlocks.AsSpan(0, blocks * BlockBytes);
        for (var i = 0; i < blocks; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(counters.Slice((i * BlockBytes) + NonceBytes, 4), _counter);
            _counter = unchecked(_counter + 1); // inc32 works modulo 2^32; the length limit keeps it from wrapping onto J0
        }

        _aes.EncryptEcb(counters, _keystream.AsSpan(0, counters.Length), PaddingMode.None);
        _keystreamPosition = 0;
        _keystreamLength = counters.Length;
    }

    private static void Xor(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> destination)
    {
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        ref var rd = ref MemoryMarshal.GetReference(destination);
        var length = a.Length;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= length; i += 32)
            {
                (Vector256.LoadUnsafe(ref ra, (nuint)i) ^ Vector256.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref rd, (nuint)i);
            }
        }

        for (; i + 16 <= length; i += 16)
        {
            (Vector128.LoadUnsafe(ref ra, (nuint)i) ^ Vector128.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref rd, (nuint)i);
        }

        for (; i < length; i++)
        {
            destination[i] = (byte)(a[i] ^ b[i]);
        }
    }
}
