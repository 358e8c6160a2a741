using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Security.AtRest;

public static class AtRestRegistration
{
    /// <summary>Per-municipality data keys (wrapped in the ledger, under Hub:Keys:MasterKey) and the protector that uses them.</summary>
    public static IServiceCollection AddDataAtRest(this IServiceCollection services)
    {
        services.AddSingleton<MunicipalityDataKeys>();
        services.AddSingleton<LegacyPlaintextPolicy>();
        services.AddSingleton<AtRestProtector>();
        services.AddSingleton<FailedMessageColumns>();
        return services;
    }
}
