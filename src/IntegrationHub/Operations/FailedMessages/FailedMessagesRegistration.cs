using IntegrationHub.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Operations.FailedMessages;

public static class FailedMessagesRegistration
{
    // Placeholder of the seam: the failed-message store, its ingestion and the retry batches register here.
    public static IServiceCollection AddFailedMessageStore(this IServiceCollection services, IConfiguration configuration, HubOptions hub) => services;
}
