using System.Security.Cryptography;
using IntegrationHub.Simulators;

namespace IntegrationHub.Benchmarks.Hub;

/// <summary>
/// What the hub processes of one benchmark mode share: the simulators they deliver to (in the bench process), and one key
/// folder with its random master key (RSA-4096 keys take seconds to make; the folder goes when the mode ends).
/// </summary>
public sealed class HubRig : IAsyncDisposable
{
    private HubRig(SimulatorServer simulators) => Simulators = simulators;

    public SimulatorServer Simulators { get; }
    public string KeyDirectory { get; } = Path.Combine(Path.GetTempPath(), "integrationhub-bench-keys-" + Guid.NewGuid().ToString("N")[..8]);
    public string MasterKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static async Task<HubRig> StartAsync() => new(await SimulatorServer.StartAsync());

    /// <summary>A hub process on this rig (see <see cref="HubProcess.StartAsync"/>).</summary>
    public Task<HubProcess> StartHubAsync(string hostDll, IReadOnlyDictionary<string, string?> settings, string logDirectory,
        IReadOnlyDictionary<string, string>? environment = null) =>
        HubProcess.StartAsync(hostDll, Simulators, KeyDirectory, MasterKey, settings, logDirectory, environment);

    public async ValueTask DisposeAsync()
    {
        await Simulators.DisposeAsync();
        try { Directory.Delete(KeyDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
