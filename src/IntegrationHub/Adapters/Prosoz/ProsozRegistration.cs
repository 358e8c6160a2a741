using IntegrationHub.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Prosoz;

public static class ProsozRegistration
{
    public static IServiceCollection AddProsozAdapter(this IServiceCollection services)
    {
        // The target's own timeout (time without progress, see QuittungHttpClient) governs, not HttpClient's
        // 100 s for the whole call, which a large attachment on a slow line would exceed.
        services.AddHttpClient<ProsozAdapter>(c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddTransient<ITargetAdapter>(sp => sp.GetRequiredService<ProsozAdapter>());
        return services;
    }
}
