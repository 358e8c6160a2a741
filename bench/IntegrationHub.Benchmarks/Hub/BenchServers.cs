using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

namespace IntegrationHub.Benchmarks.Hub;

/// <summary>
/// The test servers (RabbitMQ, PostgreSQL, Azurite) of scripts/test-servers.sh, found through HUB_TEST_* variables;
/// each run gets its own database, vhost and container (as tests/IntegrationHub.EndToEndTests/Support/TestServers.cs does).
/// </summary>
public sealed class BenchServers
{
    private const string AzuriteAccount = "devstoreaccount1";
    // Azurite's published, well-known development key (a constant of the emulator, not a secret).
    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string _rabbitMq, _management, _postgres, _azurite;

    private BenchServers(string rabbitMq, string management, string postgres, string azurite) =>
        (_rabbitMq, _management, _postgres, _azurite) = (rabbitMq, management, postgres, azurite);

    public static BenchServers FromEnvironment()
    {
        var missing = new[] { "HUB_TEST_RABBITMQ", "HUB_TEST_RABBITMQ_MANAGEMENT", "HUB_TEST_POSTGRES", "HUB_TEST_AZURITE" }
            .Where(v => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v))).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"The servers profile needs {string.Join(", ", missing)}: start the servers with " +
                "scripts/test-servers.sh start /tmp/srv-bench && source /tmp/srv-bench/env (and scripts/test-servers.sh stop /tmp/srv-bench afterwards).");
        return new BenchServers(Environment.GetEnvironmentVariable("HUB_TEST_RABBITMQ")!, Environment.GetEnvironmentVariable("HUB_TEST_RABBITMQ_MANAGEMENT")!,
            Environment.GetEnvironmentVariable("HUB_TEST_POSTGRES")!, Environment.GetEnvironmentVariable("HUB_TEST_AZURITE")!);
    }

    public sealed record Isolated(string Database, string VirtualHost, IReadOnlyDictionary<string, string?> Settings);

    /// <summary>A fresh database, vhost and blob container; the hub settings that use them.</summary>
    public async Task<Isolated> IsolateAsync(string prefix)
    {
        var database = Shorten($"bench_{prefix}_{Guid.NewGuid():N}");
        await using (var connection = new NpgsqlConnection(_postgres))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        var vhost = $"bench-{prefix}-{Guid.NewGuid():N}";
        using (var management = Management())
        {
            (await management.PutAsync($"api/vhosts/{vhost}", Json("{}"))).EnsureSuccessStatusCode();
            (await management.PutAsync($"api/permissions/{vhost}/guest", Json("""{"configure":".*","write":".*","read":".*"}"""))).EnsureSuccessStatusCode();
        }
        return new Isolated(database, vhost, new Dictionary<string, string?>
        {
            ["Hub:Transport"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = new Uri(new Uri(_rabbitMq), vhost).ToString(),
            ["Hub:Ledger:Provider"] = "Postgres",
            ["ConnectionStrings:Ledger"] = new NpgsqlConnectionStringBuilder(_postgres) { Database = database, MaxPoolSize = 40 }.ConnectionString,
            ["Hub:BlobStore:Provider"] = "AzureBlob",
            ["Hub:BlobStore:AzureBlob:ServiceUri"] = _azurite,
            ["Hub:BlobStore:AzureBlob:AccountName"] = AzuriteAccount,
            ["Hub:BlobStore:AzureBlob:AccountKey"] = AzuriteKey,
            ["Hub:BlobStore:AzureBlob:Container"] = Shorten($"bench-{prefix}-{Guid.NewGuid():N}"),
        });
    }

    /// <summary>Drops the run's database and vhost (the Azurite container is left to the throw-away emulator, as the tests do).</summary>
    public async Task RemoveAsync(Isolated isolated)
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_postgres);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{isolated.Database}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
            using var management = Management();
            await management.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(isolated.VirtualHost)}");
        }
        catch (Exception e) when (e is NpgsqlException or HttpRequestException)
        {
            Console.Error.WriteLine($"[bench] cleaning up {isolated.Database} / {isolated.VirtualHost} failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private HttpClient Management()
    {
        var client = new HttpClient { BaseAddress = new Uri(_management) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("guest:guest")));
        return client;
    }

    // Database and container names: lower case, at most 40 characters.
    private static string Shorten(string name) => name[..Math.Min(40, name.Length)].ToLowerInvariant();

    public static bool Available => Environment.GetEnvironmentVariable("HUB_TEST_RABBITMQ") is { Length: > 0 };

    /// <summary>The virtual host of a hub's RabbitMQ connection string, or null on the embedded default.</summary>
    public static string? VirtualHostOf(IReadOnlyDictionary<string, string?> settings) =>
        settings.GetValueOrDefault("ConnectionStrings:RabbitMq") is { } uri ? new Uri(uri).AbsolutePath.TrimStart('/') : null;

    /// <summary>Messages published into a virtual host so far (RabbitMQ management API, message_stats.publish).</summary>
    public async Task<long> PublishedAsync(string vhost)
    {
        using var management = Management();
        var node = JsonNode.Parse(await management.GetStringAsync($"api/vhosts/{Uri.EscapeDataString(vhost)}"));
        return node?["message_stats"]?["publish"]?.GetValue<long>() ?? 0;
    }

    /// <summary>Pids of the servers' processes (for their CPU share): RabbitMQ's Erlang VM, PostgreSQL, Azurite.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<int>> Processes() => new Dictionary<string, IReadOnlyList<int>>
    {
        ["rabbitmq"] = ProcStat.Find("beam.smp"),
        ["postgresql"] = ProcStat.Find("postgres"),
        ["azurite"] = ProcStat.Find("azurite"),
    };

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
