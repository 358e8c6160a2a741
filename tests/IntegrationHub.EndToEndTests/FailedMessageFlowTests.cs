using System.Diagnostics;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Operations.FailedMessages;
using IntegrationHub.Problems;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Procedures;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The hub with quick failures at Prosoz, a second Prosoz-kind target on the same simulator (a "replacement instance")
/// and a trivial "replay" target whose adapter only counts calls (for the 10,000-message replay).
/// </summary>
public sealed class FailedMessagesHubFixture : HubFixture
{
    public ReplayAdapter Replay { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) => new Dictionary<string, string>
    {
        ["Hub:Targets:prosoz:Timeout"] = "00:00:05",
        ["Hub:Targets:prosoz:Resilience:MaxRetries"] = "0",
        ["Hub:Targets:prosoz-b:Kind"] = "Prosoz",
        ["Hub:Targets:prosoz-b:BaseUrl"] = new Uri(simulators.BaseAddress, "prosoz/").ToString(),
        ["Hub:Targets:prosoz-b:Timeout"] = "00:00:05",
        ["Hub:Targets:replay:Kind"] = ReplayAdapter.KindName,
        ["Hub:Targets:replay:BaseUrl"] = "http://127.0.0.1:9/",
    };

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ITargetAdapter>(Replay);
}

/// <summary>A target that takes every call at once: what is measured is the hub's replay, not a target.</summary>
public sealed class ReplayAdapter : ITargetAdapter
{
    public const string KindName = "Replay";
    private int _calls;
    public string Kind => KindName;
    public int Calls => Volatile.Read(ref _calls);

    public Task<DeliveryOutcome> DeliverAsync(DeliveryCall call, CancellationToken ct)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(DeliveryOutcome.Done($"replay-{call.Delivery.Id:N}"));
    }
}

/// <summary>What an operator sees and does with failed messages, on the running hub.</summary>
public sealed class FailedMessageFlowTests(FailedMessagesHubFixture hub, ITestOutputHelper output) : IClassFixture<FailedMessagesHubFixture>, IAsyncLifetime
{
    private static readonly Operator Admin = new("ops-admin", OperatorRole.Admin);
    private static readonly Operator Ops = new("ops-operator", OperatorRole.Operator);
    private static readonly Operator Reader = new("ops-reader", OperatorRole.Reader);
    private static readonly Operator OffenbachOnly = new("ops-offenbach", OperatorRole.Operator, [HubFixture.Offenbach]);

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
    public async Task Permanent_failures_at_Prosoz_form_one_group_and_a_group_retry_delivers_each_submission_exactly_once()
    {
        Faults.SetErrorRate(1.0, 400, seed: 1);
        var submissions = new List<Guid>();
        for (var i = 0; i < 3; i++) submissions.Add(await hub.SubmitSozialhilfeAsync(601 + i));
        var failed = new List<FailedMessageSummary>();
        foreach (var id in submissions) failed.Add(await FailedDeliveryAsync(id));

        failed.Select(f => f.Fingerprint).Distinct().Should().ContainSingle("the same fault at the same place is one group");
        failed.Should().OnlyContain(f => f.Ars == HubFixture.Darmstadt && f.Target == "prosoz" && f.MessageType == "DeliveryRequested"
            && f.Endpoint == "submission-delivery" && f.ExceptionType == typeof(PermanentDeliveryException).FullName
            && f.Status == FailedMessageStatus.Unresolved && f.FailureCount == 1);
        failed.Select(f => f.SubmissionId).Should().BeEquivalentTo(submissions.Cast<Guid?>());
        var fingerprint = failed[0].Fingerprint;
        var group = (await Store(s => s.GroupsAsync(Ops, FailureGrouping.Fingerprint, new FailedMessageFilter(Target: "prosoz"), default)))
            .Should().ContainSingle(g => g.Key == fingerprint).Subject;
        group.Title.Should().StartWith("PermanentDeliveryException at ");
        group.Unresolved.Should().BeGreaterThanOrEqualTo(3);
        output.WriteLine($"group {group.Key}: {group.Title}, {group.Count} messages");
        (await Store(s => s.GroupsAsync(Ops, FailureGrouping.Target, new FailedMessageFilter(Group: fingerprint), default)))
            .Should().ContainSingle().Which.Key.Should().Be("prosoz");

        var detail = (await Store(s => s.GetAsync(Admin, failed[0].Id, default)))!;
        output.WriteLine("headers of a message from the error queue: " + string.Join(", ", detail.Headers.Keys.Order()));
        detail.Masked.Should().BeFalse();
        detail.Headers.Should().ContainKey("MT-Fault-ExceptionType").And.ContainKey("MT-Fault-StackTrace");
        detail.Body.Should().Contain(failed[0].SubmissionId!.Value.ToString());
        detail.Consumer.Should().Contain(nameof(DeliveryRequestedConsumer));
        detail.History.Should().ContainSingle().Which.Action.Should().Be("failed");

        // The target is fixed; the whole group is retried.
        Faults.Reset();
        var batch = await Store(s => s.RetryAsync(Ops, new FailedMessageSelection(Filter: new FailedMessageFilter(Group: fingerprint)), null, default));
        batch.Total.Should().BeGreaterThanOrEqualTo(3);
        var done = await WaitForBatchAsync(batch.Id);
        done.Status.Should().Be(RetryBatchStatus.Completed);
        done.Pending.Should().Be(0);
        done.Issued.Should().BeGreaterThanOrEqualTo(3);

        foreach (var id in submissions)
        {
            var (_, deliveries) = await hub.WaitUntilSettledAsync(id);
            deliveries.Should().ContainSingle(d => d.Target == "prosoz").Which.Status.Should().Be(DeliveryStatus.Delivered);
            hub.Simulators.Prosoz.CaseCountFor(id).Should().Be(1, "a replay carries the same idempotency key");
            var message = await WaitForAsync(id, f => f.Status == FailedMessageStatus.Resolved);
            message.Status.Should().Be(FailedMessageStatus.Resolved);
            var history = (await Store(s => s.GetAsync(Ops, message.Id, default)))!.History.Select(h => h.Action);
            history.Should().Equal("failed", "retry-issued", "resolved");
        }
        (await AuditAsync("retry")).Should().Contain(a => a.Subject == $"group {fingerprint}" && a.Actor == Ops.Name);
    }

