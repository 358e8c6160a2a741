using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The real servers ./test.sh starts (RabbitMQ, PostgreSQL, Azurite), found through HUB_TEST_* variables.
/// A test that needs one fails loudly when it is missing; it never skips.
/// </summary>
public static class TestServers
{
    public const string AzuriteAccount = "devstoreaccount1";
    // Azurite's published, well-known development key (a constant of the emulator, not a secret).
    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>
    /// The master key of every hub the tests start: 32 bytes derived from a label, so the key folder shared by all test
    /// runs (<see cref="SharedKeyDirectory"/>) stays readable from run to run.
    /// </summary>
    public static readonly string MasterKey = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData("integrationhub end-to-end tests"u8));

    /// <summary>RSA-4096 keys take seconds to make; every test run shares one key folder (named for the master key that encrypts it).</summary>
    public static readonly string SharedKeyDirectory = Path.Combine(Path.GetTempPath(), "integrationhub-e2e-keys-256");

    public static string RabbitMq => Required("HUB_TEST_RABBITMQ", "RabbitMQ");
    public static string RabbitMqManagement => Required("HUB_TEST_RABBITMQ_MANAGEMENT", "RabbitMQ's management API");
    public static string Postgres => Required("HUB_TEST_POSTGRES", "PostgreSQL");
    public static string Azurite => Required("HUB_TEST_AZURITE", "Azurite");

    private static string Required(string variable, string server) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{variable} is not set: this test needs a running {server}. Run ./test.sh, which provisions and starts the servers, " +
                "or start them with scripts/test-servers.sh start .test-run/servers and source .test-run/servers/env.");

    /// <summary>A fresh database on the test PostgreSQL; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = Shorten($"{prefix}_{Guid.NewGuid():N}");
        await using (var connection = new NpgsqlConnection(Postgres))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(Postgres) { Database = name, MaxPoolSize = 40 }.ConnectionString;
    }

    /// <summary>A fresh virtual host on the test RabbitMQ; returns its amqp:// URI.</summary>
    public static async Task<string> CreateVirtualHostAsync(string prefix)
    {
        var vhost = $"{prefix}-{Guid.NewGuid():N}";
        using var management = Management();
        (await management.PutAsync($"api/vhosts/{vhost}", Json("{}"))).EnsureSuccessStatusCode();
        (await management.PutAsync($"api/permissions/{vhost}/guest", Json("""{"configure":".*","write":".*","read":".*"}"""))).EnsureSuccessStatusCode();
        return new Uri(new Uri(RabbitMq), vhost).ToString();
    }

    public static async Task DeleteVirtualHostAsync(string amqpUri)
    {
        using var management = Management();
        await management.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(new Uri(amqpUri).AbsolutePath.TrimStart('/'))}");
    }

    /// <summary>Messages waiting in the queues of a virtual host, by queue name.</summary>
    public static async Task<Dictionary<string, long>> QueueDepthsAsync(string amqpUri)
    {
        using var management = Management();
        var vhost = Uri.EscapeDataString(new Uri(amqpUri).AbsolutePath.TrimStart('/'));
        var queues = System.Text.Json.Nodes.JsonNode.Parse(await management.GetStringAsync($"api/queues/{vhost}"))!.AsArray();
        return queues.ToDictionary(q => q!["name"]!.GetValue<string>(), q => q!["messages"]?.GetValue<long>() ?? 0);
    }

    public static HttpClient Management()
    {
        var client = new HttpClient { BaseAddress = new Uri(RabbitMqManagement) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("guest:guest")));
        return client;
    }

    /// <summary>Hub configuration for the three servers, each isolated for one fixture.</summary>
    public static async Task<Dictionary<string, string?>> HubSettingsAsync(string prefix)
    {
        var database = await CreateDatabaseAsync(prefix);
        var vhost = await CreateVirtualHostAsync(prefix);
        return new Dictionary<string, string?>
        {
            ["Hub:Transport"] = "RabbitMq",
            ["ConnectionStrings:RabbitMq"] = vhost,
            ["Hub:Ledger:Provider"] = "Postgres",
            ["ConnectionStrings:Ledger"] = database,
            ["Hub:BlobStore:Provider"] = "AzureBlob",
            ["Hub:BlobStore:AzureBlob:ServiceUri"] = Azurite,
            ["Hub:BlobStore:AzureBlob:AccountName"] = AzuriteAccount,
            ["Hub:BlobStore:AzureBlob:AccountKey"] = AzuriteKey,
            ["Hub:BlobStore:AzureBlob:Container"] = Shorten($"{prefix}-{Guid.NewGuid():N}"),
        };
    }

    // Database and container names: lower case, at most 40 characters.
    private static string Shorten(string name) => name[..Math.Min(40, name.Length)].ToLowerInvariant();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
