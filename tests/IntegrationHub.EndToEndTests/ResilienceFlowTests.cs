using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;
using IntegrationHub.Delivery.Resilience;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Procedures;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub with short retry delays and backoffs toward Prosoz, so fault tests finish in seconds.</summary>
public sealed class ResilienceHubFixture : HubFixture
{
    public const int ProsozConcurrency = 2;

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) => new Dictionary<string, string>
    {
        ["Hub:Targets:prosoz:Timeout"] = "00:00:05",
        ["Hub:Targets:prosoz:Resilience:MaxConcurrency"] = ProsozConcurrency.ToString(),
        ["Hub:Targets:prosoz:Resilience:MaxRetries"] = "2",
        ["Hub:Targets:prosoz:Resilience:BaseDelay"] = "00:00:00.200",
        ["Hub:Targets:prosoz:Resilience:MaxDelay"] = "00:00:02",
        ["Hub:Targets:prosoz:Resilience:BreakDuration"] = "00:00:03",
        ["Hub:Targets:prosoz:Redelivery:InitialBackoff"] = "00:00:01",
        ["Hub:Targets:prosoz:Redelivery:MaxBackoff"] = "00:00:05",
    };
}

/// <summary>Fault tests: whatever the target does, every submission ends with exactly one case and a truthful status trail.</summary>
public sealed class ResilienceFlowTests(ResilienceHubFixture hub) : IClassFixture<ResilienceHubFixture>, IAsyncLifetime
{
    private FaultInjection Faults => hub.Simulators.Prosoz.Faults;

    public Task InitializeAsync()
    {
        Faults.Reset();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Faults.Reset();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_400_from_Prosoz_fails_the_delivery_at_once_with_the_targets_problem_text_and_no_retry()
    {
        Faults.FailNext(1, 400);

        var submissionId = await hub.SubmitSozialhilfeAsync(201);
        var (_, deliveries) = await hub.WaitUntilSettledAsync(submissionId);

        var delivery = deliveries.Should().ContainSingle(d => d.Step == DeliverySteps.Handover).Subject;
        delivery.Status.Should().Be(DeliveryStatus.Failed);
        delivery.LastError.Should().StartWith("prosoz answered 400:").And.Contain("urn:integrationhub:simulator:prosoz:fault-injected");
        delivery.Attempts.Should().Be(1);
        hub.Simulators.Prosoz.Calls.Count(c => c.IdempotencyKey == delivery.IdempotencyKey).Should().Be(1, "a refusal is never retried");
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(0);
        var trail = await TrailAsync(submissionId);
        trail.Should().Contain(HistorySteps.DeliveryFailed).And.NotContain(HistorySteps.DeliveryAttemptFailed).And.NotContain(HistorySteps.Delivered);
        (await hub.TimelineAsync(submissionId)).CitizenTrail.Should().Equal([CitizenStatus.Submitted], "no procedure took the case");
    }

    [Fact]
    public async Task A_flapping_Prosoz_failing_half_of_its_calls_still_gets_every_submission_exactly_once()
    {
        Faults.SetErrorRate(0.5, 503, seed: 4711);

        var submissions = new List<Guid>();
        for (var i = 0; i < 10; i++) submissions.Add(await hub.SubmitSozialhilfeAsync(210 + i));
        foreach (var id in submissions)
        {
            var (_, deliveries) = await hub.WaitUntilSettledAsync(id, TimeSpan.FromSeconds(120));
            deliveries.Should().ContainSingle(d => d.Step == DeliverySteps.Handover).Which.Status.Should().Be(DeliveryStatus.Delivered);
        }

        Faults.InjectedCount.Should().BeGreaterThan(3, "the target did fail along the way");
        foreach (var id in submissions)
        {
            hub.Simulators.Prosoz.CaseCountFor(id).Should().Be(1);
            (await TrailAsync(id)).Count(s => s == HistorySteps.Delivered).Should().Be(1);
            (await hub.TimelineAsync(id)).CitizenTrail.Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received);
        }
    }

