using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace IntegrationHub.Cli;

public sealed partial class Hubctl
{
    /// <summary>hubctl tenant: smoke-test.</summary>
    private IEnumerable<Command> TenantSmokeTestCommands()
    {
        var ars = new Argument<string>("ars") { Description = "The municipality's ARS (12 digits)" };
        var noWait = new Option<bool>("--no-wait") { Description = "Start the smoke test and print its id without waiting for it" };
        var timeout = new Option<string>("--timeout") { Description = "How long to wait for the result (e.g. 120s, 5m)", DefaultValueFactory = _ => "120s" };
        var command = new Command("smoke-test",
            "Sends a synthetic application per service of the municipality through the whole path and shows each step green or red: exit 0 passed, 1 failed")
        {
            ars, noWait, timeout,
        };
        command.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var wait = ParseDuration(r.GetValue(timeout)!) ?? throw new UsageException("--timeout must be a duration like 120s, 5m or 00:02:00.");
            var municipality = Uri.EscapeDataString(r.GetValue(ars)!);
            var body = await hub.PostAsync($"municipalities/{municipality}/smoke-tests", new JsonObject(), ct);
            var run = JsonNode.Parse(body)!.AsObject();
            var id = run["id"]!.GetValue<string>();
            var output = _console.Profile.Out.Writer;
            if (r.GetValue(noWait))
            {
                if (json) return Json(body);
                await output.WriteLineAsync($"Smoke test {id} of {r.GetValue(ars)} started (GET {HubClient.ApiPrefix}municipalities/{r.GetValue(ars)}/smoke-tests/{id}).");
                return Ok;
            }
            if (!json) await output.WriteLineAsync($"Smoke test {id} of {r.GetValue(ars)} started, waiting up to {wait.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s …");
            var deadline = DateTime.UtcNow + wait;
            while (run["outcome"]?.GetValue<string>() == "running" && DateTime.UtcNow < deadline)
            {
                await Task.Delay(_pollInterval, ct);
                body = await hub.GetAsync($"municipalities/{municipality}/smoke-tests/{id}", ct);
                run = JsonNode.Parse(body)!.AsObject();
            }
            var outcome = run["outcome"]?.GetValue<string>();
            if (json)
            {
                Json(body);
                return outcome == "passed" ? Ok : Refused;
            }
            foreach (var service in run["services"]?.AsArray() ?? [])
            {
                await output.WriteLineAsync($"{service!["name"]} ({service["leikaKey"]})");
                foreach (var step in service["steps"]?.AsArray() ?? [])
                {
                    var passed = step!["passed"]?.GetValue<bool>() == true;
                    var detail = step["detail"]?.GetValue<string>();
                    await output.WriteLineAsync($"  {(passed ? "✔" : "✘")} {step["name"]}{(detail is null ? "" : (passed ? ": " : " – ") + detail)}");
                }
            }
            if (run["problem"]?.GetValue<string>() is { } problem) await output.WriteLineAsync($"✘ {problem}");
            switch (outcome)
            {
                case "passed":
                    await output.WriteLineAsync("Smoke test passed.");
                    return Ok;
                case "running":
                    await _error.WriteLineAsync($"The smoke test is still running after {wait.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (run {id}).");
                    return Refused;
                default:
                    await output.WriteLineAsync("Smoke test failed.");
                    return Refused;
            }
        }));
        yield return command;
    }

    /// <summary>"120s", "5m", "1h" or a TimeSpan ("00:02:00"); null when it is neither or not positive.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        TimeSpan? value = text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
            ? char.ToLowerInvariant(text[^1]) switch { 's' => TimeSpan.FromSeconds(n), 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), _ => null }
            : TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : null;
        return value > TimeSpan.Zero ? value : null;
    }
}
