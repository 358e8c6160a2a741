using IntegrationHub.Contracts.Messages;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace IntegrationHub.Outbox;

/// <summary>
/// The ledger is the outbox. A crash between a database commit and the publish that should follow it
/// leaves a row in a non-final state; this job publishes the missing message again. It also requests
/// deliveries whose backoff after a failed attempt has run out. Quartz runs it once per interval across
/// all hub processes (clustered store); a conditional update claims each row, so a message is
/// published once per sweep even if two sweeps overlap.
/// </summary>
[DisallowConcurrentExecution]
public sealed class LedgerSweepJob(HubDbContext db, IPublishEndpoint bus, IOptions<HubOptions> options, ILogger<LedgerSweepJob> logger) : IJob
{
    public const string Name = "ledger-sweep";
    private const int BatchSize = 500;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct = default)
    {
        // Which process ran which firing: in a cluster every firing runs on exactly one hub.
        logger.LogDebug("Ledger sweep firing {FireTime:O} on {SchedulerInstance}", context.ScheduledFireTimeUtc, context.Scheduler.SchedulerInstanceId);
        await SweepAsync(ct);
    }

    /// <summary>One sweep; returns how many messages it published.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var outbox = options.Value.Outbox;
        var stale = now - outbox.StaleAfter;
        var lease = now + outbox.StaleAfter;

        // A publish must never hang the sweep (and with it every later firing): bound the whole run.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(outbox.SweepInterval + TimeSpan.FromSeconds(30));
        ct = timeout.Token;
        var received = 0;
        foreach (var s in await db.Submissions.AsNoTracking()
                     .Where(s => s.Status == SubmissionStatus.Submitted && s.ProcessingFault == null && s.UpdatedAt < stale)
                     .OrderBy(s => s.UpdatedAt).Take(BatchSize).ToListAsync(ct))
        {
            if (!await ClaimSubmissionAsync(s, now, ct)) continue;
            await bus.Publish(new SubmissionReceived(s.Id, s.CaseId, s.DestinationId, s.Ars), ct);
            received++;
        }

        var accepted = 0;
        foreach (var s in await db.Submissions.AsNoTracking()
                     .Where(s => s.Status == SubmissionStatus.Accepted && s.RoutedAt == null && s.ProcessingFault == null && s.UpdatedAt < stale)
                     .OrderBy(s => s.UpdatedAt).Take(BatchSize).ToListAsync(ct))
        {
            if (!await ClaimSubmissionAsync(s, now, ct)) continue;
            await bus.Publish(new SubmissionAccepted(s.Id, s.CaseId, s.Ars, s.LeikaKey), ct);
            accepted++;
        }

        var deliveries = 0;
        foreach (var d in await db.Deliveries.AsNoTracking()
                     .Where(d => d.Status == DeliveryStatus.Pending && (d.NextAttemptAt == null ? d.UpdatedAt < stale : d.NextAttemptAt <= now))
                     .OrderBy(d => d.NextAttemptAt).Take(BatchSize).ToListAsync(ct))
        {
            // The lease keeps the next sweep from requesting it again while this request is in flight.
            var claimed = await db.Deliveries
                .Where(x => x.Id == d.Id && x.Status == DeliveryStatus.Pending && x.UpdatedAt == d.UpdatedAt)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.NextAttemptAt, lease).SetProperty(x => x.UpdatedAt, now), ct);
            if (claimed == 0) continue;
            await bus.Publish(new DeliveryRequested(d.Id, d.SubmissionId, d.Ars, d.Target), ct);
            deliveries++;
        }

        // Placed in a mailbox and never acknowledged: place it again. The message id is the same, so a procedure that
        // did take it sees a duplicate, and one whose mailbox lost it gets it now.
        var overdue = now - options.Value.Delivery.AcknowledgeWithin;
        foreach (var d in await db.Deliveries.AsNoTracking()
                     .Where(d => d.Status == DeliveryStatus.AwaitingAcknowledgement && d.UpdatedAt < overdue)
                     .OrderBy(d => d.UpdatedAt).Take(BatchSize).ToListAsync(ct))
        {
            var reopened = await db.Deliveries
                .Where(x => x.Id == d.Id && x.Status == DeliveryStatus.AwaitingAcknowledgement && x.UpdatedAt == d.UpdatedAt)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, DeliveryStatus.Pending).SetProperty(x => x.NextAttemptAt, lease)
                    .SetProperty(x => x.UpdatedAt, now), ct);
            if (reopened == 0) continue;
            db.AddHistory(d.SubmissionId, HistorySteps.AcknowledgementOverdue, d.Target, d.Reference);
            await db.SaveChangesAsync(ct);
            await bus.Publish(new DeliveryRequested(d.Id, d.SubmissionId, d.Ars, d.Target), ct);
            deliveries++;
        }

        if (received + accepted + deliveries > 0)
            logger.LogInformation("Ledger sweep published {Received} received, {Accepted} accepted, {Deliveries} delivery requests",
                received, accepted, deliveries);
        return received + accepted + deliveries;
    }

    private async Task<bool> ClaimSubmissionAsync(Submission s, DateTimeOffset now, CancellationToken ct)
    {
        var claimed = await db.Submissions
            .Where(x => x.Id == s.Id && x.Status == s.Status && x.UpdatedAt == s.UpdatedAt)
            .ExecuteUpdateAsync(u => u.SetProperty(x => x.UpdatedAt, now), ct);
        if (claimed == 0) return false;
        db.AddHistory(s.Id, HistorySteps.Republished, detail: s.Status.ToString());
        await db.SaveChangesAsync(ct);
        return true;
    }
}
