using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Operations.Console;

public static class OperationsConsole
{
    // Placeholder of the seam: the web UI (/ops) and the overview (dashboard, submission search) register here.
    public static IServiceCollection AddOperationsConsole(this IServiceCollection services) => services;
    public static WebApplication MapOperationsConsole(this WebApplication app) => app;
}
