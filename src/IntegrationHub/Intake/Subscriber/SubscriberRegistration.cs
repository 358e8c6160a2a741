using IntegrationHub.Delivery;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Intake.Subscriber;

public static class SubscriberRegistration
{
    /// <summary>
    /// Intake from FIT-Connect delivery services, as a subscriber of configured destinations (<c>Hub:DeliveryServices</c>):
    /// the callback endpoint, one pickup job per delivery service (polled every PollInterval, fired by callbacks) and
    /// the adapter that answers with accept-/reject-submission. Each delivery service is also a delivery target of
    /// its own name (Kind FitConnectDeliveryService), synthesized from its entry here unless <c>Hub:Targets</c> names it.
    /// </summary>
    public static IServiceCollection AddFitConnectSubscriber(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        var section = configuration.GetSection(DeliveryServiceOptions.Section);
        services.AddOptions<Dictionary<string, DeliveryServiceOptions>>().Bind(section);
        services.PostConfigure<HubOptions>(o =>
        {
            foreach (var (name, service) in section.Get<Dictionary<string, DeliveryServiceOptions>>() ?? [])
                o.Targets.TryAdd(name, new TargetOptions { Kind = FitConnectDeliveryServiceAdapter.KindName, BaseUrl = service.BaseUrl, Timeout = service.Timeout });
        });
        services.AddSingleton<DeliveryServices>();
        services.AddSingleton<SubscriberClients>();
        services.AddSingleton<CallbackGuards>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IPickupTrigger, QuartzPickupTrigger>();
        services.AddScoped<SubmissionPickup>();
        services.AddHttpClient(SubscriberClient.HttpClientName);
        services.AddScoped<FitConnectDeliveryServiceAdapter>();
        services.AddTransient<ITargetAdapter>(sp => sp.GetRequiredService<FitConnectDeliveryServiceAdapter>());

        // One durable job per delivery service, registered with the scheduler when the hub starts (see PickupSchedule).
        services.AddTransient<PickupJob>();
        services.AddHostedService<PickupSchedule>();
        return services;
    }

    /// <summary>The delivery services' callback endpoint; checks their configuration at start-up.</summary>
    public static WebApplication MapFitConnectSubscriber(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<DeliveryServices>(); // a broken configuration never takes traffic
        app.MapDeliveryServiceCallbacks();
        return app;
    }
}
