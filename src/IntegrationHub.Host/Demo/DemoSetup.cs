using System.Security.Cryptography;
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
            // Fresh secrets per demo run, shared with the in-process simulators: no secret lives in code or config.
            ["Hub:Targets:prosoz:CallbackSecret"] = Secret(),
            ["Hub:Targets:dms:BaseUrl"] = new Uri(simulators.BaseAddress, "dms/").ToString(),
            // The in-process DMS takes any bearer key; a real one gets Hub__Targets__dms__ApiKey from the environment.
            ["Hub:Targets:dms:ApiKey"] = configuration["Hub:Targets:dms:ApiKey"] ?? Secret(),
            ["Hub:Targets:bundid:BaseUrl"] = new Uri(simulators.BaseAddress, "postbox/").ToString(),
            // The simulated BundID login signs the citizens' identification reports; the hub trusts its key.
            ["Hub:Targets:bundid:IdentityProviderKey"] = simulators.Postbox.IdentityProvider.PublicKeyPem,
            ["Hub:Targets:bundid:IdentityProviderIssuer"] = simulators.Postbox.IdentityProvider.Issuer,
        };
        // The Marius-like procedure works through its mailbox: address, mailbox ids, the hub's key, its certificate.
        foreach (var (key, value) in simulators.Marius.HubTargetSettings("marius", simulators.BaseAddress)) settings[key] = value;
        simulators.Marius.AutoDecide = true; // the demo shows Wohngeld cases decided, Bescheid included
        configuration.AddInMemoryCollection(settings);
        return simulators;
    }

    private static string Secret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
