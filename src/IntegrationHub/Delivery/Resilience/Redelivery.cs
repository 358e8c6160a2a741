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

/// <summary>
/// The redelivery policy of a delivery, setting by setting: the municipality's (<c>Hub:Tenants:[i]:Redelivery</c>) beats
/// the target's (<c>Hub:Targets:{name}:Redelivery</c>), which beats <c>Hub:Delivery</c>. The municipality decides how long
/// its citizens' cases may wait; the target's settings describe how the system behaves (e.g. nightly maintenance).
/// </summary>
public sealed class RedeliveryPolicies(IOptions<HubOptions> options, TenantDirectory tenants)
{
    public DeliveryOptions For(TargetDelivery delivery)
    {
        var hub = options.Value;
        var target = tenants.FindTarget(delivery.Target)?.Options.Redelivery;
        var municipality = tenants.FindTenant(delivery.Ars)?.Redelivery;
        return Merge(hub.Delivery, target, municipality);
    }

    public static DeliveryOptions Merge(DeliveryOptions global, RedeliveryOverrides? target, RedeliveryOverrides? municipality) => new()
    {
        InitialBackoff = municipality?.InitialBackoff ?? target?.InitialBackoff ?? global.InitialBackoff,
        MaxBackoff = municipality?.MaxBackoff ?? target?.MaxBackoff ?? global.MaxBackoff,
        GiveUpAfter = municipality?.GiveUpAfter ?? target?.GiveUpAfter ?? global.GiveUpAfter,
    };
}
