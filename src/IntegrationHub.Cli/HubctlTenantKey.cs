using System.CommandLine;

namespace IntegrationHub.Cli;

public sealed partial class Hubctl
{
    /// <summary>hubctl tenant: rotate and retire destination keys.</summary>
    private IEnumerable<Command> TenantKeyCommands()
    {
        yield break;
    }
}
