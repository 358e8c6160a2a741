using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.OnceOnly.Protocol;

/// <summary>
/// The hash chain of the access protocol. A row's hash is the SHA-256, as lower-case hex, of the UTF-8 bytes of this
/// canonical form (version 1):
/// <code>
/// integrationhub-access-protocol-v1\n
/// then one line per field, in this order:
///   sequence, previousHash, at, requestId, requesterArs, requesterAuthority, requesterProcedure, personPseudonym,
///   evidenceType, purpose, legalBasis, consentReference, outcome, reasonCode, provider
/// each line "&lt;name&gt;:&lt;length&gt;:&lt;value&gt;\n" with the value's length in UTF-8 bytes, or "&lt;name&gt;:-\n" for null.
/// </code>
/// The length prefix makes it unambiguous whatever the values contain (colons, line breaks), and null differs from "".
/// Values: sequence in invariant decimal; at in UTC as yyyy-MM-ddTHH:mm:ss.fffZ (milliseconds: the finest precision
/// that both SQLite's stored ticks and PostgreSQL's timestamptz keep, see <see cref="Normalize"/>); requestId as
/// lower-case "D" format; strings as they are stored.
/// </summary>
public static class AccessProtocolChain
{
    /// <summary>The previous hash of the first row.</summary>
    public static readonly string Genesis = new('0', 64);

    public const string Version = "integrationhub-access-protocol-v1";

    /// <summary>The instant as it is hashed and stored: UTC, truncated to whole milliseconds.</summary>
    public static DateTimeOffset Normalize(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }

    public static string FormatAt(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Canonical(AccessProtocolRecord r)
    {
        var text = new StringBuilder(Version).Append('\n');
        Field(text, "sequence", r.Sequence.ToString(CultureInfo.InvariantCulture));
        Field(text, "previousHash", r.PreviousHash);
        Field(text, "at", FormatAt(r.At));
        Field(text, "requestId", r.RequestId.ToString("D"));
        Field(text, "requesterArs", r.RequesterArs);
        Field(text, "requesterAuthority", r.RequesterAuthority);
        Field(text, "requesterProcedure", r.RequesterProcedure);
        Field(text, "personPseudonym", r.PersonPseudonym);
        Field(text, "evidenceType", r.EvidenceType);
        Field(text, "purpose", r.Purpose);
        Field(text, "legalBasis", r.LegalBasis);
        Field(text, "consentReference", r.ConsentReference);
        Field(text, "outcome", r.Outcome);
        Field(text, "reasonCode", r.ReasonCode);
        Field(text, "provider", r.Provider);
        return text.ToString();
    }

    public static string HashOf(AccessProtocolRecord r) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(r))));

    /// <summary>The row for <paramref name="entry"/> at <paramref name="sequence"/> after a row with <paramref name="previousHash"/>, hashed.</summary>
    public static AccessProtocolRecord Link(AccessProtocolEntry entry, long sequence, string previousHash)
    {
        var record = new AccessProtocolRecord
        {
            Sequence = sequence,
            At = Normalize(entry.At),
            RequestId = entry.RequestId,
            RequesterArs = entry.RequesterArs,
            RequesterAuthority = entry.RequesterAuthority,
            RequesterProcedure = entry.RequesterProcedure,
            PersonPseudonym = entry.PersonPseudonym,
            EvidenceType = entry.EvidenceType,
            Purpose = entry.Purpose,
            LegalBasis = entry.LegalBasis,
            ConsentReference = entry.ConsentReference,
            Outcome = entry.Outcome,
            ReasonCode = entry.ReasonCode,
            Provider = entry.Provider,
            PreviousHash = previousHash,
        };
        record.Hash = HashOf(record);
        return record;
    }

    private static void Field(StringBuilder text, string name, string? value)
    {
        text.Append(name).Append(':');
        if (value is null) text.Append('-');
        else text.Append(Encoding.UTF8.GetByteCount(value).ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
        text.Append('\n');
    }
}
