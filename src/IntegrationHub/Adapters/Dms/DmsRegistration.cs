using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Dms;

public static class DmsRegistration
{
    /// <summary>The DMS / E-Akte adapters (d.3-like REST, xdomea).</summary>
    public static IServiceCollection AddDmsAdapters(this IServiceCollection services) => services;
}
