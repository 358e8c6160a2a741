using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using IntegrationHub.Intake;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Problems;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Tenancy.Onboarding.SmokeTests;

/// <summary>Hub:Onboarding:SmokeTest.</summary>
public sealed class SmokeTestOptions
{
    public const string Section = "Hub:Onboarding:SmokeTest";

    /// <summary>How long one service's application may take from intake to its last delivery.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>Where the synthetic sender reaches the hub's intake; Hub:PublicBaseUrl when empty.</summary>
    public string? HubAddress { get; set; }
    /// <summary>A test postbox (BundID mailbox UUID) named as reply channel, so the postbox receipt is tested too; none when empty.</summary>
    public Guid? Mailbox { get; set; }

    /// <summary>After this long a run still "running" was interrupted (the hub stopped during it).</summary>
    public TimeSpan StaleAfter => Timeout * 2 + TimeSpan.FromMinutes(1);
}

/// <summary>
/// Runs smoke tests: per service of a municipality one synthetic application, sent by the built-in client
/// <see cref="SmokeTestClient.ClientId"/> through the real intake, then followed in the ledger step by step (intake,
/// validation, routing, every delivery) until all are done or the timeout. Runs in the background, beyond the request
/// that started it; the ledger row (SmokeTests) holds the outcome and the report.
/// </summary>
public sealed class SmokeTestRunner(
    IServiceScopeFactory scopes,
    TenantDirectory tenants,
    SenderClients clients,
    IOptions<SmokeTestOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<SmokeTestRunner> logger)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private readonly ConcurrentDictionary<Guid, IReadOnlyList<Guid>> _running = new();
    private readonly ConcurrentDictionary<Guid, Task> _tasks = new();
    private readonly Lock _clientGate = new();
    // Fresh per process: the smoke-test client's secret is never stored or shown.
    private readonly string _secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public TimeSpan Timeout => options.Value.Timeout;

    /// <summary>Starts a smoke test of the municipality; returns the run at once (outcome running).</summary>
    public async Task<SmokeTestRun> StartAsync(Operator who, string ars, CancellationToken ct)
    {
        var tenant = Find(who, ars);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        await SettleStaleAsync(db, ars, ct);
        var run = new SmokeTestRun
        {
            Id = Guid.NewGuid(), Ars = ars, StartedBy = who.Name, StartedAt = DateTimeOffset.UtcNow, Outcome = SmokeTestOutcomes.Running,
            Report = SmokeTestReport.Empty.ToJson(),
        };
        db.SmokeTests.Add(run);
        await db.SaveChangesAsync(ct);
        await scope.ServiceProvider.GetRequiredService<IOperatorAudit>().WriteAsync(who, "smoke-test-start", ars, detail: $"run {run.Id}", ct: ct);

        var destinations = tenant.Destinations.Select(d => d.Id).ToList();
        lock (_clientGate)
        {
            _running[run.Id] = destinations;
            RegisterClient();
        }
        var task = Task.Run(() => RunAsync(run.Id, tenant, lifetime.ApplicationStopping), CancellationToken.None);
        _tasks[run.Id] = task;
        _ = task.ContinueWith(_ => _tasks.TryRemove(run.Id, out var _), TaskScheduler.Default);
        return run;
    }

    /// <summary>Waits for a run this process started (tests, shutdown); returns at once for others.</summary>
    public Task WhenFinished(Guid runId) => _tasks.GetValueOrDefault(runId) ?? Task.CompletedTask;

    /// <summary>The municipality, if it exists and the operator covers it.</summary>
    public TenantOptions Find(Operator who, string ars) =>
        tenants.FindTenant(ars) is { } tenant && who.Covers(ars)
            ? tenant
            : throw new OperationRefusedException(ProblemTypes.SmokeTestMunicipalityUnknown, $"No municipality {ars} that this operator may see.");

    /// <summary>The municipality's smoke tests, newest first.</summary>
    public async Task<IReadOnlyList<SmokeTestView>> ListAsync(HubDbContext db, string ars, int limit, CancellationToken ct)
    {
        await SettleStaleAsync(db, ars, ct);
        var runs = await db.SmokeTests.AsNoTracking().Where(r => r.Ars == ars).OrderByDescending(r => r.StartedAt).Take(limit).ToListAsync(ct);
        return [.. runs.Select(SmokeTestView.Of)];
    }

    public async Task<SmokeTestView?> GetAsync(HubDbContext db, string ars, Guid id, CancellationToken ct)
    {
        await SettleStaleAsync(db, ars, ct);
        var run = await db.SmokeTests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id && r.Ars == ars, ct);
        return run is null ? null : SmokeTestView.Of(run);
    }

    /// <summary>The latest smoke test of each municipality.</summary>
    public async Task<IReadOnlyDictionary<string, SmokeTestView>> LatestAsync(HubDbContext db, CancellationToken ct)
    {
        var latest = await db.SmokeTests.AsNoTracking()
            .Where(r => !db.SmokeTests.Any(o => o.Ars == r.Ars && o.StartedAt > r.StartedAt)).ToListAsync(ct);
        return latest.GroupBy(r => r.Ars).ToDictionary(g => g.Key, g => Settled(SmokeTestView.Of(g.First())));
    }

    private SmokeTestView Settled(SmokeTestView view) => view.Running && IsStale(view.StartedAt)
        ? view with { Outcome = SmokeTestOutcomes.Failed, Problem = Interrupted } : view;

    private const string Interrupted = "interrupted: the hub stopped before the smoke test finished";

    private bool IsStale(DateTimeOffset startedAt) => DateTimeOffset.UtcNow - startedAt > options.Value.StaleAfter;

    /// <summary>A run left "running" by a hub that stopped is failed as interrupted once it is overdue.</summary>
    private async Task SettleStaleAsync(HubDbContext db, string ars, CancellationToken ct)
    {
        var before = DateTimeOffset.UtcNow - options.Value.StaleAfter;
        var stale = await db.SmokeTests.Where(r => r.Ars == ars && r.Outcome == SmokeTestOutcomes.Running && r.StartedAt < before).ToListAsync(ct);
        if (stale.Count == 0) return;
        foreach (var run in stale)
        {
            run.Outcome = SmokeTestOutcomes.Failed;
            run.FinishedAt = DateTimeOffset.UtcNow;
            run.Report = (SmokeTestReport.Parse(run.Report) with { Problem = Interrupted }).ToJson();
        }
        await db.SaveChangesAsync(ct);
    }

    // The client may submit to the destinations of every municipality under test in this process; with none, a new
    // secret nobody knows and no destinations close it again.
    private void RegisterClient()
    {
        var destinations = _running.Values.SelectMany(d => d).Distinct().ToList();
        clients.Register(SmokeTestClient.ClientId, destinations.Count > 0 ? _secret : Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), destinations);
    }

    private async Task RunAsync(Guid runId, TenantOptions tenant, CancellationToken stopping)
    {
        SmokeTestReport report;
        try
        {
            var services = tenant.Destinations.SelectMany(d => d.Services.Select(s => (Destination: d.Id, Service: s))).ToList();
            var results = await Task.WhenAll(services.Select(s => RunServiceAsync(tenant, s.Destination, s.Service, stopping)));
            report = new SmokeTestReport(results, services.Count == 0 ? "the municipality offers no services" : null);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            logger.LogError(e, "Smoke test {RunId} of {Ars} failed", runId, tenant.Ars);
            report = new SmokeTestReport([], $"the smoke test itself failed: {e.GetType().Name}");
        }
        catch (OperationCanceledException)
        {
            return; // the hub stops; the run is settled as interrupted later
        }
        finally
        {
            lock (_clientGate)
            {
                _running.TryRemove(runId, out _);
                RegisterClient();
            }
        }

        var passed = report.Problem is null && report.Services.All(s => s.Passed);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var run = await db.SmokeTests.FirstAsync(r => r.Id == runId, CancellationToken.None);
        run.Outcome = passed ? SmokeTestOutcomes.Passed : SmokeTestOutcomes.Failed;
        run.FinishedAt = DateTimeOffset.UtcNow;
        run.Report = report.ToJson();
        await db.SaveChangesAsync(CancellationToken.None);
        logger.LogInformation("Smoke test {RunId} of {Ars}: {Outcome}", runId, tenant.Ars, run.Outcome);
    }

    private async Task<SmokeTestServiceReport> RunServiceAsync(TenantOptions tenant, Guid destinationId, ServiceOptions service, CancellationToken stopping)
    {
        var steps = new List<SmokeTestStep>();
        SmokeTestServiceReport Report(Guid? submissionId = null) => new(service.LeikaKey, service.Name, destinationId, submissionId, steps);

        var deadline = DateTimeOffset.UtcNow + options.Value.Timeout;
        await using var scope = scopes.CreateAsyncScope();
        var sender = scope.ServiceProvider.GetService<ISmokeTestSender>();
        if (sender is null)
        {
            steps.Add(new("intake", false, "no synthetic sender is configured in this hub"));
            return Report();
        }
        SmokeTestSendResult sent;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            timeout.CancelAfter(options.Value.Timeout);
            try
            {
                sent = await sender.SendAsync(new SmokeTestApplication(tenant.Ars, tenant.Name, destinationId, service, SmokeTestClient.ClientId, _secret,
                    options.Value.Mailbox), timeout.Token);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !stopping.IsCancellationRequested)
            {
                sent = new SmokeTestSendResult(null, e is OperationCanceledException ? $"no answer within {Seconds(options.Value.Timeout)}" : e.Message);
            }
        }
        if (!sent.Sent)
        {
            steps.Add(new("intake", false, sent.Failure ?? "not accepted"));
            return Report(sent.SubmissionId);
        }
        var id = sent.SubmissionId!.Value;
        steps.Add(new("intake", true, $"accepted for processing (202), submission {id}"));

        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var routeTargets = tenants.TargetsFor(tenant.Ars, service.LeikaKey);
        Submission submission;
        List<TargetDelivery> deliveries;
        while (true)
        {
            db.ChangeTracker.Clear();
            submission = await db.Submissions.AsNoTracking().FirstAsync(s => s.Id == id, stopping);
            deliveries = await db.Deliveries.AsNoTracking().Where(d => d.SubmissionId == id).ToListAsync(stopping);
            var settled = submission.Status == SubmissionStatus.Rejected
                || submission is { Status: SubmissionStatus.Accepted, RoutedAt: not null } && routeTargets.All(t => deliveries.Any(d => d.Target == t))
                    && deliveries.All(d => d.IsFinal);
            if (settled || DateTimeOffset.UtcNow > deadline) break;
            await Task.Delay(PollInterval, stopping);
        }

        var within = Seconds(options.Value.Timeout);
        switch (submission.Status)
        {
            case SubmissionStatus.Rejected:
                steps.Add(new("validation", false, $"rejected: {submission.ProblemType}{(submission.ProblemDetail is { } d ? $" ({d})" : "")}"));
                return Report(id);
            case not SubmissionStatus.Accepted:
                steps.Add(new("validation", false, $"not decided within {within} (still {submission.Status.ToString().ToLowerInvariant()})"));
                return Report(id);
        }
        steps.Add(new("validation", true, "accepted"));

        var unrouted = routeTargets.Where(t => !deliveries.Any(d => d.Target == t)).ToList();
        if (submission.RoutedAt is null || unrouted.Count > 0)
        {
            steps.Add(new("routing", false, submission.RoutedAt is null ? $"not routed within {within}" : $"no delivery to {string.Join(", ", unrouted)}"));
            return Report(id);
        }
        steps.Add(new("routing", true, $"to {string.Join(", ", routeTargets)}"));

        foreach (var delivery in deliveries.OrderBy(d => d.CreatedAt).ThenBy(d => d.Target, StringComparer.Ordinal).ThenBy(d => d.Sequence))
        {
            var name = $"{delivery.Step} to {delivery.RedirectedTo ?? delivery.Target}";
            steps.Add(delivery.Status switch
            {
                DeliveryStatus.Delivered => new(name, true, delivery.Reference ?? delivery.Aktenzeichen ?? "delivered", delivery.Target),
                DeliveryStatus.Failed => new(name, false, $"failed: {delivery.LastError ?? "no reason recorded"}", delivery.Target),
                DeliveryStatus.AwaitingAcknowledgement => new(name, false, $"placed but not acknowledged within {within}", delivery.Target),
                _ => new(name, false, $"not delivered within {within}{(delivery.LastError is { } error ? $": {error}" : "")}", delivery.Target),
            });
        }
        return Report(id);
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";
}
