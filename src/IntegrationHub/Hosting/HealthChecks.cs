using IntegrationHub.Ledger;
using IntegrationHub.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace IntegrationHub.Hosting;

/// <summary>Ready means: the ledger answers.</summary>
public sealed class LedgerHealthCheck(IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        return await db.Database.CanConnectAsync(ct) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The ledger database does not answer.");
    }
}

/// <summary>Ready means: the blob store takes, returns and removes a probe.</summary>
public sealed class BlobStoreHealthCheck(IBlobStore blobs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var name = $"health/{Environment.MachineName}-{Guid.NewGuid():N}";
        try
        {
            await blobs.PutAsync(name, new MemoryStream([1]), ct);
            await using (var s = await blobs.OpenReadAsync(name, ct)) _ = s.ReadByte();
            await blobs.DeleteAsync(name, ct);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("The blob store does not answer.", e);
        }
    }
}
