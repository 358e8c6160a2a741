using IntegrationHub.Simulators;

namespace IntegrationHub.Host.Demo;

public static class DemoSetup
{
    /// <summary>Starts the simulators in-process and points the hub's targets at them.</summary>
    public static async Task<SimulatorServer> StartSimulatorsAsync(ConfigurationManager configuration)
    {
        var simulators = await SimulatorServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Hub:Targets:prosoz:BaseUrl"] = new Uri(simulators.BaseAddress, "prosoz/").ToString(),
            ["Hub:Targets:marius:BaseUrl"] = new Uri(simulators.BaseAddress, "marius/").ToString(),
            ["Hub:Targets:marius:PollInterval"] = "00:00:01",
        };
        // The Marius-like procedure works through its mailbox: address, mailbox ids, the hub's key, its certificate.
        foreach (var (key, value) in simulators.Marius.HubTargetSettings("marius", simulators.BaseAddress)) settings[key] = value;
        simulators.Marius.AutoDecide = true; // the demo shows Wohngeld cases decided, Bescheid included
        configuration.AddInMemoryCollection(settings);
        return simulators;
    }
}
