using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Operations.Edits;

public static class EditsRegistration
{
    // Placeholder of the seam: edit and retry registers here.
    public static IServiceCollection AddMessageEdits(this IServiceCollection services) => services;
}
