using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Storage;

namespace IntegrationHub.Security.AtRest;

/// <summary>
/// Encrypts data at rest with its municipality's data key (AES-256-GCM, <see cref="MunicipalityDataKeys"/>) in a
/// self-describing envelope (<see cref="AtRestEnvelope"/>). The caller's associated data names where the data lives (a
/// row and column, a blob name), so a ciphertext copied to another row or blob does not decrypt. What is not an envelope
/// is read as legacy plaintext, written before this protection existed, only where <see cref="LegacyPlaintextPolicy"/>
/// allows it: otherwise whoever can write to the ledger or blob store could plant a value the hub takes as its own.
/// </summary>
public sealed class AtRestProtector(MunicipalityDataKeys keys, LegacyPlaintextPolicy legacy)
{
    public const int DefaultChunkSize = 64 * 1024;
    public const int MaxChunkSize = 4 * 1024 * 1024;

    public async Task<byte[]> ProtectAsync(string? ars, ReadOnlyMemory<byte> plaintext, string associatedData, CancellationToken ct)
    {
        var key = await keys.CurrentAsync(ars, ct);
        var header = new AtRestEnvelope(AtRestEnvelope.Kinds.Sealed, key.Ars, key.Version, 0, []).ToBytes();
        var output = new byte[header.Length + AtRestEnvelope.NonceBytes + AtRestEnvelope.TagBytes + plaintext.Length];
        header.CopyTo(output, 0);
        var nonce = output.AsSpan(header.Length, AtRestEnvelope.NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Key, AtRestEnvelope.TagBytes);
        aes.Encrypt(nonce, plaintext.Span, output.AsSpan(header.Length + AtRestEnvelope.NonceBytes + AtRestEnvelope.TagBytes),
            output.AsSpan(header.Length + AtRestEnvelope.NonceBytes, AtRestEnvelope.TagBytes), SealedContext(header, associatedData));
        return output;
    }

    /// <exception cref="AtRestDataException">Tampered, keyed for another municipality, or bound to other associated data.</exception>
    public async Task<byte[]> UnprotectAsync(string? ars, byte[] stored, string associatedData, CancellationToken ct)
    {
        if (!AtRestEnvelope.StartsWithMagic(stored))
        {
            await legacy.RequireAllowedAsync(ct);
            return stored; // legacy plaintext
        }
        var envelope = AtRestEnvelope.Parse(stored);
        if (envelope.Kind != AtRestEnvelope.Kinds.Sealed) throw AtRestEnvelope.Unreadable("it is chunked where one piece is expected");
        var key = await KeyForAsync(ars, envelope, ct);
        var headerLength = envelope.ToBytes().Length;
        var body = stored.AsSpan(headerLength);
        if (body.Length < AtRestEnvelope.NonceBytes + AtRestEnvelope.TagBytes) throw AtRestEnvelope.Unreadable("it is cut short");
        var plaintext = new byte[body.Length - AtRestEnvelope.NonceBytes - AtRestEnvelope.TagBytes];
        try
        {
            using var aes = new AesGcm(key.Key, AtRestEnvelope.TagBytes);
            aes.Decrypt(body[..AtRestEnvelope.NonceBytes], body[(AtRestEnvelope.NonceBytes + AtRestEnvelope.TagBytes)..],
                body.Slice(AtRestEnvelope.NonceBytes, AtRestEnvelope.TagBytes), plaintext, SealedContext(stored.AsSpan(0, headerLength), associatedData));
        }
        catch (CryptographicException)
        {
            throw AtRestEnvelope.Unreadable("it was changed, or it belongs to another row or blob");
        }
        return plaintext;
    }

    /// <summary>Text for a ledger column: <see cref="AtRestEnvelope.TextPrefix"/> and the envelope in base64; null stays null.</summary>
    public async Task<string?> ProtectTextAsync(string? ars, string? plaintext, string associatedData, CancellationToken ct) =>
        plaintext is null ? null
            : AtRestEnvelope.TextPrefix + Convert.ToBase64String(await ProtectAsync(ars, Encoding.UTF8.GetBytes(plaintext), associatedData, ct));

    /// <summary>The text of a protected column; a value without the prefix is legacy plaintext, returned as it is where the policy allows.</summary>
    public async Task<string?> UnprotectTextAsync(string? ars, string? stored, string associatedData, CancellationToken ct)
    {
        if (stored is null) return null;
        if (!IsProtectedText(stored))
        {
            await legacy.RequireAllowedAsync(ct);
            return stored; // legacy plaintext
        }
        byte[] envelope;
        try { envelope = Convert.FromBase64String(stored![AtRestEnvelope.TextPrefix.Length..]); }
        catch (FormatException) { throw AtRestEnvelope.Unreadable("its text is no base64"); }
        if (!AtRestEnvelope.StartsWithMagic(envelope)) throw AtRestEnvelope.Unreadable("it is no envelope");
        return Encoding.UTF8.GetString(await UnprotectAsync(ars, envelope, associatedData, ct));
    }

