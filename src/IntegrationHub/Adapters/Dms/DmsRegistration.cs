using IntegrationHub.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Dms;

public static class DmsRegistration
{
    /// <summary>The DMS / E-Akte adapters (d.3-like REST, xdomea).</summary>
    public static IServiceCollection AddDmsAdapters(this IServiceCollection services)
    {
        // Each request has the target's own timeout (DmsHttp), not HttpClient's 100 s for the whole call.
        services.AddHttpClient<DmsAdapter>(c =>
        {
            c.Timeout = Timeout.InfiniteTimeSpan;
            c.MaxResponseContentBufferSize = 4 * 1024 * 1024;
        });
        services.AddHttpClient<XdomeaAdapter>(c =>
        {
            c.Timeout = Timeout.InfiniteTimeSpan;
            c.MaxResponseContentBufferSize = 1024 * 1024;
        });
        services.AddTransient<ITargetAdapter>(sp => sp.GetRequiredService<DmsAdapter>());
        services.AddTransient<ITargetAdapter>(sp => sp.GetRequiredService<XdomeaAdapter>());
        return services;
    }
}
