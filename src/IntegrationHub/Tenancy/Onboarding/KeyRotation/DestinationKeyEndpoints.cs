using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tenancy.Onboarding.KeyRotation;

/// <summary>Onboarding: destination key rotation (placeholder, filled in by its branch).</summary>
public static class DestinationKeyEndpoints
{
    public static void Map(RouteGroupBuilder read, RouteGroupBuilder act, RouteGroupBuilder admin)
    {
    }
}

public static class DestinationKeyRotationRegistration
{
    public static IServiceCollection AddDestinationKeyRotation(this IServiceCollection services, IConfiguration configuration) => services;
}
