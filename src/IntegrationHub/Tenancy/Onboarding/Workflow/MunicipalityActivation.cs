using IntegrationHub.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Tenancy.Onboarding.Workflow;

/// <summary>
/// Puts the ledger's municipalities into the <see cref="TenantDirectory"/> while the hub runs: once at start (before the
/// server takes traffic; hosted services start before it, after the ledger was migrated), right after every change on
/// this process, and every Hub:Onboarding:RefreshInterval (default 10 s) when the Municipalities table changed, so other
/// hub processes follow. A stored version that cannot be read never stops the hub: the municipality keeps the state it had.
/// </summary>
public sealed class MunicipalityActivation(
    IServiceScopeFactory scopes, TenantDirectory tenants, IConfiguration configuration, ILogger<MunicipalityActivation> logger) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, OnboardedMunicipality> _active = new(StringComparer.Ordinal);
    private string? _stamp;

    public TimeSpan RefreshInterval { get; } =
        configuration.GetValue<TimeSpan?>($"{HubOptions.Section}:Onboarding:RefreshInterval") is { } interval && interval > TimeSpan.Zero
            ? interval : TimeSpan.FromSeconds(10);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await TryReloadAsync(force: true, cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
            await TryReloadAsync(force: false, stoppingToken);
    }

    /// <summary>Loads every municipality's state and active version and activates them as one configuration.</summary>
    public Task ReloadAsync(CancellationToken ct) => LoadAsync(force: true, ct);

    private async Task TryReloadAsync(bool force, CancellationToken ct)
    {
        try
        {
            await LoadAsync(force, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The ledger may be briefly unreachable; the next refresh tries again, the running configuration stays.
            logger.LogError(e, "Loading the onboarded municipalities failed; the running configuration stays until the next refresh");
        }
    }

    private async Task LoadAsync(bool force, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            // The cheap check: every row's state, version and stamp (a handful of columns per municipality).
            var rows = await db.Municipalities.AsNoTracking().OrderBy(m => m.Ars).ToListAsync(ct);
            var stamp = string.Join(";", rows.Select(r => $"{r.Ars}:{r.State}:{r.ActiveVersion}:{r.UpdatedAt.UtcTicks}"));
            if (!force && stamp == _stamp) return;

            var wanted = rows.Where(r => r.ActiveVersion > 0 && (!_active.TryGetValue(r.Ars, out var a) || a.Version != r.ActiveVersion)).ToList();
            var arsWanted = wanted.Select(r => r.Ars).ToList();
            var versions = arsWanted.Count == 0 ? [] : await db.MunicipalityVersions.AsNoTracking()
                .Where(v => arsWanted.Contains(v.Ars))
                .Select(v => new { v.Ars, v.Version, v.Content })
                .ToListAsync(ct);
            foreach (var row in wanted)
            {
                var content = versions.FirstOrDefault(v => v.Ars == row.Ars && v.Version == row.ActiveVersion)?.Content;
                if (Map(row.Ars, row.ActiveVersion, content, MunicipalityMapping.CredentialResolver(configuration, row.Ars)) is { } municipality)
                    _active[row.Ars] = municipality;
            }
            var disabled = rows.Where(r => r.State == MunicipalityState.Disabled).Select(r => r.Ars).ToHashSet(StringComparer.Ordinal);
            tenants.Activate([.. _active.Values], disabled);
            _stamp = stamp;
        }
        finally
        {
            _gate.Release();
        }
    }

    private OnboardedMunicipality? Map(string ars, int version, string? content, Func<string, string?> resolve)
    {
        // Only codes and positions are logged: a file's values (contacts) stay out of the logs.
        if (content is null)
        {
            logger.LogError("Municipality {Ars} version {Version} is not in the ledger; it keeps its previous state", ars, version);
            return null;
        }
        try
        {
            var read = MunicipalityFileReader.Parse(content);
            var error = read.Findings.FirstOrDefault(f => f.Severity == FindingSeverity.Error);
            if (read.File is null || error is not null)
            {
                logger.LogError("Municipality {Ars} version {Version} cannot be read ({Code} at {Line}:{Column}); it keeps its previous state",
                    ars, version, error?.Code, error?.Line, error?.Column);
                return null;
            }
            if (read.File.Ars != ars)
            {
                logger.LogError("Municipality {Ars} version {Version} names another ARS; it keeps its previous state", ars, version);
                return null;
            }
            var (municipality, unresolved) = MunicipalityMapping.ToOnboarded(read.File, version, resolve);
            if (unresolved.Count > 0)
                logger.LogWarning("Municipality {Ars} version {Version}: credential references cannot be resolved: {References}", ars, version, string.Join(", ", unresolved));
            return municipality;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            logger.LogError("Municipality {Ars} version {Version} cannot be activated ({Error}); it keeps its previous state", ars, version, e.GetType().Name);
            return null;
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }
}