    [Fact]
    public async Task A_retry_of_a_message_whose_delivery_meanwhile_succeeded_is_skipped_and_nothing_is_sent()
    {
        Faults.FailNext(1, 400);
        var submissionId = await hub.SubmitSozialhilfeAsync(611);
        var failed = await FailedDeliveryAsync(submissionId);
        // The procedure took the case after all (e.g. an operator entered it by hand and reported it): the ledger says delivered.
        var delivery = await hub.InLedgerAsync(db => db.Deliveries.SingleAsync(d => d.SubmissionId == submissionId && d.Target == "prosoz"));
        await hub.InLedgerAsync(db => db.Deliveries.Where(d => d.Id == delivery.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeliveryStatus.Delivered).SetProperty(d => d.Aktenzeichen, "AZ-BY-HAND")));
        var callsBefore = hub.Simulators.Prosoz.Calls.Count(c => c.IdempotencyKey == delivery.IdempotencyKey);

        var batch = await Store(s => s.RetryAsync(Ops, FailedMessageSelection.One(failed.Id), null, default));
        var done = await WaitForBatchAsync(batch.Id);

        done.Should().Match<RetryBatchView>(b => b.Status == RetryBatchStatus.Completed && b.Total == 1 && b.Skipped == 1 && b.Issued == 0);
        var detail = (await Store(s => s.GetAsync(Ops, failed.Id, default)))!;
        detail.Summary.Status.Should().Be(FailedMessageStatus.Resolved);
        detail.History.Select(h => h.Action).Should().Equal("failed", "retry-skipped: already succeeded");
        await Task.Delay(500);
        hub.Simulators.Prosoz.Calls.Count(c => c.IdempotencyKey == delivery.IdempotencyKey).Should().Be(callsBefore, "nothing was sent again");
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(0);
    }

    [Fact]
    public async Task A_retried_message_that_fails_again_returns_to_its_group_with_its_failure_count_raised()
    {
        Faults.SetErrorRate(1.0, 400, seed: 2);
        var submissionId = await hub.SubmitSozialhilfeAsync(621);
        var failed = await FailedDeliveryAsync(submissionId);

        await Store(s => s.RetryAsync(Ops, FailedMessageSelection.One(failed.Id), null, default));
        var again = await WaitForAsync(submissionId, f => f.FailureCount == 2 && f.Status == FailedMessageStatus.Unresolved);

        again.Id.Should().Be(failed.Id, "the same message failing again is the same row");
        again.FailureCount.Should().Be(2);
        again.Status.Should().Be(FailedMessageStatus.Unresolved);
        again.Fingerprint.Should().Be(failed.Fingerprint);
        again.LastFailedAt.Should().BeAfter(failed.FirstFailedAt);
        (await hub.InLedgerAsync(db => db.FailedMessages.CountAsync(f => f.SubmissionId == submissionId))).Should().Be(1);
        (await Store(s => s.GetAsync(Ops, failed.Id, default)))!.History.Select(h => h.Action)
            .Should().Equal("failed", "retry-issued", "failed-again");
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(0);
    }

    [Fact]
    public async Task Operators_archive_and_restore_readers_may_only_look_and_a_scoped_operator_sees_only_their_municipality()
    {
        Faults.FailNext(1, 400);
        var submissionId = await hub.SubmitSozialhilfeAsync(631);
        var failed = await FailedDeliveryAsync(submissionId);
        var one = FailedMessageSelection.One(failed.Id);

        var refusal = await FluentActions.Awaiting(() => Store(s => s.RetryAsync(Reader, one, null, default)))
            .Should().ThrowAsync<OperationRefusedException>();
        refusal.Which.Type.Should().Be(ProblemTypes.OperatorForbidden);
        await FluentActions.Awaiting(() => Store(s => s.ArchiveAsync(Reader, one, default))).Should().ThrowAsync<OperationRefusedException>();

        // Readers see that it failed, not what the target said; operators see the target's answer.
        var asReader = (await Store(s => s.ListAsync(Reader, new FailedMessageFilter(SubmissionId: submissionId), 0, 10, default))).Items.Single();
        asReader.ExceptionMessage.Should().Be("•••");
        var asOperator = (await Store(s => s.GetAsync(Ops, failed.Id, default)))!;
        asOperator.Summary.ExceptionMessage.Should().Contain("prosoz answered 400");
        asOperator.Masked.Should().BeTrue();
        asOperator.Body.Should().Be("•••");
        asOperator.Headers.Values.Should().OnlyContain(v => v == "•••");
        (await Store(s => s.GetAsync(Admin, failed.Id, default)))!.Masked.Should().BeFalse();
        (await AuditAsync("view-social-data")).Should().Contain(a => a.Subject == $"failed-message {failed.Id}" && a.Actor == Admin.Name);

        (await Store(s => s.GetAsync(OffenbachOnly, failed.Id, default))).Should().BeNull("the message is about Darmstadt");
        (await Store(s => s.ListAsync(OffenbachOnly, new FailedMessageFilter(SubmissionId: submissionId), 0, 10, default))).Total.Should().Be(0);
        (await Store(s => s.ArchiveAsync(OffenbachOnly, one, default))).Should().Be(0);

        (await Store(s => s.ArchiveAsync(Ops, one, default))).Should().Be(1);
        (await Store(s => s.ListAsync(Ops, new FailedMessageFilter(SubmissionId: submissionId, Statuses: [FailedMessageStatus.Unresolved]), 0, 10, default)))
            .Total.Should().Be(0);
        (await Store(s => s.GetAsync(Ops, failed.Id, default)))!.Summary.Status.Should().Be(FailedMessageStatus.Archived);
        var batch = await Store(s => s.RetryAsync(Ops, one, null, default));
        batch.Total.Should().Be(0, "an archived message is not retried");

        (await Store(s => s.RestoreAsync(Ops, one, default))).Should().Be(1);
        var restored = (await Store(s => s.GetAsync(Ops, failed.Id, default)))!;
        restored.Summary.Status.Should().Be(FailedMessageStatus.Unresolved);
        restored.History.Select(h => (h.Action, h.Actor)).Should().Equal(("failed", null), ("archived", Ops.Name), ("restored", Ops.Name));
        (await AuditAsync("archive")).Should().Contain(a => a.Subject == $"message {failed.Id}" && a.Count == 1);
        (await AuditAsync("restore")).Should().Contain(a => a.Subject == $"message {failed.Id}" && a.Count == 1);
        await Store(s => s.ArchiveAsync(Ops, one, default)); // out of the other tests' groups
    }

    [Fact]
    public async Task Failed_deliveries_are_redirected_to_another_target_of_the_same_kind_and_never_to_one_of_another_kind()
    {
        Faults.FailNext(1, 400);
        var submissionId = await hub.SubmitSozialhilfeAsync(641);
        var failed = await FailedDeliveryAsync(submissionId);
        var one = FailedMessageSelection.One(failed.Id);

        var otherKind = await FluentActions.Awaiting(() => Store(s => s.RetryAsync(Ops, one, "bundid", default))).Should().ThrowAsync<OperationRefusedException>();
        otherKind.Which.Type.Should().Be(ProblemTypes.RedirectTargetInvalid);
        otherKind.Which.Message.Should().Contain("'bundid' is a Postbox target");
        (await FluentActions.Awaiting(() => Store(s => s.RetryAsync(Ops, one, "nowhere", default))).Should().ThrowAsync<OperationRefusedException>())
            .Which.Message.Should().Contain("not a configured target");
        (await FluentActions.Awaiting(() => Store(s => s.RetryAsync(Ops, one, "prosoz", default))).Should().ThrowAsync<OperationRefusedException>())
            .Which.Type.Should().Be(ProblemTypes.RedirectTargetInvalid);

        var batch = await Store(s => s.RetryAsync(Ops, one, "prosoz-b", default));
        (await WaitForBatchAsync(batch.Id)).Should().Match<RetryBatchView>(b => b.Issued == 1 && b.RedirectTo == "prosoz-b");
        var (_, deliveries) = await hub.WaitUntilSettledAsync(submissionId);
        var delivery = deliveries.Should().ContainSingle(d => d.Target == "prosoz").Subject;
        delivery.Status.Should().Be(DeliveryStatus.Delivered);
        delivery.RedirectedTo.Should().Be("prosoz-b", "the ledger keeps the target and says where it went");
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(1);
        (await WaitForAsync(submissionId, f => f.Status == FailedMessageStatus.Resolved)).Status.Should().Be(FailedMessageStatus.Resolved);
        (await AuditAsync("redirect")).Should().Contain(a => a.Subject == $"message {failed.Id}" && a.Detail!.EndsWith("to prosoz-b"));
    }

    [Fact]
    public async Task A_replay_of_10000_failed_messages_completes_with_bounded_memory()
    {
        const int count = 10_000;
        var fingerprint = "replay-" + Guid.NewGuid().ToString("N")[..8];
        await SeedFailedDeliveriesAsync(count, fingerprint);
        var callsBefore = hub.Replay.Calls;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baselineHeap = GC.GetTotalMemory(forceFullCollection: true);
        var baselineWorkingSet = Process.GetCurrentProcess().WorkingSet64;
        long peakHeap = baselineHeap, peakWorkingSet = baselineWorkingSet;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                using var process = Process.GetCurrentProcess();
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                try { await Task.Delay(100, sampling.Token); } catch (OperationCanceledException) { }
            }
        });

        var stopwatch = Stopwatch.StartNew();
        var batch = await Store(s => s.RetryAsync(Ops, new FailedMessageSelection(Filter: new FailedMessageFilter(Group: fingerprint)), null, default));
        batch.Total.Should().Be(count);
        var done = await WaitForBatchAsync(batch.Id, TimeSpan.FromMinutes(4));
        var issuedAfter = stopwatch.Elapsed;
        var resolved = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        while (DateTime.UtcNow < deadline)
        {
            resolved = await hub.InLedgerAsync(db => db.FailedMessages.CountAsync(f => f.Fingerprint == fingerprint && f.Status == FailedMessageStatus.Resolved));
            if (resolved == count) break;
            await Task.Delay(500);
        }
        stopwatch.Stop();
        await sampling.CancelAsync();
        await sampler;

        const double mb = 1024 * 1024;
        output.WriteLine($"Replay of {count} failed messages: batch issued in {issuedAfter.TotalSeconds:F1} s, all resolved in {stopwatch.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"GC heap: baseline {baselineHeap / mb:F0} MB, peak {peakHeap / mb:F0} MB (+{(peakHeap - baselineHeap) / mb:F0} MB)");
        output.WriteLine($"Working set: baseline {baselineWorkingSet / mb:F0} MB, peak {peakWorkingSet / mb:F0} MB (+{(peakWorkingSet - baselineWorkingSet) / mb:F0} MB)");

        done.Should().Match<RetryBatchView>(b => b.Status == RetryBatchStatus.Completed && b.Issued == count && b.Skipped == 0 && b.Pending == 0);
        resolved.Should().Be(count);
        (hub.Replay.Calls - callsBefore).Should().Be(count, "each delivery is made once");
        (await hub.InLedgerAsync(db => db.Deliveries.CountAsync(d => d.Target == "replay" && d.Step == fingerprint && d.Status == DeliveryStatus.Delivered)))
            .Should().Be(count);
        // What the replay keeps once it is done: the pages it worked through must be garbage. (The peak above counts garbage
        // not yet collected and whatever the tests running beside this one allocate; memory over time is the replay
        // benchmark's business: scripts/bench.sh replay, docs/benchmarks/latest.md.)
        var retainedHeap = GC.GetTotalMemory(forceFullCollection: true) - baselineHeap;
        output.WriteLine($"GC heap retained after the replay: {retainedHeap / mb:F0} MB");
        retainedHeap.Should().BeLessThan(64L * 1024 * 1024, "a replay works in pages and keeps none of them");
    }

    private async Task SeedFailedDeliveriesAsync(int count, string fingerprint)
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var columns = hub.Factory.Services.GetRequiredService<global::IntegrationHub.Security.AtRest.FailedMessageColumns>();
        for (var offset = 0; offset < count; offset += 1000)
        {
            await hub.InLedgerAsync(async db =>
            {
                for (var i = offset; i < Math.Min(count, offset + 1000); i++)
                {
                    var submissionId = Guid.NewGuid();
                    var deliveryId = Guid.NewGuid();
                    db.Submissions.Add(new Submission
                    {
                        Id = submissionId, CaseId = Guid.NewGuid(), DestinationId = HubFixture.DarmstadtSozialhilfe, Ars = HubFixture.Darmstadt,
                        SenderClientId = HubFixture.ClientId, LeikaKey = "99079005000000", ServiceName = "Replay", Status = SubmissionStatus.Accepted,
                        CreatedAt = now, SubmittedAt = now, DecidedAt = now, RoutedAt = now, UpdatedAt = now, ProcessingFault = "delivery: test",
                    });
                    db.Deliveries.Add(new TargetDelivery
                    {
                        Id = deliveryId, SubmissionId = submissionId, Ars = HubFixture.Darmstadt, Target = "replay", Step = fingerprint,
                        Status = DeliveryStatus.Failed, IdempotencyKey = TargetDelivery.IdempotencyKeyFor(submissionId, "replay", fingerprint),
                        Attempts = 1, CreatedAt = now, UpdatedAt = now,
                    });
                    var body = System.Text.Json.JsonSerializer.Serialize(new
                    {
                        messageId = Guid.NewGuid(),
                        messageType = new[] { "urn:message:IntegrationHub.Contracts.Messages:DeliveryRequested" },
                        message = new { deliveryId, submissionId, ars = HubFixture.Darmstadt, target = "replay" },
                    });
                    var failed = new FailedMessage
                    {
                        Id = Guid.NewGuid(), MessageId = Guid.NewGuid(), Source = "error-queue", MessageType = "DeliveryRequested", Endpoint = "submission-delivery",
                        Ars = HubFixture.Darmstadt, Target = "replay", SubmissionId = submissionId, DeliveryId = deliveryId,
                        ExceptionType = typeof(PermanentDeliveryException).FullName!, Fingerprint = fingerprint, Body = body, Headers = "{}",
                        FirstFailedAt = now, LastFailedAt = now, FailureCount = 1, Status = FailedMessageStatus.Unresolved, UpdatedAt = now,
                    };
                    await columns.ProtectAsync(failed, default);
                    db.FailedMessages.Add(failed);
                }
                return await db.SaveChangesAsync();
            });
        }
    }


    /// <summary>Waits until the submission's Prosoz delivery is a failed message and the hub has marked the fault in the ledger.</summary>
    private async Task<FailedMessageSummary> FailedDeliveryAsync(Guid submissionId)
    {
        var message = await WaitForAsync(submissionId, _ => true);
        await HubFixture.WaitForAsync(() => hub.InLedgerAsync(db => db.Submissions.Where(s => s.Id == submissionId).Select(s => s.ProcessingFault).SingleAsync()),
            fault => fault is not null);
        return message;
    }

    private async Task<FailedMessageSummary> WaitForAsync(Guid submissionId, Func<FailedMessageSummary, bool> until)
    {
        var found = await HubFixture.WaitForAsync(
            async () => (await Store(s => s.ListAsync(Ops, new FailedMessageFilter(SubmissionId: submissionId, Target: "prosoz"), 0, 10, default))).Items,
            items => items.Count == 1 && until(items[0]));
        found.Should().ContainSingle($"the Prosoz delivery of {submissionId} failed");
        return found[0];
    }

    private async Task<RetryBatchView> WaitForBatchAsync(Guid batchId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var batch = (await Store(s => s.GetBatchAsync(Ops, batchId, default)))!;
            if (batch.Status != RetryBatchStatus.Running || DateTime.UtcNow > deadline) return batch;
            await Task.Delay(100);
        }
    }

    private Task<IReadOnlyList<OperatorAuditView>> AuditAsync(string action) =>
        Store<IReadOnlyList<OperatorAuditView>>(async (_, sp) =>
            (await sp.GetRequiredService<IOperatorAudit>().ListAsync(Admin, null, action, null, null, 0, 500, default)).Items);

    private Task<T> Store<T>(Func<IFailedMessages, Task<T>> use) => Store((s, _) => use(s));

    private async Task<T> Store<T>(Func<IFailedMessages, IServiceProvider, Task<T>> use)
    {
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<IFailedMessages>(), scope.ServiceProvider);
    }
}
