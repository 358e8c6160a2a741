using IntegrationHub.Contracts.Messages;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace IntegrationHub.Delivery.Resilience;

/// <summary>
/// Fires when a delivery's backoff has run out and requests the delivery again. Claims the row the way the ledger sweep
/// does (a conditional update that moves NextAttemptAt to a lease), so the trigger and a sweep never both request it.
/// </summary>
public sealed class RedeliveryJob(HubDbContext db, IPublishEndpoint bus, IOptions<HubOptions> options, ILogger<RedeliveryJob> logger) : IJob
{
    public const string DeliveryIdKey = "deliveryId";

    // The trigger fires at NextAttemptAt; a little slack for clocks of a cluster.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(2);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct = default)
    {
        if (!Guid.TryParse(context.MergedJobDataMap.GetString(DeliveryIdKey), out var deliveryId)) return;
        var now = DateTimeOffset.UtcNow;
        var delivery = await db.Deliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == deliveryId, ct);
        // Done meanwhile, or already requested by the sweep (which moved NextAttemptAt to its lease).
        if (delivery is not { Status: DeliveryStatus.Pending } || delivery.NextAttemptAt > now + Slack) return;

        var lease = now + options.Value.Outbox.StaleAfter;
        var claimed = await db.Deliveries
            .Where(d => d.Id == delivery.Id && d.Status == DeliveryStatus.Pending && d.UpdatedAt == delivery.UpdatedAt)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.NextAttemptAt, lease).SetProperty(d => d.UpdatedAt, now), ct);
        if (claimed == 0) return;
        await bus.Publish(new DeliveryRequested(delivery.Id, delivery.SubmissionId, delivery.Ars, delivery.Target), ct);
        logger.LogInformation("Redelivery of delivery {DeliveryId} to {Target} requested", delivery.Id, delivery.Target);
    }
}