    public static bool IsProtectedText(string? stored) => stored is not null && stored.StartsWith(AtRestEnvelope.TextPrefix, StringComparison.Ordinal);

    /// <summary>
    /// A stream that reads as the envelope of <paramref name="plaintext"/>, encrypted chunk by chunk while it is read
    /// (constant memory, whatever the size): for <see cref="IBlobStore.PutAsync"/>.
    /// </summary>
    public async Task<Stream> ProtectStreamAsync(string? ars, Stream plaintext, string associatedData, CancellationToken ct, int chunkSize = DefaultChunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkSize, MaxChunkSize);
        var key = await keys.CurrentAsync(ars, ct);
        var envelope = new AtRestEnvelope(AtRestEnvelope.Kinds.Chunked, key.Ars, key.Version, chunkSize, RandomNumberGenerator.GetBytes(AtRestEnvelope.NoncePrefixBytes));
        return new ChunkEncryptingStream(plaintext, key.Key, envelope, associatedData);
    }

    /// <summary>
    /// The plaintext of a stored stream, decrypted chunk by chunk while it is read; each chunk is checked before it is
    /// handed out, and a stream cut short or changed throws <see cref="AtRestDataException"/>. A stream that is no envelope
    /// is legacy plaintext, read as it is where the policy allows.
    /// </summary>
    public async Task<Stream> UnprotectStreamAsync(string? ars, Stream stored, string associatedData, CancellationToken ct)
    {
        var start = new byte[AtRestEnvelope.FixedBytes];
        var read = await stored.ReadAtLeastAsync(start, start.Length, throwOnEndOfStream: false, ct);
        if (read < AtRestEnvelope.Magic.Length || !AtRestEnvelope.StartsWithMagic(start.AsSpan(0, read)))
        {
            await legacy.RequireAllowedAsync(ct);
            return new PrefixedStream(start.AsMemory(0, read), stored); // legacy plaintext
        }
        if (read < start.Length) throw AtRestEnvelope.Unreadable("its header is cut short");
        var rest = new byte[AtRestEnvelope.RestLength(start)];
        if (await stored.ReadAtLeastAsync(rest, rest.Length, throwOnEndOfStream: false, ct) < rest.Length)
            throw AtRestEnvelope.Unreadable("its header is cut short");
        var header = start.Concat(rest).ToArray();
        var envelope = AtRestEnvelope.Parse(header);
        if (envelope.Kind != AtRestEnvelope.Kinds.Chunked) throw AtRestEnvelope.Unreadable("it is one piece where chunks are expected");
        var key = await KeyForAsync(ars, envelope, ct);
        return new ChunkDecryptingStream(stored, key.Key, envelope, header, associatedData);
    }

    /// <summary>Writes a blob protected, the blob's name as associated data.</summary>
    public async Task PutBlobAsync(IBlobStore blobs, string? ars, string name, Stream plaintext, CancellationToken ct)
    {
        await using var protectedStream = await ProtectStreamAsync(ars, plaintext, BlobContext(name), ct);
        await blobs.PutAsync(name, protectedStream, ct);
    }

    /// <summary>Opens a blob written by <see cref="PutBlobAsync"/> (or a legacy plaintext blob) for reading its plaintext.</summary>
    public async Task<Stream> OpenBlobAsync(IBlobStore blobs, string? ars, string name, CancellationToken ct)
    {
        var stored = await blobs.OpenReadAsync(name, ct);
        try
        {
            return await UnprotectStreamAsync(ars, stored, BlobContext(name), ct);
        }
        catch
        {
            await stored.DisposeAsync();
            throw;
        }
    }

    public static string BlobContext(string name) => "blob:" + name;

    private async Task<DataKey> KeyForAsync(string? ars, AtRestEnvelope envelope, CancellationToken ct)
    {
        var expected = MunicipalityDataKeys.KeyArs(ars);
        if (envelope.Ars != expected) throw AtRestEnvelope.Unreadable($"it is keyed for municipality {envelope.Ars}, not {expected}");
        return await keys.GetAsync(envelope.Ars, envelope.KeyVersion, ct);
    }

    private static byte[] SealedContext(ReadOnlySpan<byte> header, string associatedData) => [.. header, .. Encoding.UTF8.GetBytes(associatedData)];

    /// <summary>A chunk's associated data: the header, its index and whether it is the last, and the caller's.</summary>
    internal static byte[] ChunkContext(byte[] header, uint index, bool last, byte[] associatedData)
    {
        var context = new byte[header.Length + 5 + associatedData.Length];
        header.CopyTo(context, 0);
        BinaryPrimitives.WriteUInt32BigEndian(context.AsSpan(header.Length), index);
        context[header.Length + 4] = last ? (byte)1 : (byte)0;
        associatedData.CopyTo(context, header.Length + 5);
        return context;
    }

    internal static void ChunkNonce(byte[] prefix, uint index, Span<byte> nonce)
    {
        prefix.CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[AtRestEnvelope.NoncePrefixBytes..], index);
    }
}
