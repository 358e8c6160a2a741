using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Storage.AzureBlob;

public static class AzureBlobServiceCollectionExtensions
{
    /// <summary>
    /// Makes Azure Blob Storage the hub's <see cref="IBlobStore"/> (replacing the filesystem default), configured from
    /// <see cref="AzureBlobOptions.Section"/>. One store instance per process, so the container is ensured once.
    /// A <see cref="TokenCredential"/> registered before is used when no key is configured (else DefaultAzureCredential).
    /// </summary>
    public static IServiceCollection AddAzureBlobStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AzureBlobOptions>().Bind(configuration.GetSection(AzureBlobOptions.Section));
        services.AddHttpClient(AzureBlobStore.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan) // AzureBlobOptions.RequestTimeout governs
            // The singleton keeps its client; recycled connections still pick up DNS changes.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        services.TryAddSingleton(sp => new AzureBlobStore(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(AzureBlobStore.HttpClientName),
            sp.GetRequiredService<IOptions<AzureBlobOptions>>().Value,
            sp.GetService<TokenCredential>()));
        services.RemoveAll<IBlobStore>();
        services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<AzureBlobStore>());
        return services;
    }
}
