using IntegrationHub.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Delivery.Resilience;

public static class ResilienceRegistration
{
    /// <summary>Per-target resilience pipelines and delayed redelivery.</summary>
    public static IServiceCollection AddDeliveryResilience(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        services.AddSingleton<TargetPipelines>();
        services.AddSingleton<IRedeliveryScheduler, LedgerSweepRedelivery>();
        return services;
    }
}
