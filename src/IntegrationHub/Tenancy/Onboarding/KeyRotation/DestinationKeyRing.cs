using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Problems;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IntegrationHub.Tenancy.Onboarding.KeyRotation;

/// <summary>A destination key version together with its private key.</summary>
public sealed record DestinationKeyMatch(DestinationKeyEntry Entry, DestinationKey Key);

/// <summary>What a rotation did: the new current key, and the previous one with the end of its overlap.</summary>
public sealed record DestinationKeyRotation(DestinationKeyEntry Current, DestinationKeyEntry Previous, DateTimeOffset PreviousRetiresAt);

/// <summary>
/// The destinations' encryption key versions over the ledger's DestinationKeys table, which every hub process shares:
/// which key a destination publishes (current), which it still accepts (overlap) and which are retired. The table is
/// read whole (a row per rotation) and cached for <see cref="RefreshInterval"/>; a change on this process and a kid
/// this process does not know yet (rotated by another process) read it again at once.
/// </summary>
public sealed class DestinationKeyRing
{
    /// <summary>How stale another process's rotation or retirement may be seen here.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    private readonly KeyStore _keys;
    private readonly IServiceScopeFactory? _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile Snapshot? _snapshot;

    public DestinationKeyRing(KeyStore keys, IServiceScopeFactory scopes, TimeProvider time, ILogger<DestinationKeyRing> logger)
        : this(keys, time, logger, scopes)
    {
    }

    private DestinationKeyRing(KeyStore keys, TimeProvider time, ILogger logger, IServiceScopeFactory? scopes)
    {
        _keys = keys;
        _scopes = scopes;
        _time = time;
        _logger = logger;
    }

    /// <summary>A ring without a ledger: every destination has its first key only (a SubmissionReader made without one).</summary>
    public static DestinationKeyRing FirstKeysOnly(KeyStore keys) => new(keys, TimeProvider.System, NullLogger.Instance, null);

    public DateTimeOffset Now => _time.GetUtcNow();

    public async Task<DestinationKeyVersions> VersionsAsync(Guid destinationId, CancellationToken ct) =>
        DestinationKeyVersions.From(destinationId, (await SnapshotAsync(fresh: false, ct)).Rows);

    /// <summary>The key the destination publishes as its encryptionKid.</summary>
    public async Task<DestinationKeyMatch> CurrentAsync(Guid destinationId, CancellationToken ct)
    {
        var entry = (await VersionsAsync(destinationId, ct)).Current(Now);
        return new DestinationKeyMatch(entry, Key(destinationId, entry));
    }

    /// <summary>The current key and those still in their overlap: what senders may encrypt to now.</summary>
    public async Task<IReadOnlyList<DestinationKeyMatch>> AcceptedAsync(Guid destinationId, CancellationToken ct) =>
        [.. (await VersionsAsync(destinationId, ct)).Accepted(Now).Select(e => new DestinationKeyMatch(e, Key(destinationId, e)))];

    /// <summary>
    /// The destination's key named <paramref name="kid"/> (its kid or RFC 7638 thumbprint), retired or not; null when the
    /// destination has no such key. Only this destination's keys are ever considered.
    /// </summary>
    public async Task<DestinationKeyMatch?> FindAsync(Guid destinationId, string kid, CancellationToken ct)
    {
        var match = Match(await VersionsAsync(destinationId, ct), kid);
        if (match is null && _scopes is not null)
            match = Match(DestinationKeyVersions.From(destinationId, (await SnapshotAsync(fresh: true, ct)).Rows), kid);
        return match;
    }

    /// <summary>The private key of a version (the key store makes it on first use).</summary>
    public DestinationKey Key(Guid destinationId, DestinationKeyEntry entry) => _keys.DestinationKey(destinationId, entry.Version);

