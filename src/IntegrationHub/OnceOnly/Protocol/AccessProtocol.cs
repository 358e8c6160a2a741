using IntegrationHub.Ledger;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace IntegrationHub.OnceOnly.Protocol;

/// <summary>
/// The append-only, hash-chained access protocol in the ledger. Each append runs in its own transaction, independent of
/// the caller's unit of work, so a refused lookup is protocolled even when the caller's work is rolled back.
/// </summary>
public sealed class AccessProtocol(IServiceScopeFactory scopes, PersonPseudonyms pseudonyms, ILogger<AccessProtocol> logger) : IAccessProtocol
{
    // "PROTOCOL" as the advisory lock key: every hub process appending to the chain queues on it.
    private const long AdvisoryLockKey = 0x50524F544F434F4C;
    private const int MaxAttempts = 5;

    public string PseudonymOf(PersonReference person) => pseudonyms.Of(person);

    public async Task AppendAsync(AccessProtocolEntry entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var sequence = await TryAppendAsync(entry, ct);
                logger.LogInformation("Access protocol entry {Sequence} for request {RequestId}: {EvidenceType} {Outcome}",
                    sequence, entry.RequestId, entry.EvidenceType, entry.Outcome);
                return;
            }
            catch (DbUpdateException e) when (attempt < MaxAttempts && IsSequenceTaken(e))
            {
                // Only possible if a writer bypassed the lock; the next attempt reads the new last row.
                logger.LogWarning("Access protocol position was taken by another writer; appending request {RequestId} again", entry.RequestId);
            }
        }
    }

    private async Task<long> TryAppendAsync(AccessProtocolEntry entry, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var transaction = await BeginLockedAsync(db, ct);
            var last = await db.AccessProtocol.AsNoTracking()
                .OrderByDescending(r => r.Sequence)
                .Select(r => new { r.Sequence, r.Hash })
                .FirstOrDefaultAsync(ct);
            var record = AccessProtocolChain.Link(entry, (last?.Sequence ?? 0) + 1, last?.Hash ?? AccessProtocolChain.Genesis);
            db.AccessProtocol.Add(record);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return record.Sequence;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// A transaction that holds the protocol's write lock until commit, taken before the last row is read: on PostgreSQL a
    /// transaction-scoped advisory lock; on SQLite the database's write lock, as Microsoft.Data.Sqlite begins a
    /// non-deferred transaction with BEGIN IMMEDIATE (the same lock LedgerSchema migrates under).
    /// </summary>
    private static async Task<IDbContextTransaction> BeginLockedAsync(HubDbContext db, CancellationToken ct)
    {
        var transaction = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", ct);
        return transaction;
    }

    private static bool IsSequenceTaken(DbUpdateException e) => e.InnerException switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        // SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode is 1555 or 2067,
        _ => false,
    };
}
