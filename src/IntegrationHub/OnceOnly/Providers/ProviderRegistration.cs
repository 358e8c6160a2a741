using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.OnceOnly.Providers;

public static class ProviderRegistration
{
    /// <summary>Evidence providers are spoken to in XNachweis style (targets of Kind EvidenceProvider); the hub's own application checks use them.</summary>
    public static IServiceCollection AddEvidenceProviders(this IServiceCollection services)
    {
        // Each call has the provider's own timeout (TargetOptions.Timeout), not HttpClient's 100 s.
        services.AddHttpClient<XNachweisProvider>(c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddTransient<IEvidenceProvider>(sp => sp.GetRequiredService<XNachweisProvider>());
        services.AddSingleton<Checks.ApplicationChecks>();
        return services;
    }
}
