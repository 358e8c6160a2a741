using System.Diagnostics;
using IntegrationHub.EndToEndTests;

namespace IntegrationHub.InfrastructureTests.Compose;

/// <summary>No Docker engine runs here, so the compose file is checked with docker-compose config.</summary>
public sealed class DockerComposeTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public async Task Compose_file_is_valid_and_runs_rabbitmq_postgres_azurite_two_hubs_and_the_simulators()
    {
        var (exitCode, config) = await ComposeConfigAsync();

        exitCode.Should().Be(0, config);
        foreach (var service in new[] { "rabbitmq:", "postgres:", "azurite:", "hub-1:", "hub-2:", "simulators:" })
            config.Should().Contain($"  {service}");
        config.Should().Contain("rabbitmq:3.10-management").And.Contain("condition: service_healthy").And.Contain("restart: unless-stopped");
    }

    [Fact]
    public async Task Compose_configures_the_hub_with_the_same_keys_as_the_test_servers()
    {
        var (_, config) = await ComposeConfigAsync();
        // The keys the test script's servers are given (TestServers.HubSettingsAsync), in environment-variable form.
        var keys = new[]
        {
            "Hub:Transport", "ConnectionStrings:RabbitMq", "Hub:Ledger:Provider", "ConnectionStrings:Ledger", "Hub:BlobStore:Provider",
            "Hub:BlobStore:AzureBlob:ServiceUri", "Hub:BlobStore:AzureBlob:AccountName", "Hub:BlobStore:AzureBlob:AccountKey",
            "Hub:BlobStore:AzureBlob:Container", "Hub:Keys:MasterKey", "Hub:Targets:prosoz:BaseUrl", "Hub:Targets:marius:BaseUrl",
        };
        foreach (var key in keys) config.Should().Contain($"{key.Replace(":", "__")}:", $"the compose file must configure {key}");
    }

    [Fact]
    public async Task Compose_refuses_to_start_without_the_secrets_from_the_environment()
    {
        var (exitCode, output) = await ComposeConfigAsync(withSecrets: false);

        exitCode.Should().NotBe(0);
        output.Should().Contain("Missing mandatory value");
    }

    private static async Task<(int ExitCode, string Output)> ComposeConfigAsync(bool withSecrets = true)
    {
        var start = new ProcessStartInfo("docker-compose", ["-f", Path.Combine(Root, "docker-compose.yml"), "config"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Root,
        };
        foreach (var secret in new[] { "HUB_MASTER_KEY", "POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "AZURE_STORAGE_KEY", "XTA_HUB_KEY", "PROSOZ_CALLBACK_SECRET", "DMS_API_KEY",
                     "OPS_READER_KEY_SHA256", "OPS_OPERATOR_KEY_SHA256", "OPS_ADMIN_KEY_SHA256", "OPS_APPROVER_KEY_SHA256" })
            if (withSecrets) start.Environment[secret] = "test-value";
            else start.Environment.Remove(secret);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException("docker-compose is not installed: run ./test.sh, which installs it (apt-get install docker-compose).");
        }
        using (process)
        {
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, output);
        }
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "IntegrationHub.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("The repository root (IntegrationHub.sln) was not found.");
    }
}
