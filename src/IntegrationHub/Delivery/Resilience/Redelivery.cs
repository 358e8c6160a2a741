using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Delivery.Resilience;

/// <summary>
/// Delayed redelivery after a target stayed unavailable through the pipeline's retries: which backoff policy applies
/// to a delivery, and how its next attempt is scheduled so that it survives a restart.
/// </summary>
public interface IRedeliveryScheduler
{
    DeliveryOptions PolicyFor(TargetDelivery delivery);

    /// <summary>Arranges for the delivery to be requested at <paramref name="at"/> (its NextAttemptAt is already saved).</summary>
    Task ScheduleAsync(TargetDelivery delivery, DateTimeOffset at, CancellationToken ct);
}

/// <summary>The ledger alone: the sweep requests a delivery once its NextAttemptAt has passed.</summary>
public sealed class LedgerSweepRedelivery(IOptions<HubOptions> options) : IRedeliveryScheduler
{
    public DeliveryOptions PolicyFor(TargetDelivery delivery) => options.Value.Delivery;

    public Task ScheduleAsync(TargetDelivery delivery, DateTimeOffset at, CancellationToken ct) => Task.CompletedTask;
}
