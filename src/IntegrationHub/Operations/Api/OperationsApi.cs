using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Operations.Api;

public static class OperationsApi
{
    // Placeholder of the seam: the operations API (/api/v1/operations/...) and the audit log register here.
    public static IServiceCollection AddOperationsApi(this IServiceCollection services) => services;
    public static WebApplication MapOperationsApi(this WebApplication app) => app;
}
