namespace IntegrationHub.Tenancy.Onboarding.KeyRotation;

/// <summary>Where a destination key stands: published (current), still accepted during an overlap, or retired.</summary>
public enum DestinationKeyState { Current, Accepted, Retired }

/// <summary>
/// One version of a destination's encryption key. <see cref="RetiresAt"/> is when it stops being accepted (end of the
/// overlap after the next rotation, or an explicit retirement); null while nothing follows it.
/// Version 1 has no ledger row: <see cref="CreatedAt"/> and <see cref="CreatedBy"/> are null.
/// </summary>
public sealed record DestinationKeyEntry(int Version, string Kid, DateTimeOffset? CreatedAt, string? CreatedBy, DateTimeOffset? RetiresAt)
{
    /// <summary>True when a submission made at <paramref name="at"/> may be encrypted to this key.</summary>
    public bool AcceptedAt(DateTimeOffset at) => RetiresAt is not { } retires || at < retires;
}

/// <summary>
/// The key versions of one destination, computed from the ledger's DestinationKeys rows (versions 2, 3, …). Retirement is
/// a matter of time: a version retires at the earlier of its own RetiredAt (explicit) and its successor's
/// PreviousRetiresAt (end of the overlap), so no job is needed to retire keys.
/// </summary>
public sealed class DestinationKeyVersions
{
    private DestinationKeyVersions(Guid destinationId, IReadOnlyList<DestinationKeyEntry> entries)
    {
        DestinationId = destinationId;
        Entries = entries;
    }

    public Guid DestinationId { get; }

    /// <summary>Every version, oldest (1) first.</summary>
    public IReadOnlyList<DestinationKeyEntry> Entries { get; }

    public static DestinationKeyVersions From(Guid destinationId, IEnumerable<DestinationKeyVersion> rows)
    {
        var ordered = rows.Where(r => r.DestinationId == destinationId && r.Version >= 2).OrderBy(r => r.Version).ToList();
        var entries = new List<DestinationKeyEntry>();
        for (var i = -1; i < ordered.Count; i++)
        {
            var row = i < 0 ? null : ordered[i];
            var successor = i + 1 < ordered.Count ? ordered[i + 1] : null;
            // Rotation always sets PreviousRetiresAt; without it the overlap is taken as none.
            var endOfOverlap = successor is null ? (DateTimeOffset?)null : successor.PreviousRetiresAt ?? successor.CreatedAt;
            var retiresAt = Earliest(row?.RetiredAt, endOfOverlap);
            entries.Add(row is null
                ? new DestinationKeyEntry(1, KeyStore.DestinationKid(destinationId, 1), null, null, retiresAt)
                : new DestinationKeyEntry(row.Version, row.Kid, row.CreatedAt, row.CreatedBy, retiresAt));
        }
        return new DestinationKeyVersions(destinationId, entries);
    }

    /// <summary>The newest version not retired at <paramref name="now"/>: the one the destination publishes as encryptionKid.</summary>
    public DestinationKeyEntry Current(DateTimeOffset now) => Entries.LastOrDefault(e => e.AcceptedAt(now)) ?? Entries[^1];

    /// <summary>Versions a submission may be encrypted to at <paramref name="now"/>: the current one and those in their overlap.</summary>
    public IReadOnlyList<DestinationKeyEntry> Accepted(DateTimeOffset now)
    {
        var current = Current(now);
        return Entries.Where(e => e == current || e.AcceptedAt(now)).ToList();
    }

    public DestinationKeyState State(DestinationKeyEntry entry, DateTimeOffset now) =>
        entry == Current(now) ? DestinationKeyState.Current
        : entry.AcceptedAt(now) ? DestinationKeyState.Accepted
        : DestinationKeyState.Retired;

    public DestinationKeyEntry? Find(string kid) => Entries.FirstOrDefault(e => string.Equals(e.Kid, kid, StringComparison.Ordinal));

    /// <summary>The version that was current at <paramref name="at"/> (for a JWE that names no key: the one published then).</summary>
    public DestinationKeyEntry CurrentAt(DateTimeOffset at) =>
        Entries.LastOrDefault(e => (e.CreatedAt is not { } created || created <= at) && e.AcceptedAt(at)) ?? Entries[0];

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;
}
