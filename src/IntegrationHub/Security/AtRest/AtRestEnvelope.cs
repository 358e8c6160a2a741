using System.Buffers.Binary;
using System.Text;

namespace IntegrationHub.Security.AtRest;

/// <summary>
/// The self-describing header of data protected at rest: magic "IHAR", format version, kind (sealed in one piece or
/// chunked), the ARS whose key it is and the key's version; then, sealed: nonce (12) | tag (16) | ciphertext; chunked:
/// chunk size (4) | nonce prefix (8) | records of flag (1: 1 = last) | ciphertext | tag (16). The header is part of every
/// piece's associated data, so changing the ARS, the version or the chunk size makes it unreadable.
/// </summary>
public sealed record AtRestEnvelope(AtRestEnvelope.Kinds Kind, string Ars, int KeyVersion, int ChunkSize, byte[] NoncePrefix)
{
    public enum Kinds : byte { Sealed = 1, Chunked = 2 }

    public static ReadOnlySpan<byte> Magic => "IHAR"u8;
    public const byte FormatVersion = 1;
    /// <summary>Text columns: this prefix and the envelope in base64; anything else is legacy plaintext.</summary>
    public const string TextPrefix = "$ihar1$";
    public const int NonceBytes = 12;
    public const int TagBytes = 16;
    public const int NoncePrefixBytes = 8;
    /// <summary>Magic, format version, kind and the ARS's length: what must be read before the rest of the header.</summary>
    public const int FixedBytes = 7;

    public static bool StartsWithMagic(ReadOnlySpan<byte> data) => data.Length >= Magic.Length && data[..Magic.Length].SequenceEqual(Magic);

    public byte[] ToBytes()
    {
        var ars = Encoding.ASCII.GetBytes(Ars);
        var header = new byte[FixedBytes + ars.Length + 4 + (Kind == Kinds.Chunked ? 4 + NoncePrefixBytes : 0)];
        Magic.CopyTo(header);
        header[4] = FormatVersion;
        header[5] = (byte)Kind;
        header[6] = (byte)ars.Length;
        ars.CopyTo(header, FixedBytes);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(FixedBytes + ars.Length), KeyVersion);
        if (Kind == Kinds.Chunked)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(FixedBytes + ars.Length + 4), ChunkSize);
            NoncePrefix.CopyTo(header, FixedBytes + ars.Length + 8);
        }
        return header;
    }

    /// <summary>How many header bytes follow the fixed part (known once the fixed part is read).</summary>
    public static int RestLength(ReadOnlySpan<byte> fixedPart)
    {
        Check(fixedPart);
        return fixedPart[6] + 4 + ((Kinds)fixedPart[5] == Kinds.Chunked ? 4 + NoncePrefixBytes : 0);
    }

    public static AtRestEnvelope Parse(ReadOnlySpan<byte> header)
    {
        var rest = RestLength(header);
        if (header.Length < FixedBytes + rest) throw Unreadable("its header is cut short");
        var arsLength = header[6];
        var ars = Encoding.ASCII.GetString(header.Slice(FixedBytes, arsLength));
        var version = BinaryPrimitives.ReadInt32BigEndian(header[(FixedBytes + arsLength)..]);
        var kind = (Kinds)header[5];
        if (kind == Kinds.Sealed) return new AtRestEnvelope(kind, ars, version, 0, []);
        var chunkSize = BinaryPrimitives.ReadInt32BigEndian(header[(FixedBytes + arsLength + 4)..]);
        if (chunkSize is < 1 or > AtRestProtector.MaxChunkSize) throw Unreadable("its chunk size is impossible");
        return new AtRestEnvelope(kind, ars, version, chunkSize, header.Slice(FixedBytes + arsLength + 8, NoncePrefixBytes).ToArray());
    }

    private static void Check(ReadOnlySpan<byte> fixedPart)
    {
        if (fixedPart.Length < FixedBytes || !StartsWithMagic(fixedPart)) throw Unreadable("it is no envelope");
        if (fixedPart[4] != FormatVersion) throw Unreadable($"its format version {fixedPart[4]} is unknown");
        if ((Kinds)fixedPart[5] is not (Kinds.Sealed or Kinds.Chunked)) throw Unreadable("its kind is unknown");
        if (fixedPart[6] is 0 or > 12) throw Unreadable("its ARS is impossible");
    }

    internal static AtRestDataException Unreadable(string why) => new($"Data protected at rest cannot be read: {why}.");
}
