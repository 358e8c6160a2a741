using IntegrationHub.EndToEndTests;
using IntegrationHub.Ledger;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace IntegrationHub.InfrastructureTests.Ledger;

/// <summary>The versioned schema scripts create exactly what the EF model expects, on both providers, once.</summary>
public sealed class LedgerSchemaTests
{
    [Fact]
    public async Task Postgres_scripts_create_the_models_schema_and_run_once()
    {
        var scripted = await TestServers.CreateDatabaseAsync("schema_scripted");
        var modelled = await TestServers.CreateDatabaseAsync("schema_model");
        await using (var db = Postgres(scripted))
        {
            (await LedgerSchema.MigrateAsync(db)).Should().Equal(LedgerSchema.Scripts("postgres").Select(s => s.Version));
            (await LedgerSchema.MigrateAsync(db)).Should().BeEmpty("applied scripts are recorded and not run again");
        }
        await using (var db = Postgres(modelled)) await db.Database.EnsureCreatedAsync();

        (await PostgresColumnsAsync(scripted)).Should().Equal(await PostgresColumnsAsync(modelled));
        (await PostgresIndexesAsync(scripted)).Should().Equal(await PostgresIndexesAsync(modelled));
    }

    [Fact]
    public async Task Postgres_migrations_started_by_several_hubs_at_once_apply_each_script_once()
    {
        var database = await TestServers.CreateDatabaseAsync("schema_race");

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var db = Postgres(database);
            return await LedgerSchema.MigrateAsync(db);
        }));

        runs.SelectMany(r => r).Should().Equal(LedgerSchema.Scripts("postgres").Select(s => s.Version));
    }

    [Fact]
    public async Task Sqlite_scripts_create_the_models_schema_and_run_once()
    {
        var folder = Directory.CreateTempSubdirectory("ledger-schema-");
        var scripted = $"Data Source={Path.Combine(folder.FullName, "scripted.db")}";
        var modelled = $"Data Source={Path.Combine(folder.FullName, "model.db")}";
        await using (var db = Sqlite(scripted))
        {
            (await LedgerSchema.MigrateAsync(db)).Should().NotBeEmpty();
            (await LedgerSchema.MigrateAsync(db)).Should().BeEmpty();
        }
        await using (var db = Sqlite(modelled)) await db.Database.EnsureCreatedAsync();

        (await SqliteSchemaAsync(scripted)).Should().Equal(await SqliteSchemaAsync(modelled));
        SqliteConnection.ClearAllPools();
        folder.Delete(recursive: true);
    }

    private static HubDbContext Postgres(string cs) => new(new DbContextOptionsBuilder<HubDbContext>().UseNpgsql(cs).Options);
    private static HubDbContext Sqlite(string cs) => new(new DbContextOptionsBuilder<HubDbContext>().UseSqlite(cs).Options);

    private static async Task<List<string>> PostgresColumnsAsync(string cs) => await QueryAsync(cs, """
        SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(character_maximum_length::text, '')
        FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'LedgerSchemaVersions' ORDER BY 1
        """);

    private static async Task<List<string>> PostgresIndexesAsync(string cs) => await QueryAsync(cs,
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'LedgerSchemaVersions' ORDER BY 1");

    private static async Task<List<string>> QueryAsync(string cs, string sql)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }

    private static async Task<List<string>> SqliteSchemaAsync(string cs)
    {
        await using var connection = new SqliteConnection(cs);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT m.name || '.' || p.name || ' ' || p.type || ' ' || p."notnull" || ' ' || p.pk
            FROM sqlite_master m JOIN pragma_table_info(m.name) p
            WHERE m.type = 'table' AND m.name NOT IN ('LedgerSchemaVersions', 'sqlite_sequence')
            UNION ALL SELECT 'index ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE type = 'index'
            ORDER BY 1
            """;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }
}
