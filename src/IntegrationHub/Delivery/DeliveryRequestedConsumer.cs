using System.Diagnostics;
using IntegrationHub.CaseStatus;
using IntegrationHub.Contracts.Messages;
using IntegrationHub.Delivery.Resilience;
using IntegrationHub.Ledger;
using IntegrationHub.Observability;
using IntegrationHub.OnceOnly.Checks;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding.SmokeTests;
using IntegrationHub.Validation;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Delivery;

/// <summary>
/// Makes one call to one target (a delivery step): the case handover to a procedure, a filing in the DMS, a message to
/// the citizen's postbox. The adapter gets everything from the stored original and the delivery's idempotency key,
/// inside the target's resilience pipeline. A finished delivery is never sent again; a retried one carries the same
/// key. Calls to one target about one submission go in their sequence: a delivery whose predecessor is unfinished waits
/// and is requested again when the predecessor is done.
/// </summary>
public sealed class DeliveryRequestedConsumer(
    HubDbContext db,
    SubmissionReader reader,
    IBlobStore blobs,
    TenantDirectory tenants,
    KeyStore keys,
    Security.AtRest.AtRestProtector atRest,
    IEnumerable<ITargetAdapter> adapters,
    TargetPipelines pipelines,
    IRedeliveryScheduler redelivery,
    CaseProgress progress,
    IOptions<HubOptions> options,
    ILogger<DeliveryRequestedConsumer> logger) : IConsumer<DeliveryRequested>
{
    public async Task Consume(ConsumeContext<DeliveryRequested> context)
    {
        var ct = context.CancellationToken;
        var delivery = await db.Deliveries.FirstOrDefaultAsync(d => d.Id == context.Message.DeliveryId, ct);
        if (delivery is not { Status: DeliveryStatus.Pending }) return;
        var submission = await db.Submissions.FirstAsync(s => s.Id == delivery.SubmissionId, ct);
        using var scope = logger.BeginSubmissionScope(submission, delivery.Target);
        if (await WaitsForPredecessorAsync(delivery, ct))
        {
            logger.LogDebug("Delivery step {Step} waits for an earlier call to the same target", delivery.Step);
            return;
        }
        // Claim the call: one consumer at a time makes it (a second request for the same delivery finds it claimed), and
        // should this hub die during the call, the lease lets the ledger sweep request it again.
        var now = DateTimeOffset.UtcNow;
        var claimed = await db.Deliveries
            .Where(d => d.Id == delivery.Id && d.Status == DeliveryStatus.Pending && d.UpdatedAt == delivery.UpdatedAt)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Attempts, d => d.Attempts + 1).SetProperty(d => d.UpdatedAt, now)
                .SetProperty(d => d.NextAttemptAt, now + options.Value.Outbox.StaleAfter), ct);
        if (claimed == 0) return;
        await db.Entry(delivery).ReloadAsync(ct);

        using var activity = HubTelemetry.ActivitySource.StartActivity("deliver submission");
        activity?.SetTag("hub.submission_id", submission.Id);
        activity?.SetTag("hub.target", delivery.Target);
        activity?.SetTag("hub.step", delivery.Step);

        // An operator may have redirected this call to another target of the same kind: its options, settings, adapter
        // and resilience pipeline (DeliveryCall.Target); the ledger keeps the original target.
        var targetName = delivery.RedirectedTo ?? delivery.Target;
        // Smoke tests: a target's test endpoint, if it has one, takes the synthetic application (Tenancy/Onboarding/SmokeTests).
        var targetOptions = SmokeTestClient.OptionsFor(submission, tenants.Target(targetName), tenants.TargetSettings(targetName));
        var adapter = adapters.FirstOrDefault(a => string.Equals(a.Kind, targetOptions.Kind, StringComparison.OrdinalIgnoreCase));
        var call = new DeliveryCall(delivery, submission, targetOptions, tenants.FindTenant(submission.Ars) ?? new TenantOptions { Ars = submission.Ars, Name = submission.Ars },
            tenants.TargetSettings(targetName), await ProcedureAktenzeichenAsync(submission, ct),
            reader, blobs, keys, options.Value.Limits.MaxXmlCharacters)
        {
            AtRest = atRest,
            Checks = delivery.Step == DeliverySteps.Handover
                ? ApplicationChecks.FromHistory(await db.History.AsNoTracking()
                    .Where(h => h.SubmissionId == submission.Id && h.Step.StartsWith(ApplicationChecks.HistoryPrefix)).ToListAsync(ct))
                : [],
        };

        var stopwatch = Stopwatch.StartNew();
        DeliveryOutcome outcome;
        try
        {
            if (adapter is null) throw new PermanentDeliveryException($"No adapter for target kind '{targetOptions.Kind}'.");
            outcome = await pipelines.ExecuteAsync(call, token => GuardAttachmentsAsync(() => adapter.DeliverAsync(call, token)), ct);
        }
        catch (Exception e) when (e is PermanentDeliveryException or SubmissionProblemException)
        {
            var failed = await RecordAsync(delivery.Id, (d, s) =>
            {
                d.Status = DeliveryStatus.Failed;
                d.LastError = e.Message;
                d.UpdatedAt = DateTimeOffset.UtcNow;
                db.AddHistory(s.Id, HistorySteps.DeliveryFailed, d.Target, e.GetType().Name);
                return Task.FromResult<IReadOnlyList<TargetDelivery>>([]);
            }, CancellationToken.None);
            if (failed is null) return; // an acknowledgement or report settled it meanwhile
            HubTelemetry.DeliveryFailures.Add(1, new KeyValuePair<string, object?>("target", delivery.Target));
            logger.LogError("Delivery step {Step} failed permanently: {Reason}", delivery.Step, e.GetType().Name);
            await RequestSuccessorAsync(context, failed, CancellationToken.None);
            throw; // to the error queue, where operations can see and replay it
        }
        catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
        {
            // The target is down or slow beyond the pipeline's retries: try again later with exponential backoff,
            // scheduled to survive restarts. The message is done.
            await ScheduleRetryOrGiveUpAsync(context, delivery.Id, e);
            return;
        }

        IReadOnlyList<TargetDelivery> added = [];
        var recorded = await RecordAsync(delivery.Id, async (d, s) =>
        {
            var at = DateTimeOffset.UtcNow;
            d.Reference = outcome.Reference;
            d.NextAttemptAt = null;
            d.LastError = null;
            d.UpdatedAt = at;
            if (outcome.AwaitingAcknowledgement)
            {
                d.Status = DeliveryStatus.AwaitingAcknowledgement;
                db.AddHistory(s.Id, HistorySteps.Placed, d.Target, outcome.Reference);
                return [];
            }
            if (d.Step == DeliverySteps.Handover && outcome.Aktenzeichen is { } aktenzeichen)
                return await ProcedureReports.CompleteHandoverAsync(db, progress, s, d, aktenzeichen, ct);
            d.Status = DeliveryStatus.Delivered;
            d.Aktenzeichen = outcome.Aktenzeichen;
            d.DeliveredAt = at;
            db.AddHistory(s.Id, HistorySteps.Delivered, d.Target, d.Step == DeliverySteps.Handover ? null : d.Step);
            return [];
        }, ct, list => added = list);
        if (recorded is null)
        {
            logger.LogDebug("Delivery step {Step} was settled meanwhile by an acknowledgement or report", delivery.Step);
            return;
        }

        HubTelemetry.Deliveries.Add(1, new KeyValuePair<string, object?>("target", recorded.Target));
        HubTelemetry.DeliveryDuration.Record(stopwatch.Elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("target", recorded.Target));
        logger.LogInformation("Delivery step {Step} done: {Status}", recorded.Step, recorded.Status);
        await ProcedureReports.RequestAsync(context, added, ct);
        if (recorded.Status == DeliveryStatus.Delivered)
        {
            if (recorded.Step == DeliverySteps.Handover && recorded.Aktenzeichen is { } az)
                await context.Publish(new DeliveryCompleted(recorded.Id, submission.Id, submission.Ars, recorded.Target, az), ct);
            await RequestSuccessorAsync(context, recorded, ct);
        }
    }

    /// <summary>
    /// Records what became of a call, on a fresh read of the delivery: an acknowledgement or a procedure's report may
    /// have settled it while the call ran (then nothing is recorded and null returned), and a step that follows may have
    /// been added by them at the same time (then the write conflicts and is done again on the new state).
    /// </summary>
    private async Task<TargetDelivery?> RecordAsync(Guid deliveryId, Func<TargetDelivery, Submission, Task<IReadOnlyList<TargetDelivery>>> apply,
        CancellationToken ct, Action<IReadOnlyList<TargetDelivery>>? added = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var delivery = await db.Deliveries.FirstAsync(d => d.Id == deliveryId, ct);
            if (delivery.Status != DeliveryStatus.Pending) return null;
            var submission = await db.Submissions.FirstAsync(s => s.Id == delivery.SubmissionId, ct);
            var list = await apply(delivery, submission);
            try
            {
                await db.SaveChangesAsync(ct);
                added?.Invoke(list);
                return delivery;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Someone else wrote this delivery or one of the new steps first: look again.
            }
        }
    }

    /// <summary>Errors that say "not now" rather than "never": the transport, timeouts, 5xx/408/429, an open circuit.</summary>
    public static bool IsTransient(Exception e) =>
        e is HttpRequestException or TimeoutException or TaskCanceledException or IOException or TransientDeliveryException
            or Polly.ExecutionRejectedException;

    private Task<bool> WaitsForPredecessorAsync(TargetDelivery delivery, CancellationToken ct) =>
        db.Deliveries.AnyAsync(d => d.SubmissionId == delivery.SubmissionId && d.Target == delivery.Target && d.Sequence < delivery.Sequence
            && (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.AwaitingAcknowledgement), ct);

    private async Task RequestSuccessorAsync(IPublishEndpoint bus, TargetDelivery delivery, CancellationToken ct)
    {
        var next = await db.Deliveries.AsNoTracking()
            .Where(d => d.SubmissionId == delivery.SubmissionId && d.Target == delivery.Target && d.Sequence > delivery.Sequence && d.Status == DeliveryStatus.Pending)
            .OrderBy(d => d.Sequence).FirstOrDefaultAsync(ct);
        if (next is not null) await ProcedureReports.RequestAsync(bus, [next], ct);
    }

    private async Task<string?> ProcedureAktenzeichenAsync(Submission submission, CancellationToken ct) =>
        await db.Deliveries.AsNoTracking()
            .Where(d => d.SubmissionId == submission.Id && d.Step == DeliverySteps.Handover && d.Aktenzeichen != null)
            .OrderBy(d => d.DeliveredAt).Select(d => d.Aktenzeichen).FirstOrDefaultAsync(ct);

    private async Task ScheduleRetryOrGiveUpAsync(IPublishEndpoint bus, Guid deliveryId, Exception e)
    {
        TimeSpan backoff = default;
        var gaveUp = false;
        var recorded = await RecordAsync(deliveryId, (d, s) =>
        {
            var policy = redelivery.PolicyFor(d);
            var now = DateTimeOffset.UtcNow;
            d.LastError = e.Message;
            d.UpdatedAt = now;
            if (now - d.CreatedAt > policy.GiveUpAfter)
            {
                gaveUp = true;
                d.Status = DeliveryStatus.Failed;
                db.AddHistory(s.Id, HistorySteps.DeliveryFailed, d.Target, $"gave up after {d.Attempts} attempts");
                return Task.FromResult<IReadOnlyList<TargetDelivery>>([]);
            }
            backoff = policy.BackoffAfter(d.Attempts);
            // The target's own Retry-After wins when it asks for longer.
            if (e is TransientDeliveryException { RetryAfter: { } retryAfter } && retryAfter > backoff) backoff = retryAfter;
            d.NextAttemptAt = now + backoff;
            db.AddHistory(s.Id, HistorySteps.DeliveryAttemptFailed, d.Target, e.GetType().Name);
            return Task.FromResult<IReadOnlyList<TargetDelivery>>([]);
        }, CancellationToken.None);
        if (recorded is null) return; // settled meanwhile by an acknowledgement or report

        if (gaveUp)
        {
            HubTelemetry.DeliveryFailures.Add(1, new KeyValuePair<string, object?>("target", recorded.Target));
            await RequestSuccessorAsync(bus, recorded, CancellationToken.None);
            throw new PermanentDeliveryException($"{recorded.Target} did not take the call within {redelivery.PolicyFor(recorded).GiveUpAfter}.");
        }
        await redelivery.ScheduleAsync(recorded, recorded.NextAttemptAt!.Value, CancellationToken.None);
        logger.LogWarning("Delivery step {Step} attempt {Attempt} failed ({Reason}); next attempt in {Backoff}", recorded.Step, recorded.Attempts,
            e.GetType().Name, backoff);
    }

    /// <summary>
    /// Runs an adapter call; a stored attachment that no longer matches its verified hash is a permanent problem, as
    /// when ReadAsync finds it. The transfer was aborted before the part ended, so the target has not taken the bytes.
    /// </summary>
    internal static async Task<T> GuardAttachmentsAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (AttachmentIntegrityException e)
        {
            throw new SubmissionProblemException(e.Type, e.Message);
        }
    }
}

public sealed class DeliveryRequestedConsumerDefinition : ConsumerDefinition<DeliveryRequestedConsumer>
{
    public DeliveryRequestedConsumerDefinition()
    {
        // Deliveries wait on targets, not on the CPU: more of them may be in flight.
        Endpoint(e =>
        {
            e.Name = "submission-delivery";
            e.ConcurrentMessageLimit = 16;
            e.PrefetchCount = 32;
        });
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<DeliveryRequestedConsumer> consumer,
        IRegistrationContext context) =>
        // Target outages are handled by the pipeline and delayed redelivery (see the consumer); what is retried here
        // are glitches of the ledger or blob store.
        endpoint.UseMessageRetry(r =>
        {
            r.Ignore<PermanentDeliveryException>();
            r.Ignore<SubmissionProblemException>();
            r.Intervals(200, 1000, 5000);
        });
}
