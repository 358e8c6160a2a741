using System.Diagnostics;
using IntegrationHub.CaseStatus;
using IntegrationHub.Contracts.Messages;
using IntegrationHub.Delivery.Resilience;
using IntegrationHub.Ledger;
using IntegrationHub.Observability;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
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
    IEnumerable<ITargetAdapter> adapters,
    TargetPipelines pipelines,
    IRedeliveryScheduler redelivery,
    CaseProgress progress,
    IConfiguration configuration,
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
        using var activity = HubTelemetry.ActivitySource.StartActivity("deliver submission");
        activity?.SetTag("hub.submission_id", submission.Id);
        activity?.SetTag("hub.target", delivery.Target);
        activity?.SetTag("hub.step", delivery.Step);

        var targetOptions = tenants.Target(delivery.Target);
        var adapter = adapters.FirstOrDefault(a => string.Equals(a.Kind, targetOptions.Kind, StringComparison.OrdinalIgnoreCase));
        var call = new DeliveryCall(delivery, submission, targetOptions, tenants.FindTenant(submission.Ars) ?? new TenantOptions { Ars = submission.Ars, Name = submission.Ars },
            configuration.GetSection($"{HubOptions.Section}:Targets:{delivery.Target}"), await ProcedureAktenzeichenAsync(submission, ct),
            reader, blobs, keys, options.Value.Limits.MaxXmlCharacters);

        var stopwatch = Stopwatch.StartNew();
        delivery.Attempts++;
        delivery.UpdatedAt = DateTimeOffset.UtcNow;
        DeliveryOutcome outcome;
        try
        {
            if (adapter is null) throw new PermanentDeliveryException($"No adapter for target kind '{targetOptions.Kind}'.");
            outcome = await pipelines.ExecuteAsync(call, token => GuardAttachmentsAsync(() => adapter.DeliverAsync(call, token)), ct);
        }
        catch (Exception e) when (e is PermanentDeliveryException or SubmissionProblemException)
        {
            delivery.Status = DeliveryStatus.Failed;
            delivery.LastError = e.Message;
            db.AddHistory(submission.Id, HistorySteps.DeliveryFailed, delivery.Target, e.GetType().Name);
            await db.SaveChangesAsync(CancellationToken.None);
            HubTelemetry.DeliveryFailures.Add(1, new KeyValuePair<string, object?>("target", delivery.Target));
            logger.LogError("Delivery step {Step} failed permanently: {Reason}", delivery.Step, e.GetType().Name);
            await RequestSuccessorAsync(context, delivery, CancellationToken.None);
            throw; // to the error queue, where operations can see and replay it
        }
        catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
        {
            // The target is down or slow beyond the pipeline's retries: try again later with exponential backoff,
            // scheduled to survive restarts. The message is done.
            await ScheduleRetryOrGiveUpAsync(context, submission, delivery, e);
            return;
        }

        IReadOnlyList<TargetDelivery> added = [];
        if (outcome.AwaitingAcknowledgement)
        {
            delivery.Status = DeliveryStatus.AwaitingAcknowledgement;
            delivery.Reference = outcome.Reference;
            delivery.NextAttemptAt = null;
            delivery.LastError = null;
            db.AddHistory(submission.Id, HistorySteps.Placed, delivery.Target, outcome.Reference);
        }
        else if (delivery.Step == DeliverySteps.Handover && outcome.Aktenzeichen is { } aktenzeichen)
        {
            delivery.Reference = outcome.Reference;
            added = await ProcedureReports.CompleteHandoverAsync(db, progress, submission, delivery, aktenzeichen, ct);
        }
        else
        {
            var now = DateTimeOffset.UtcNow;
            delivery.Status = DeliveryStatus.Delivered;
            delivery.Aktenzeichen = outcome.Aktenzeichen;
            delivery.Reference = outcome.Reference;
            delivery.DeliveredAt = now;
            delivery.NextAttemptAt = null;
            delivery.LastError = null;
            db.AddHistory(submission.Id, HistorySteps.Delivered, delivery.Target, delivery.Step == DeliverySteps.Handover ? null : delivery.Step);
        }
        await db.SaveChangesAsync(ct);

        HubTelemetry.Deliveries.Add(1, new KeyValuePair<string, object?>("target", delivery.Target));
        HubTelemetry.DeliveryDuration.Record(stopwatch.Elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("target", delivery.Target));
        logger.LogInformation("Delivery step {Step} done: {Status}", delivery.Step, delivery.Status);
        await ProcedureReports.RequestAsync(context, added, ct);
        if (delivery.Status == DeliveryStatus.Delivered)
        {
            if (delivery.Step == DeliverySteps.Handover && delivery.Aktenzeichen is { } az)
                await context.Publish(new DeliveryCompleted(delivery.Id, submission.Id, submission.Ars, delivery.Target, az), ct);
            await RequestSuccessorAsync(context, delivery, ct);
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

    private async Task ScheduleRetryOrGiveUpAsync(IPublishEndpoint bus, Submission submission, TargetDelivery delivery, Exception e)
    {
        var policy = redelivery.PolicyFor(delivery);
        var now = DateTimeOffset.UtcNow;
        delivery.LastError = e.Message;
        if (now - delivery.CreatedAt > policy.GiveUpAfter)
        {
            delivery.Status = DeliveryStatus.Failed;
            db.AddHistory(submission.Id, HistorySteps.DeliveryFailed, delivery.Target, $"gave up after {delivery.Attempts} attempts");
            await db.SaveChangesAsync(CancellationToken.None);
            HubTelemetry.DeliveryFailures.Add(1, new KeyValuePair<string, object?>("target", delivery.Target));
            await RequestSuccessorAsync(bus, delivery, CancellationToken.None);
            throw new PermanentDeliveryException($"{delivery.Target} did not take the call within {policy.GiveUpAfter}.");
        }
        var backoff = policy.BackoffAfter(delivery.Attempts);
        // The target's own Retry-After wins when it asks for longer.
        if (e is TransientDeliveryException { RetryAfter: { } retryAfter } && retryAfter > backoff) backoff = retryAfter;
        delivery.NextAttemptAt = now + backoff;
        db.AddHistory(submission.Id, HistorySteps.DeliveryAttemptFailed, delivery.Target, e.GetType().Name);
        await db.SaveChangesAsync(CancellationToken.None);
        await redelivery.ScheduleAsync(delivery, delivery.NextAttemptAt.Value, CancellationToken.None);
        logger.LogWarning("Delivery step {Step} attempt {Attempt} failed ({Reason}); next attempt in {Backoff}", delivery.Step, delivery.Attempts,
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