    [Fact]
    public async Task The_hub_never_has_more_calls_in_flight_at_Prosoz_than_its_limit()
    {
        Faults.Latency = TimeSpan.FromSeconds(1);

        var submissions = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => hub.SubmitSozialhilfeAsync(230 + i)));
        foreach (var id in submissions) await hub.WaitUntilSettledAsync(id, TimeSpan.FromSeconds(60));

        Faults.MaxCallsInFlight.Should().Be(ResilienceHubFixture.ProsozConcurrency);
        submissions.Should().OnlyContain(id => hub.Simulators.Prosoz.CaseCountFor(id) == 1);
    }

    [Fact]
    public async Task Prosoz_down_for_two_minutes_gets_each_submission_once_after_the_outage()
    {
        var outage = Faults.OutageFor(TimeSpan.FromMinutes(2));

        var submissions = new List<Guid>();
        for (var i = 0; i < 3; i++) submissions.Add(await hub.SubmitSozialhilfeAsync(240 + i));

        // Well into the outage: nothing is delivered, nothing is given up, each delivery waits for its next attempt.
        await Task.Delay(TimeSpan.FromSeconds(30));
        var during = await hub.InLedgerAsync(db => db.Deliveries.AsNoTracking()
            .Where(d => submissions.Contains(d.SubmissionId) && d.Step == DeliverySteps.Handover).ToListAsync());
        during.Should().HaveCount(3).And.OnlyContain(d => d.Status == DeliveryStatus.Pending && d.Attempts >= 1 && d.NextAttemptAt != null);

        foreach (var id in submissions)
        {
            var (_, deliveries) = await hub.WaitUntilSettledAsync(id, TimeSpan.FromMinutes(3));
            var delivery = deliveries.Should().ContainSingle(d => d.Step == DeliverySteps.Handover).Subject;
            delivery.Status.Should().Be(DeliveryStatus.Delivered);
            delivery.DeliveredAt.Should().BeOnOrAfter(outage.Until);
            hub.Simulators.Prosoz.CaseCountFor(id).Should().Be(1);
            var trail = await TrailAsync(id);
            trail.Should().Contain(HistorySteps.DeliveryAttemptFailed).And.NotContain(HistorySteps.DeliveryFailed);
            trail.Count(s => s == HistorySteps.Delivered).Should().Be(1);
            trail.LastIndexOf(HistorySteps.DeliveryAttemptFailed).Should().BeLessThan(trail.IndexOf(HistorySteps.Delivered));
            (await hub.TimelineAsync(id)).CitizenTrail.Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received);
        }
    }


    /// <summary>The submission's history as far as the Prosoz-like procedure is concerned (not the postbox's or the DMS's calls).</summary>
    private Task<List<string>> TrailAsync(Guid submissionId) =>
        hub.InLedgerAsync(db => db.History.Where(h => h.SubmissionId == submissionId && (h.Target == null || h.Target == "prosoz"))
            .OrderBy(h => h.Id).Select(h => h.Step).ToListAsync());
}

/// <summary>
/// A hub that can be stopped and started again on the same ledger (SQLite file in its data directory, or the same
/// PostgreSQL database on servers). The ledger sweep runs once an hour, so only Quartz's trigger can bring a backoff to an end.
/// </summary>
public sealed class RestartableHubFixture : HubFixture
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "integrationhub-e2e-restart-" + Guid.NewGuid().ToString("N"));
    private Dictionary<string, string?> _servers = [];
    private WebApplicationFactory<Program>? _restarted;

    public static readonly TimeSpan Backoff = TimeSpan.FromSeconds(15);

    public override async Task InitializeAsync()
    {
        if (OnServers) _servers = await TestServers.HubSettingsAsync("e2e-restart");
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators)
    {
        var settings = _servers.Where(s => s.Value is not null).ToDictionary(s => s.Key, s => s.Value!);
        settings["Hub:DataDirectory"] = _dataDirectory;
        settings["Hub:Outbox:SweepInterval"] = "01:00:00";
        settings["Hub:Targets:prosoz:Timeout"] = "00:00:05";
        settings["Hub:Targets:prosoz:Resilience:MaxRetries"] = "0";
        settings["Hub:Targets:prosoz:Redelivery:InitialBackoff"] = Backoff.ToString();
        settings["Hub:Targets:prosoz:Redelivery:MaxBackoff"] = Backoff.ToString();
        return settings;
    }

    /// <summary>Stops the running hub (as a restart does) and starts a new one on the same ledger and keys.</summary>
    public async Task<WebApplicationFactory<Program>> RestartAsync()
    {
        await Factory.DisposeAsync();
        // What HubFixture sets for every hub, then this fixture's settings (its data directory and servers).
        _restarted = CreateHub(new Dictionary<string, string?>());
        _ = _restarted.Server;
        return _restarted;
    }

    public override async Task DisposeAsync()
    {
        if (_restarted is not null) await _restarted.DisposeAsync();
        await base.DisposeAsync();
        if (_servers.GetValueOrDefault("ConnectionStrings:RabbitMq") is { } vhost) await TestServers.DeleteVirtualHostAsync(vhost);
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}

