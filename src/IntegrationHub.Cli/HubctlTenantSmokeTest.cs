using System.CommandLine;

namespace IntegrationHub.Cli;

public sealed partial class Hubctl
{
    /// <summary>hubctl tenant: smoke-test.</summary>
    private IEnumerable<Command> TenantSmokeTestCommands()
    {
        yield break;
    }
}
