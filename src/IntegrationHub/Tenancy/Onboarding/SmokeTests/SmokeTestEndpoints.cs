using IntegrationHub.Ledger;
using IntegrationHub.Operations.Api;
using IntegrationHub.Problems;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Tenancy.Onboarding.SmokeTests;

/// <summary>
/// Smoke tests under /api/v1/operations/municipalities: start one (operator), list a municipality's runs and read one
/// run's report (reader). Operators limited to municipalities see and start only theirs.
/// </summary>
public static class SmokeTestEndpoints
{
    public static void Map(RouteGroupBuilder read, RouteGroupBuilder act, RouteGroupBuilder admin)
    {
        act.MapPost("/{ars}/smoke-tests", StartAsync)
            .WithSummary("Starts a smoke test: a synthetic application per service through intake, validation, routing and every target; 202 with the run");
        read.MapGet("/{ars}/smoke-tests", ListAsync).WithSummary("The municipality's smoke tests, newest first");
        read.MapGet("/{ars}/smoke-tests/{id}", GetAsync).WithSummary("One smoke test with its steps per service (green/red and why)");
    }

    private static async Task<IResult> StartAsync(string ars, HttpContext http, SmokeTestRunner runner, CancellationToken ct)
    {
        var run = await runner.StartAsync(OperationsApi.Who(http), ars, ct);
        http.Response.Headers.Location = $"{OperationsApi.Prefix}{OnboardingExtensions.ApiPath}/{ars}/smoke-tests/{run.Id}";
        return Results.Json(SmokeTestView.Of(run), OperationsRequests.Json, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> ListAsync(string ars, HttpContext http, SmokeTestRunner runner, HubDbContext db, CancellationToken ct)
    {
        runner.Find(OperationsApi.Who(http), ars);
        return Results.Json(await runner.ListAsync(db, ars, 50, ct), OperationsRequests.Json);
    }

    private static async Task<IResult> GetAsync(string ars, string id, HttpContext http, SmokeTestRunner runner, HubDbContext db, CancellationToken ct)
    {
        runner.Find(OperationsApi.Who(http), ars);
        if (!Guid.TryParse(id, out var runId))
            return ProblemResults.Problem(ProblemTypes.InvalidOperationsQuery, "The smoke test's id must be a GUID.");
        return await runner.GetAsync(db, ars, runId, ct) is { } view
            ? Results.Json(view, OperationsRequests.Json)
            : ProblemResults.Problem(ProblemTypes.SmokeTestNotFound, $"No smoke test {runId} of municipality {ars}.");
    }
}

public static class SmokeTestsRegistration
{
    public static IServiceCollection AddSmokeTests(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<SmokeTestOptions>(configuration.GetSection(SmokeTestOptions.Section));
        services.AddSingleton<SmokeTestRunner>();
        // The synthetic sender talks to this hub's own intake API like any online service.
        services.AddHttpClient(SmokeTestClient.HttpClientName, (provider, client) =>
        {
            var smoke = provider.GetRequiredService<IOptions<SmokeTestOptions>>().Value;
            var address = smoke.HubAddress is { Length: > 0 } a ? a : provider.GetRequiredService<IOptions<HubOptions>>().Value.PublicBaseUrl;
            client.BaseAddress = new Uri(address.TrimEnd('/') + "/");
            client.Timeout = smoke.Timeout + TimeSpan.FromSeconds(5);
        });
        return services;
    }
}
