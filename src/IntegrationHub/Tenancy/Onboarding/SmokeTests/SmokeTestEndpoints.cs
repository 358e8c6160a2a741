using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tenancy.Onboarding.SmokeTests;

/// <summary>Onboarding: smoke tests (placeholder, filled in by its branch).</summary>
public static class SmokeTestEndpoints
{
    public static void Map(RouteGroupBuilder read, RouteGroupBuilder act, RouteGroupBuilder admin)
    {
    }
}

public static class SmokeTestsRegistration
{
    public static IServiceCollection AddSmokeTests(this IServiceCollection services, IConfiguration configuration) => services;
}
