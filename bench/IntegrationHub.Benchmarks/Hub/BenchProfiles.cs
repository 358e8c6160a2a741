using System.Text.Json.Nodes;

namespace IntegrationHub.Benchmarks.Hub;

/// <summary>The two ways the hub runs in the benchmarks: "embedded" (its default) and "servers" (RabbitMQ, PostgreSQL, Azurite).</summary>
public static class BenchProfiles
{
    /// <summary>Runs every profile; one that fails is reported with its reason (never as a zero figure) and the others still run.</summary>
    public static async Task<JsonObject> EachAsync(string mode, IEnumerable<string> profiles, Func<string, Task<JsonObject>> run)
    {
        var results = new JsonObject();
        foreach (var profile in profiles)
        {
            try
            {
                results[profile] = await run(profile);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"[{mode}] profile {profile} FAILED: {e.GetType().Name}: {e.Message}");
                results[profile] = new JsonObject { ["error"] = $"{e.GetType().Name}: {e.Message}" };
            }
        }
        return results;
    }

    /// <summary>
    /// Runs <paramref name="run"/> with the hub settings of <paramref name="profile"/>: none on the embedded default, a fresh
    /// database, virtual host and container on the servers (removed afterwards).
    /// </summary>
    public static async Task<T> WithSettingsAsync<T>(string profile, string prefix, Func<BenchServers?, IReadOnlyDictionary<string, string?>, Task<T>> run)
    {
        if (profile is not ("embedded" or "servers")) throw new ArgumentException($"unknown profile {profile} (embedded or servers)");
        var servers = profile == "servers" ? BenchServers.FromEnvironment() : null;
        var isolated = servers is null ? null : await servers.IsolateAsync(prefix);
        try
        {
            return await run(servers, isolated?.Settings ?? new Dictionary<string, string?>());
        }
        finally
        {
            if (isolated is not null) await servers!.RemoveAsync(isolated);
        }
    }
}
