using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Tenancy.Onboarding.Workflow;

/// <summary>Onboarding: plan, apply, rollback, disable, list and show (placeholder, filled in by its branch).</summary>
public static class MunicipalityEndpoints
{
    public static void Map(RouteGroupBuilder read, RouteGroupBuilder act, RouteGroupBuilder admin)
    {
    }
}

public static class MunicipalityWorkflowRegistration
{
    public static IServiceCollection AddMunicipalityWorkflow(this IServiceCollection services, IConfiguration configuration) => services;
}
