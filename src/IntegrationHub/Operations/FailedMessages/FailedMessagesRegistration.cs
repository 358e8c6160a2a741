using IntegrationHub.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Operations.FailedMessages;

public static class FailedMessagesRegistration
{
    /// <summary>
    /// The failed-message store: the recorder the error-queue ingestion writes through (its consumer and receive
    /// endpoints are set up with the bus, see <see cref="ErrorQueues"/>), the operator side, and the retry worker.
    /// </summary>
    public static IServiceCollection AddFailedMessageStore(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        services.AddScoped<IFailureRecorder, FailureRecorder>();
        services.AddScoped<IFailedMessages, FailedMessageStore>();
        services.AddSingleton<RetryQueue>();
        services.AddHostedService<RetryWorker>();
        return services;
    }
}
