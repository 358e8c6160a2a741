using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.OnceOnly.Protocol;

/// <summary>
/// One row of the access protocol table: an <see cref="AccessProtocolEntry"/> at its place in the hash chain.
/// Rows are only ever inserted; <see cref="Hash"/> covers every field, <see cref="Sequence"/> and <see cref="PreviousHash"/>.
/// </summary>
public sealed class AccessProtocolRecord
{
    /// <summary>The chain position, 1, 2, 3, … without gaps (the primary key, so two appends cannot take the same one).</summary>
    public long Sequence { get; set; }
    public DateTimeOffset At { get; set; }
    public Guid RequestId { get; set; }
    public string RequesterArs { get; set; } = string.Empty;
    public string RequesterAuthority { get; set; } = string.Empty;
    public string RequesterProcedure { get; set; } = string.Empty;
    public string PersonPseudonym { get; set; } = string.Empty;
    public string EvidenceType { get; set; } = string.Empty;
    public string Purpose { get; set; } = string.Empty;
    public string? LegalBasis { get; set; }
    public string? ConsentReference { get; set; }
    public string Outcome { get; set; } = string.Empty;
    public string? ReasonCode { get; set; }
    public string? Provider { get; set; }
    /// <summary>The previous row's <see cref="Hash"/>; <see cref="AccessProtocolChain.Genesis"/> for the first row.</summary>
    public string PreviousHash { get; set; } = string.Empty;
    /// <summary>SHA-256 (lower-case hex) of <see cref="AccessProtocolChain.Canonical"/> of this row.</summary>
    public string Hash { get; set; } = string.Empty;

    public AccessProtocolEntry ToEntry() => new(At, RequestId, RequesterArs, RequesterAuthority, RequesterProcedure, PersonPseudonym,
        EvidenceType, Purpose, LegalBasis, ConsentReference, Outcome, ReasonCode, Provider);

    internal static void Configure(EntityTypeBuilder<AccessProtocolRecord> e)
    {
        e.ToTable("AccessProtocol");
        e.HasKey(x => x.Sequence);
        // The appender chooses the position (last + 1) under a lock; the database must not number rows itself.
        e.Property(x => x.Sequence).ValueGeneratedNever();
        // A person's entries, newest first (the Datenschutzcockpit's query), and entries by time.
        e.HasIndex(x => new { x.PersonPseudonym, x.Sequence });
        e.HasIndex(x => x.At);
    }
}
