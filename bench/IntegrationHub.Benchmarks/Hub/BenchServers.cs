using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

namespace IntegrationHub.Benchmarks.Hub;

/// <summary>
/// The servers profile: RabbitMQ, PostgreSQL and Azurite as scripts/test-servers.sh starts them (HUB_TEST_* variables).
/// Every hub gets a fresh database, virtual host and blob container, so runs do not see each other's data.
/// </summary>
public static class BenchServers
{
    // Azurite's published, well-known development key (a constant of the emulator, not a secret).
    private const string AzuriteAccount = "devstoreaccount1";
    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static bool Available => Environment.GetEnvironmentVariable("HUB_TEST_RABBITMQ") is { Length: > 0 };

    private static string Required(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set: the servers profile needs RabbitMQ, PostgreSQL and Azurite. " +
                "Start them with scripts/test-servers.sh start /tmp/srv-bench && source /tmp/srv-bench/env.");

    /// <summary>Hub settings for the three servers, each fresh for one hub process.</summary>
    public static async Task<Dictionary<string, string?>> HubSettingsAsync(string prefix)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var database = $"{prefix}_{suffix}";
        await using (var connection = new NpgsqlConnection(Required("HUB_TEST_POSTGRES")))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        var vhost = $"{prefix}-{suffix}";
        using (var management = Management())
        {
            (await management.PutAsync($"api/vhosts/{vhost}", Json("{}"))).EnsureSuccessStatusCode();
            (await management.PutAsync($"api/permissions/{vhost}/guest", Json("""{"configure":".*","write":".*","read":".*"}"""))).EnsureSuccessStatusCode();
        }
        return new Dictionary<string, string?>
        {
            ["Hub:Transport"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = new Uri(new Uri(Required("HUB_TEST_RABBITMQ")), vhost).ToString(),
            ["Hub:Ledger:Provider"] = "Postgres",
            ["ConnectionStrings:Ledger"] = new NpgsqlConnectionStringBuilder(Required("HUB_TEST_POSTGRES")) { Database = database, MaxPoolSize = 40 }.ConnectionString,
            ["Hub:BlobStore:Provider"] = "AzureBlob",
            ["Hub:BlobStore:AzureBlob:ServiceUri"] = Required("HUB_TEST_AZURITE"),
            ["Hub:BlobStore:AzureBlob:AccountName"] = AzuriteAccount,
            ["Hub:BlobStore:AzureBlob:AccountKey"] = AzuriteKey,
            ["Hub:BlobStore:AzureBlob:Container"] = $"{prefix}-{suffix}".ToLowerInvariant(),
        };
    }

    /// <summary>The virtual host of a hub's RabbitMQ connection string, or null on the embedded default.</summary>
    public static string? VirtualHost(IReadOnlyDictionary<string, string?> settings) =>
        settings.GetValueOrDefault("ConnectionStrings:RabbitMq") is { } uri ? new Uri(uri).AbsolutePath.TrimStart('/') : null;

    /// <summary>Messages published into a virtual host so far (RabbitMQ management API, message_stats.publish).</summary>
    public static async Task<long> PublishedAsync(string vhost)
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

    private static HttpClient Management()
    {
        var client = new HttpClient { BaseAddress = new Uri(Required("HUB_TEST_RABBITMQ_MANAGEMENT")) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("guest:guest")));
        return client;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