    /// <summary>
    /// Makes the next key version and publishes it; the key current until now stays accepted for <paramref name="overlap"/>.
    /// </summary>
    /// <exception cref="OperationRefusedException">Another rotation of the destination happened at the same time.</exception>
    public async Task<DestinationKeyRotation> RotateAsync(Guid destinationId, TimeSpan overlap, string by, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(overlap, TimeSpan.Zero);
        await using var scope = Scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var versions = DestinationKeyVersions.From(destinationId,
            await db.DestinationKeys.AsNoTracking().Where(k => k.DestinationId == destinationId).ToListAsync(ct));
        var previous = versions.Current(Now);
        var version = versions.Entries[^1].Version + 1;
        // The key file before the ledger row: a process that sees the row must find the key (the key folder is shared).
        var key = await Task.Run(() => _keys.DestinationKey(destinationId, version), ct);
        var now = Now;
        var row = new DestinationKeyVersion
        {
            DestinationId = destinationId,
            Version = version,
            Kid = key.Kid,
            CreatedAt = now,
            CreatedBy = by,
            PreviousRetiresAt = now + overlap,
        };
        db.DestinationKeys.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            throw new OperationRefusedException(ProblemTypes.DestinationKeyRotationConflict,
                $"Destination {destinationId} was rotated by someone else at the same time; list its keys and rotate again if still needed.");
        }
        await SnapshotAsync(fresh: true, ct);
        _logger.LogInformation("Destination {DestinationId} rotated to key {Kid}; key {PreviousKid} accepted until {RetiresAt:O}",
            destinationId, key.Kid, previous.Kid, row.PreviousRetiresAt);
        return new DestinationKeyRotation(new DestinationKeyEntry(version, key.Kid, now, by, null), previous with { RetiresAt = row.PreviousRetiresAt },
            row.PreviousRetiresAt!.Value);
    }

    /// <summary>Ends the overlap of a previous key now. Returns the key as retired and whether this call retired it.</summary>
    /// <exception cref="OperationRefusedException">No such key, or it is the current key.</exception>
    public async Task<(DestinationKeyEntry Entry, bool Retired)> RetireAsync(Guid destinationId, string kid, CancellationToken ct)
    {
        await using var scope = Scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var rows = await db.DestinationKeys.Where(k => k.DestinationId == destinationId).ToListAsync(ct);
        var versions = DestinationKeyVersions.From(destinationId, rows);
        var now = Now;
        var entry = versions.Find(kid)
            ?? throw new OperationRefusedException(ProblemTypes.KeyNotFound, $"Destination {destinationId} has no key '{kid}'.");
        switch (versions.State(entry, now))
        {
            case DestinationKeyState.Current:
                throw new OperationRefusedException(ProblemTypes.DestinationKeyCurrent,
                    $"Key '{kid}' is the key destination {destinationId} publishes; rotate first, then retire it.");
            case DestinationKeyState.Retired:
                return (entry, false);
        }
        // Recorded twice: on the key itself (RetiredAt) and as the end of the overlap on the key that followed it.
        if (rows.FirstOrDefault(r => r.Version == entry.Version) is { } own) own.RetiredAt = now;
        var successor = rows.Where(r => r.Version > entry.Version).MinBy(r => r.Version);
        if (successor is not null && (successor.PreviousRetiresAt is null || successor.PreviousRetiresAt > now)) successor.PreviousRetiresAt = now;
        await db.SaveChangesAsync(ct);
        await SnapshotAsync(fresh: true, ct);
        _logger.LogInformation("Destination {DestinationId}: key {Kid} retired", destinationId, kid);
        return (entry with { RetiresAt = now }, true);
    }

    private IServiceScopeFactory Scopes => _scopes ?? throw new InvalidOperationException("This key ring has no ledger.");

    private DestinationKeyMatch? Match(DestinationKeyVersions versions, string kid)
    {
        if (versions.Find(kid) is { } entry) return new DestinationKeyMatch(entry, Key(versions.DestinationId, entry));
        foreach (var e in versions.Entries)
        {
            var key = Key(versions.DestinationId, e);
            if (string.Equals(key.Thumbprint, kid, StringComparison.Ordinal)) return new DestinationKeyMatch(e, key);
        }
        return null;
    }

    private async Task<Snapshot> SnapshotAsync(bool fresh, CancellationToken ct)
    {
        if (!fresh && _snapshot is { } cached && !IsStale(cached)) return cached;
        if (_scopes is null) return _snapshot ??= new Snapshot([], Now);
        await _loading.WaitAsync(ct);
        try
        {
            // Whoever held the gate may just have loaded it.
            if (!fresh && _snapshot is { } loaded && !IsStale(loaded)) return loaded;
            var startedAt = Now;
            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
                return _snapshot = new Snapshot(await db.DestinationKeys.AsNoTracking().ToListAsync(ct), startedAt);
            }
            catch (Exception e) when (!fresh && _snapshot is not null && e is not OperationCanceledException)
            {
                // The keys published a moment ago are better than none while the ledger is unreachable.
                _logger.LogWarning(e, "Reading the destination keys from the ledger failed; using those read at {LoadedAt:O}", _snapshot.LoadedAt);
                return _snapshot;
            }
        }
        finally
        {
            _loading.Release();
        }
    }

    private bool IsStale(Snapshot snapshot) => Now - snapshot.LoadedAt >= RefreshInterval;

    private sealed record Snapshot(IReadOnlyList<DestinationKeyVersion> Rows, DateTimeOffset LoadedAt);
}
