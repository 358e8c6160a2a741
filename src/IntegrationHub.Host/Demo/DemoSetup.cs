using System.Security.Cryptography;
using IntegrationHub.Simulators;

namespace IntegrationHub.Host.Demo;

public static class DemoSetup
{
    /// <summary>Starts the simulators in-process and points the hub's targets at them.</summary>
    public static async Task<SimulatorServer> StartSimulatorsAsync(ConfigurationManager configuration)
    {
        var simulators = await SimulatorServer.StartAsync();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hub:Targets:prosoz:BaseUrl"] = new Uri(simulators.BaseAddress, "prosoz/").ToString(),
            ["Hub:Targets:marius:BaseUrl"] = new Uri(simulators.BaseAddress, "marius/").ToString(),
            // A fresh callback secret per demo run, shared with the in-process procedure: no secret lives in code or config.
            ["Hub:Targets:prosoz:CallbackSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Hub:Targets:dms:BaseUrl"] = new Uri(simulators.BaseAddress, "dms/").ToString(),
            // The in-process DMS takes any bearer key; a real one gets Hub__Targets__dms__ApiKey from the environment.
            ["Hub:Targets:dms:ApiKey"] = configuration["Hub:Targets:dms:ApiKey"] ?? Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
        });
        return simulators;
    }
}