public sealed class RedeliveryAcrossRestartTests(RestartableHubFixture hub) : IClassFixture<RestartableHubFixture>
{
    [Fact]
    public async Task A_backoff_scheduled_before_a_hub_restart_ends_in_exactly_one_delivery_after_it()
    {
        hub.Simulators.Prosoz.Faults.OutageFor(TimeSpan.FromMinutes(10));
        var outcome = await hub.Sender().SubmitAsync(
            ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 250), HubFixture.DarmstadtSozialhilfe);
        var submissionId = outcome.SubmissionId!.Value;

        var waiting = await WaitForAsync(hub.Factory, submissionId, d => d.LastError is not null && d.NextAttemptAt is not null, TimeSpan.FromSeconds(30));
        waiting.Status.Should().Be(DeliveryStatus.Pending);
        var scheduler = await hub.Factory.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        // The trigger is scheduled right after the ledger records the failed attempt.
        ITrigger? trigger = null;
        for (var i = 0; i < 50 && trigger is null; i++, await Task.Delay(100))
            trigger = await scheduler.GetTrigger(QuartzRedelivery.TriggerKeyFor(waiting.Id));
        trigger.Should().NotBeNull("the backoff is a trigger in Quartz's persistent store");

        var restarted = await hub.RestartAsync();
        hub.Simulators.Prosoz.Faults.EndOutage();

        var delivered = await WaitForAsync(restarted, submissionId, d => d.Status != DeliveryStatus.Pending, TimeSpan.FromSeconds(60));
        delivered.Status.Should().Be(DeliveryStatus.Delivered);
        delivered.DeliveredAt.Should().BeOnOrAfter(waiting.NextAttemptAt!.Value.AddSeconds(-2), "the redelivery waited for its backoff");
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(1);
        await using var scope = restarted.Services.CreateAsyncScope();
        var trail = await scope.ServiceProvider.GetRequiredService<HubDbContext>().History
            .Where(h => h.SubmissionId == submissionId && (h.Target == null || h.Target == "prosoz")).OrderBy(h => h.Id).Select(h => h.Step).ToListAsync();
        trail.Should().ContainInOrder(HistorySteps.Accepted, HistorySteps.DeliveryAttemptFailed, HistorySteps.Delivered);
        trail.Count(s => s == HistorySteps.Delivered).Should().Be(1);
        var newScheduler = await restarted.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        (await newScheduler.GetTrigger(QuartzRedelivery.TriggerKeyFor(waiting.Id))).Should().BeNull("a fired one-shot trigger is gone");
    }

    private static async Task<TargetDelivery> WaitForAsync(WebApplicationFactory<Program> factory, Guid submissionId, Func<TargetDelivery, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using (var scope = factory.Services.CreateAsyncScope())
            {
                var delivery = await scope.ServiceProvider.GetRequiredService<HubDbContext>().Deliveries.AsNoTracking()
                    .FirstOrDefaultAsync(d => d.SubmissionId == submissionId && d.Step == DeliverySteps.Handover);
                if (delivery is not null && until(delivery)) return delivery;
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"Delivery of {submissionId}: {delivery?.Status}, {delivery?.Attempts} attempts.");
            }
            await Task.Delay(200);
        }
    }
}
