using IntegrationHub.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Marius;

public static class MariusRegistration
{
    public static IServiceCollection AddMariusAdapter(this IServiceCollection services)
    {
        services.AddHttpClient<MariusAdapter>(c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddTransient<ITargetAdapter>(sp => sp.GetRequiredService<MariusAdapter>());
        return services;
    }
}
