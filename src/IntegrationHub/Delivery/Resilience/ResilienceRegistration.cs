using IntegrationHub.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Delivery.Resilience;

public static class ResilienceRegistration
{
    /// <summary>
    /// Per-target resilience pipelines and delayed redelivery through Quartz's persistent store (set up with the ledger
    /// sweep in InfrastructureExtensions.AddLedgerSweep: the ledger database, SQLite or PostgreSQL, clustered on PostgreSQL).
    /// </summary>
    public static IServiceCollection AddDeliveryResilience(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        services.AddSingleton<TargetPipelines>();
        services.AddSingleton<RedeliveryPolicies>();
        services.AddSingleton<IRedeliveryScheduler, QuartzRedelivery>();
        return services;
    }
}
