using IntegrationHub.Cli;
using Spectre.Console;

// hubctl talks to a running hub's operations API (--hub, --api-key); see README "Operations API and hubctl".
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
