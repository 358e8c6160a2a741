using Spectre.Console;
using Hubctl = IntegrationHub.Cli.Hubctl;

namespace IntegrationHub.EndToEndTests;

/// <summary>Runs hubctl in-process against a test hub, with plain (uncoloured, wide) output the tests can read.</summary>
public static class HubctlRunner
{
    /// <summary>A console without colours or interaction, 250 columns wide, writing to <paramref name="output"/>.</summary>
    public static IAnsiConsole PlainConsole(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 250;
        return console;
    }

    /// <summary>One hubctl command: its exit code, what it printed and what it wrote to stderr.</summary>
    public static async Task<(int Exit, string Output, string Error)> RunAsync(HttpClient http, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await new Hubctl(PlainConsole(output), error, http).RunAsync(args);
        return (exit, output.ToString(), error.ToString());
    }
}
