using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Logging;
using Quartz;

namespace IntegrationHub.Delivery.Resilience;

/// <summary>
/// Schedules a delivery's next attempt as a one-shot trigger in Quartz's persistent store (the ledger database), so a
/// backoff of minutes or hours survives a restart of the hub and, clustered, fires on exactly one hub. The trigger is
/// named after the delivery: a new backoff replaces the old one. The ledger's NextAttemptAt stays the safety net: should
/// scheduling fail or the trigger be lost, the ledger sweep requests the delivery once it is due.
/// </summary>
public sealed class QuartzRedelivery(ISchedulerFactory schedulers, RedeliveryPolicies policies, ILogger<QuartzRedelivery> logger) : IRedeliveryScheduler
{
    public const string Group = "redelivery";

    public DeliveryOptions PolicyFor(TargetDelivery delivery) => policies.For(delivery);

    public async Task ScheduleAsync(TargetDelivery delivery, DateTimeOffset at, CancellationToken ct)
    {
        var job = JobBuilder.Create<RedeliveryJob>()
            .WithIdentity(JobKeyFor(delivery.Id))
            .UsingJobData(RedeliveryJob.DeliveryIdKey, delivery.Id.ToString())
            .RequestRecovery() // a hub that dies while the job runs: another (or the restarted one) runs it again
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(TriggerKeyFor(delivery.Id))
            .ForJob(job)
            .StartAt(at)
            // Due while the hub was down: fire as soon as it is back.
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        try
        {
            var scheduler = await schedulers.GetScheduler(ct);
            await scheduler.ScheduleJob(job, trigger, ScheduleJobOptions.Replacing, ct);
            ResilienceTelemetry.RedeliveriesScheduled.Add(1, new KeyValuePair<string, object?>("target", delivery.Target));
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // NextAttemptAt is saved: the ledger sweep requests the delivery when it is due.
            logger.LogWarning("Could not schedule the redelivery of delivery {DeliveryId} ({Reason}); the ledger sweep will request it",
                delivery.Id, e.GetType().Name);
        }
    }

    public static JobKey JobKeyFor(Guid deliveryId) => new($"delivery-{deliveryId:N}", Group);

    public static TriggerKey TriggerKeyFor(Guid deliveryId) => new($"delivery-{deliveryId:N}", Group);
}
