using IntegrationHub.Operations.Api;
using IntegrationHub.Tenancy.Onboarding.KeyRotation;
using IntegrationHub.Tenancy.Onboarding.SmokeTests;
using IntegrationHub.Tenancy.Onboarding.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tenancy.Onboarding;

/// <summary>
/// Onboarding municipalities as configuration: the workflow (validate, plan, apply, rollback, disable), destination key
/// rotation and smoke tests, each with its endpoints under /api/v1/operations/municipalities.
/// </summary>
public static class OnboardingExtensions
{
    public const string ApiPath = "/municipalities";

    public static IServiceCollection AddOnboarding(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMunicipalityWorkflow(configuration);
        services.AddDestinationKeyRotation(configuration);
        services.AddSmokeTests(configuration);
        return services;
    }

    public static WebApplication MapOnboarding(this WebApplication app)
    {
        var (read, act, admin) = app.MapRoleGroups(ApiPath);
        MunicipalityEndpoints.Map(read, act, admin);
        DestinationKeyEndpoints.Map(read, act, admin);
        SmokeTestEndpoints.Map(read, act, admin);
        return app;
    }
}
