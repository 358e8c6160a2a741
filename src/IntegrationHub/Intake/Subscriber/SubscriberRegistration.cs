using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Intake.Subscriber;

public static class SubscriberRegistration
{
    /// <summary>Intake from FIT-Connect delivery services, as a subscriber of configured destinations.</summary>
    public static IServiceCollection AddFitConnectSubscriber(this IServiceCollection services, IConfiguration configuration, HubOptions hub) => services;

    /// <summary>The delivery services' callback endpoint.</summary>
    public static WebApplication MapFitConnectSubscriber(this WebApplication app) => app;
}
