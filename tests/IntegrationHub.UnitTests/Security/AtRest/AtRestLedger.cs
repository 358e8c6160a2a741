using IntegrationHub.UnitTests.Tenancy;
using IntegrationHub.Ledger;
using IntegrationHub.Security.AtRest;
using IntegrationHub.Tenancy;
using IntegrationHub.UnitTests.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.Security.AtRest;

/// <summary>A SQLite ledger in a temporary folder; each <see cref="Hub"/> is one hub process on it (its own key cache).</summary>
internal sealed class AtRestLedger : IAsyncDisposable
{
    private readonly List<ServiceProvider> _hubs = [];

    public TempDirectory Folder { get; } = new("at-rest");
    public string ConnectionString => $"Data Source={Folder.Combine("ledger.db")};Default Timeout=30";

    /// <param name="predatesEnvelope">Made by a hub before data at rest had envelopes: schema versions up to 6 applied a day ago, the rest now.</param>
    public static async Task<AtRestLedger> CreateAsync(bool predatesEnvelope = false)
    {
        var ledger = new AtRestLedger();
        await using var scope = ledger.Hub().CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        if (predatesEnvelope)
        {
            await db.Database.ExecuteSqlRawAsync(
                "CREATE TABLE \"LedgerSchemaVersions\" (\"Version\" integer PRIMARY KEY, \"Name\" text NOT NULL, \"AppliedAt\" text NOT NULL)");
            var dayAgo = DateTimeOffset.UtcNow.AddDays(-1).ToString("O");
            foreach (var script in LedgerSchema.Scripts("sqlite").Where(s => s.Version < LegacyPlaintextPolicy.EnvelopeSchemaVersion))
            {
                await db.Database.ExecuteSqlRawAsync(script.Sql);
                await db.Database.ExecuteSqlAsync($"INSERT INTO \"LedgerSchemaVersions\" VALUES ({script.Version}, {script.Name}, {dayAgo})");
            }
        }
        await LedgerSchema.MigrateAsync(db);
        return ledger;
    }

    public ServiceProvider Hub(string? masterKey = null, bool? allowLegacyPlaintext = null)
    {
        var hub = new ServiceCollection()
            .AddLogging()
            .AddDbContext<HubDbContext>(o => o.UseSqlite(ConnectionString))
            .AddSingleton(Options.Create(new HubOptions { DataDirectory = Folder.Path, Keys = { Directory = Folder.Combine("keys"), MasterKey = masterKey ?? TestMasterKeys.Default },
                Security = { AllowLegacyPlaintext = allowLegacyPlaintext } }))
            .AddSingleton(NullLogger<KeyStore>.Instance)
            .AddSingleton<KeyStore>()
            .AddDataAtRest()
            .BuildServiceProvider();
        _hubs.Add(hub);
        return hub;
    }

    public async Task<List<DataKeyRecord>> RowsAsync()
    {
        await using var scope = _hubs[0].CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<HubDbContext>().DataKeys.AsNoTracking().ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hub in _hubs) await hub.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Folder.Dispose();
    }
}
