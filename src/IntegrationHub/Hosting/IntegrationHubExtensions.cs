using IntegrationHub.Adapters.Dms;
using IntegrationHub.Adapters.Marius;
using IntegrationHub.Adapters.Postbox;
using IntegrationHub.Adapters.Prosoz;
using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;
using IntegrationHub.Delivery.Resilience;
using IntegrationHub.Intake;
using IntegrationHub.Intake.Expiry;
using IntegrationHub.Intake.Subscriber;
using IntegrationHub.Ledger;
using IntegrationHub.Observability;
using IntegrationHub.OnceOnly;
using IntegrationHub.OnceOnly.Protocol;
using IntegrationHub.OnceOnly.Providers;
using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using IntegrationHub.Problems;
using IntegrationHub.Routing;
using IntegrationHub.Security.AtRest;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding;
using IntegrationHub.Validation;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Hosting;

/// <summary>The one place that wires the hub's capabilities together; the host only calls these.</summary>
public static class IntegrationHubExtensions
{
    public static IServiceCollection AddIntegrationHub(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HubOptions>().Bind(configuration.GetSection(HubOptions.Section));
        var hub = configuration.GetSection(HubOptions.Section).Get<HubOptions>() ?? new HubOptions();

        services.AddLedger(configuration, hub);
        services.AddBlobStore(configuration, hub);
        services.AddLedgerSweep(configuration, hub);

        services.AddSingleton<KeyStore>();
        services.AddDataAtRest();
        services.AddSingleton<TenantDirectory>();
        services.AddSingleton<SenderClients>();
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<CaseEventLog>();
        services.AddSingleton<SubmissionReader>();
        services.AddScoped<RequireSenderToken>();
        services.AddHubRateLimits();
        services.AddIncompleteSubmissionExpiry(hub);
        services.AddSingleton<CaseProgress>();
        services.AddScoped<ProcedureReports>();
        services.AddCallbackAuthentication();
        services.AddAccessProtocol(configuration);

        services.AddTargetAdapters();
        services.AddDeliveryResilience(configuration, hub);
        services.AddFitConnectSubscriber(configuration, hub);
        services.AddOnceOnly(configuration, hub);
        services.AddEvidenceProviders();
        services.AddOperations(configuration, hub);
        services.AddOnboarding(configuration);

        services.AddHubBus(configuration, hub);

        services.AddHubTelemetry();
        services.AddProblemDetails();
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "IntegrationHub: FIT-Connect Submission API (sender side)";
            document.Info.Version = "v1";
            return Task.CompletedTask;
        }));
        services.AddHealthChecks()
            .AddCheck<LedgerHealthCheck>("ledger", tags: ["ready"])
            .AddCheck<BlobStoreHealthCheck>("blob-store", tags: ["ready"]);
        return services;
    }

    // Operators and probes read one JSON shape: overall status and each check (ledger, blob store, bus).
    private static Task WriteHealthAsync(HttpContext context, HealthReport report) =>
        context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        });

    private static string DataDirectory(IServiceProvider sp)
    {
        var directory = Path.GetFullPath(sp.GetRequiredService<IOptions<HubOptions>>().Value.DataDirectory);
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Every target kind's adapter; each adapter folder registers its own clients and jobs.</summary>
    public static IServiceCollection AddTargetAdapters(this IServiceCollection services) =>
        services.AddProsozAdapter().AddMariusAdapter().AddDmsAdapters().AddPostboxAdapter();

    /// <summary>Creates the ledger schema and the tenants' keys before the first request or message.</summary>
    public static async Task InitializeIntegrationHubAsync(this WebApplication app)
    {
        // Before anything is touched: the README's local operator keys never face a network.
        var urls = (app.Configuration["urls"] ?? app.Configuration["Urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
        LocalOperatorKeys.RefuseIfExposed(app.Services.GetRequiredService<IOptions<OperationsOptions>>().Value, urls);
        if (app.Services.GetRequiredService<IOptions<HubOptions>>().Value.Ledger.MigrateOnStart)
            await app.Services.MigrateLedgerAsync();
        var tenants = app.Services.GetRequiredService<TenantDirectory>();
        var keys = app.Services.GetRequiredService<KeyStore>();
        _ = keys.HubSigningKey;
        foreach (var tenant in tenants.Tenants)
        {
            _ = keys.SigningCertificate(tenant.Ars);
            foreach (var destination in tenant.Destinations) _ = keys.DestinationKey(destination.Id);
        }
    }

    public static WebApplication MapIntegrationHub(this WebApplication app)
    {
        // Every answer has a JSON body: unhandled errors and bare status codes become problems too.
        app.UseExceptionHandler(error => error.Run(async context =>
        {
            var type = context.Features.Get<IExceptionHandlerFeature>()?.Error is BadHttpRequestException
                ? ProblemTypes.InvalidRequest : ProblemTypes.InternalError;
            await ProblemResults.Problem(type, type == ProblemTypes.InternalError ? "The hub could not complete the request; it was logged." : null)
                .ExecuteAsync(context);
        }));
        app.UseStatusCodePages(async status =>
        {
            if (status.HttpContext.Response.StatusCode == StatusCodes.Status404NotFound)
                await ProblemResults.Problem(ProblemTypes.NotFound).ExecuteAsync(status.HttpContext);
            else
                await Results.Problem(statusCode: status.HttpContext.Response.StatusCode).ExecuteAsync(status.HttpContext);
        });

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseHubRateLimits();

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteHealthAsync });
        app.MapTokenEndpoint();
        app.MapDestinationApi();
        app.MapSubmissionApi();
        app.MapProcedureCallbacks();
        app.MapFitConnectSubscriber();
        app.MapAccessProtocol();
        app.MapOnceOnly();
        app.MapOperations();
        app.MapOnboarding();
        return app;
    }
}
