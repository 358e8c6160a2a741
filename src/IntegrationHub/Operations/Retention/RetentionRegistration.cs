using IntegrationHub.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Operations.Retention;

public static class RetentionRegistration
{
    // Placeholder of the seam: the retention job registers here.
    public static IServiceCollection AddRetention(this IServiceCollection services, IConfiguration configuration, HubOptions hub) => services;
}
