using Spectre.Console;

namespace IntegrationHub.Cli;

/// <summary>
/// hubctl's entry point: it talks to a running hub's operations API (--hub, --api-key; see README "Operations API and
/// hubctl") and checks municipality files offline. A named class rather than top-level statements: with ASP.NET Core
/// referenced, .NET makes a top-level Program public, which would clash with the hub's own in the tests.
/// </summary>
internal static class HubctlProgram
{
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        try
        {
            return await new Hubctl(AnsiConsole.Console, Console.Error).RunAsync(args, cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return 130; // interrupted; a started retry batch keeps running in the hub
        }
    }
}
