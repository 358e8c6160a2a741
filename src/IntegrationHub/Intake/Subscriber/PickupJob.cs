using Microsoft.Extensions.Logging;
using Quartz;

namespace IntegrationHub.Intake.Subscriber;

/// <summary>
/// Picks up the submissions of one delivery service: on its poll schedule and whenever a callback triggers it. One run
/// per delivery service at a time (across hubs, with the clustered store); a callback during a run starts another run
/// right after it, so nothing announced is missed.
/// </summary>
[DisallowConcurrentExecution]
public sealed class PickupJob(SubmissionPickup pickup, ILogger<PickupJob> logger) : IJob
{
    public const string ServiceKey = "deliveryService";

    public static JobKey KeyFor(string service) => new($"fitconnect-pickup-{service.ToLowerInvariant()}", "delivery-services");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct = default)
    {
        var service = context.MergedJobDataMap.GetString(ServiceKey) ?? throw new JobExecutionException("The pickup job names no delivery service.");
        try
        {
            await pickup.RunAsync(service, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The delivery service is down or answered nonsense: the next firing tries again.
            logger.LogWarning("Pickup from {DeliveryService} failed ({Reason}: {Message})", service, e.GetType().Name, e.Message);
        }
    }
}

/// <summary>Starts a pickup now (a callback arrived); the caller does not wait for it.</summary>
public interface IPickupTrigger
{
    Task TriggerAsync(string service, CancellationToken ct);
}

/// <summary>Fires the delivery service's <see cref="PickupJob"/> at once through the (persistent) Quartz scheduler.</summary>
public sealed class QuartzPickupTrigger(ISchedulerFactory schedulers) : IPickupTrigger
{
    public async Task TriggerAsync(string service, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await scheduler.TriggerJob(PickupJob.KeyFor(service), ct);
    }
}

/// <summary>
/// Registers each delivery service's durable <see cref="PickupJob"/> with the (persistent, possibly clustered) scheduler
/// at start-up, with its poll trigger every PollInterval; a PollInterval of zero removes the trigger (callbacks only).
/// Replacing what is stored makes a changed configuration take effect on the next start.
/// </summary>
public sealed class PickupSchedule(ISchedulerFactory schedulers, Microsoft.Extensions.Options.IOptions<Dictionary<string, DeliveryServiceOptions>> services)
    : Microsoft.Extensions.Hosting.IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        if (services.Value.Count == 0) return;
        var scheduler = await schedulers.GetScheduler(ct);
        foreach (var (name, service) in services.Value)
        {
            var key = PickupJob.KeyFor(name);
            var job = JobBuilder.Create<PickupJob>().WithIdentity(key).StoreDurably().DisallowConcurrentExecution()
                .UsingJobData(PickupJob.ServiceKey, name).Build();
            var poll = new TriggerKey(key.Name + "-poll", key.Group);
            if (service.PollInterval <= TimeSpan.Zero)
            {
                await scheduler.AddJob(job, AddJobOptions.Replacing, ct);
                await scheduler.UnscheduleJob(poll, ct);
                continue;
            }
            var trigger = TriggerBuilder.Create().ForJob(key).WithIdentity(poll).StartNow()
                .WithSimpleSchedule(s => s.WithInterval(service.PollInterval).RepeatForever()).Build();
            await scheduler.ScheduleJob(job, [trigger], ScheduleJobOptions.Replacing, ct);
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
