using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Operations.Edits;

public static class EditsRegistration
{
    /// <summary>Edit and retry (Hub:Operations:EditAndRetry) and the reader of approved edits that delivery uses.</summary>
    public static IServiceCollection AddMessageEdits(this IServiceCollection services)
    {
        services.AddSingleton<EditedApplicationData>();
        services.AddScoped<IMessageEdits, MessageEdits>();
        return services;
    }
}
