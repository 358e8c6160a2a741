using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Adapters.Postbox;

public static class PostboxRegistration
{
    /// <summary>The BundID postbox adapter.</summary>
    public static IServiceCollection AddPostboxAdapter(this IServiceCollection services) => services;
}
