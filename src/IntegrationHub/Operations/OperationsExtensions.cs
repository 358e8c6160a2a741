using IntegrationHub.Operations.Access;
using IntegrationHub.Operations.Api;
using IntegrationHub.Operations.Audit;
using IntegrationHub.Operations.Console;
using IntegrationHub.Operations.Edits;
using IntegrationHub.Operations.FailedMessages;
using IntegrationHub.Operations.Retention;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Operations;

/// <summary>The operations console's parts: the failed-message store, edits, retention, the API, the web UI.</summary>
public static class OperationsExtensions
{
    public static IServiceCollection AddOperations(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        services.AddOperatorAuthentication(configuration);
        services.AddScoped<IOperatorAudit, OperatorAudit>();
        services.AddFailedMessageStore(configuration, hub);
        services.AddMessageEdits();
        services.AddRetention(configuration, hub);
        services.AddOperationsApi();
        services.AddOperationsConsole();
        return services;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapOperationsApi();
        app.MapOperationsConsole();
        return app;
    }
}
