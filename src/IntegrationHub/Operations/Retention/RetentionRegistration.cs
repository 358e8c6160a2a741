using IntegrationHub.Operations.Access;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace IntegrationHub.Operations.Retention;

public static class RetentionRegistration
{
    /// <summary>
    /// The retention job on the hub's Quartz scheduler (the persistent, clustered store of AddLedgerSweep): one run per
    /// Hub:Operations:Retention:Interval across all hubs, the first at start-up (a run is idempotent).
    /// </summary>
    public static IServiceCollection AddRetention(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        var retention = configuration.GetSection(OperationsOptions.Section).Get<OperationsOptions>()?.Retention ?? new RetentionOptions();
        if (retention.Interval <= TimeSpan.Zero || retention.FailedMessages <= TimeSpan.Zero || retention.SubmissionPayloads <= TimeSpan.Zero)
            throw new InvalidOperationException("Hub:Operations:Retention: Interval, FailedMessages and SubmissionPayloads must be positive.");
        services.AddQuartz(q => q.ScheduleJob<RetentionJob>(
            t => t.WithIdentity(RetentionJob.Name).StartNow()
                .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(retention.Interval).RepeatForever()),
            j => j.WithIdentity(RetentionJob.Name).DisallowConcurrentExecution()));
        return services;
    }
}
