using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace IntegrationHub.Ledger;

/// <summary>
/// Versioned schema scripts (Ledger/Schema/&lt;provider&gt;/NNNN_name.sql), applied in order inside one
/// transaction and recorded in LedgerSchemaVersions. Several hub processes may start at once: on
/// PostgreSQL an advisory lock, on SQLite the write lock of BEGIN IMMEDIATE, lets one of them migrate.
/// </summary>
public static class LedgerSchema
{
    private const long AdvisoryLockKey = 0x4C45444745520001; // "LEDGER" + 1

    public sealed record Script(int Version, string Name, string Sql);

    public static string ProviderOf(HubDbContext db) => db.Database.IsNpgsql() ? "postgres" : "sqlite";

    public static IReadOnlyList<Script> Scripts(string provider)
    {
        var assembly = typeof(LedgerSchema).Assembly;
        var prefix = $"LedgerSchema/{provider}/";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[prefix.Length..^4];
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return new Script(int.Parse(file[..4], System.Globalization.CultureInfo.InvariantCulture), file, reader.ReadToEnd());
            })
            .OrderBy(s => s.Version)
            .ToList();
    }

    /// <summary>Applies the scripts not yet applied; returns their versions.</summary>
    public static async Task<IReadOnlyList<int>> MigrateAsync(HubDbContext db, CancellationToken ct = default)
    {
        var provider = ProviderOf(db);
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var connection = db.Database.GetDbConnection();
            var tx = transaction.GetDbTransaction();
            if (provider == "postgres")
                await ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", ct);
            await ExecuteAsync(connection, tx,
                "CREATE TABLE IF NOT EXISTS \"LedgerSchemaVersions\" (\"Version\" integer PRIMARY KEY, \"Name\" text NOT NULL, \"AppliedAt\" text NOT NULL)", ct);

            var applied = new HashSet<int>();
            await using (var command = Command(connection, tx, "SELECT \"Version\" FROM \"LedgerSchemaVersions\""))
            await using (var reader = await command.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) applied.Add(reader.GetInt32(0));

            var newlyApplied = new List<int>();
            foreach (var script in Scripts(provider).Where(s => !applied.Contains(s.Version)))
            {
                await ExecuteAsync(connection, tx, script.Sql, ct);
                await using var record = Command(connection, tx, "INSERT INTO \"LedgerSchemaVersions\" (\"Version\", \"Name\", \"AppliedAt\") VALUES (@v, @n, @a)");
                AddParameter(record, "@v", script.Version);
                AddParameter(record, "@n", script.Name);
                AddParameter(record, "@a", DateTimeOffset.UtcNow.ToString("O"));
                await record.ExecuteNonQueryAsync(ct);
                newlyApplied.Add(script.Version);
            }
            await transaction.CommitAsync(ct);
            return newlyApplied;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static DbCommand Command(DbConnection connection, DbTransaction tx, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, tx, sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
