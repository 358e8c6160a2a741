using IntegrationHub.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IntegrationHub.Adapters.Postbox;

public static class PostboxRegistration
{
    /// <summary>The BundID postbox adapter.</summary>
    public static IServiceCollection AddPostboxAdapter(this IServiceCollection services)
    {
        // Each call sets its own timeout from the target's options; HttpClient's 100 s default would cut across it.
        services.AddHttpClient<PostboxAdapter>(c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddSingleton(TimeProvider.System);
        services.AddTransient<ITargetAdapter>(sp => sp.GetRequiredService<PostboxAdapter>());
        return services;
    }
}
