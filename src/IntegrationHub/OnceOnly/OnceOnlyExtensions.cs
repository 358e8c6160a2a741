using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// Wires the once-only evidence lookups. The provider adapter (<see cref="IEvidenceProvider"/>) and the access protocol
/// (<see cref="IAccessProtocol"/>) are registered by their own parts.
/// </summary>
public static class OnceOnlyExtensions
{
    public static IServiceCollection AddOnceOnly(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        services.AddOptions<OnceOnlyOptions>().Bind(configuration.GetSection(OnceOnlyOptions.Section));
        services.AddSingleton<IValidateOptions<HubOptions>, EvidenceConfigurationValidation>();
        services.AddOptions<HubOptions>().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EvidenceRequesters>();
        services.AddSingleton<EvidenceAccessTokens>();
        services.AddSingleton<EvidenceRules>();
        services.AddSingleton<EvidenceCache>();
        // A factory, so the hub starts (and validates its container) before the provider adapter and the protocol are wired.
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<EvidenceService>(sp));
        services.AddScoped<RequireRequesterToken>();
        services.AddSingleton<EvidenceProtection>();
        services.AddScoped<SubmissionConsents>();
        services.AddScoped(sp => ActivatorUtilities.CreateInstance<EvidenceRequestProcessor>(sp));
        // CallbackTimeout governs; no redirects: an allowed origin must not pass the signed result on to another address.
        services.AddHttpClient(EvidenceRequestProcessor.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddSingleton<EvidenceRequestWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<EvidenceRequestWorker>());
        return services;
    }

    public static IEndpointRouteBuilder MapOnceOnly(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/evidence/token", EvidenceTokenEndpoint.IssueAsync).WithTags("Evidence").DisableAntiforgery()
            .RequireRateLimiting(Intake.RateLimits.TokenPolicy);
        var requests = app.MapGroup("/api/v1/evidence/requests").WithTags("Evidence").AddEndpointFilter<RequireRequesterToken>();
        requests.MapPost("", EvidenceApi.RequestAsync);
        requests.MapGet("/{requestId:guid}", EvidenceApi.StatusAsync);
        return app;
    }
}
