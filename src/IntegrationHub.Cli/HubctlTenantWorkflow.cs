using System.CommandLine;

namespace IntegrationHub.Cli;

public sealed partial class Hubctl
{
    /// <summary>hubctl tenant: plan, apply, list, show, disable, enable, rollback.</summary>
    private IEnumerable<Command> TenantWorkflowCommands()
    {
        yield break;
    }
}
