using IntegrationHub.Delivery;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace IntegrationHub.Adapters.Marius;

public static class MariusRegistration
{
    /// <summary>The Marius-like adapter (XTA-style mailbox) and the job that reads the hub's mailbox.</summary>
    public static IServiceCollection AddMariusAdapter(this IServiceCollection services)
    {
        services.AddHttpClient<XtaMailboxClient>(c => c.Timeout = Timeout.InfiniteTimeSpan); // each call has the target's own timeout
        services.AddTransient<MariusAdapter>();
        services.AddTransient<ITargetAdapter>(sp => sp.GetRequiredService<MariusAdapter>());
        // Additive to the hub's scheduler (AddQuartz may be called more than once): same store, same cluster.
        services.AddQuartz(q =>
        {
            q.AddJob<MariusMailboxPollJob>(j => j.WithIdentity(MariusMailboxPollJob.Name).DisallowConcurrentExecution());
            q.AddTrigger((sp, t) => t.ForJob(MariusMailboxPollJob.Name).WithIdentity(MariusMailboxPollJob.Name).StartNow()
                .WithSchedule(SimpleScheduleBuilder.Create()
                    .WithInterval(MariusMailboxPollJob.Interval(sp.GetRequiredService<IConfiguration>())).RepeatForever()));
        });
        return services;
    }
}
