using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Benchmarks.EndToEnd;

/// <summary>The end-to-end section of the report, and the ratios of the hub to the ceilings measured in the same run.</summary>
public static class EndToEndReport
{
    private static double? Median(JsonNode? figure) => figure?["median"]?.GetValue<double>();

    /// <summary>
    /// Hub CPU per submission ÷ ceiling (a), per profile and phase; hub broker messages/s ÷ ceiling (b) (servers, full speed).
    /// </summary>
    public static JsonObject Ratios(JsonObject e2e, JsonObject? ceilings)
    {
        var ratios = new JsonObject();
        var cpuCeiling = Median(ceilings?["cpu"]?["cpuMsPerSubmission"]);
        var brokerCeiling = Median(ceilings?["rabbitmq"]?["messagesPerSecond"]);
        foreach (var (profile, node) in e2e["profiles"]!.AsObject())
        {
            if (node?["error"] is not null) continue;
            var entry = new JsonObject();
            foreach (var phase in new[] { "lightRate", "fixedRate", "fullSpeed" })
            {
                if (cpuCeiling is { } c && Median(node![phase]?["hubCpuMsPerSubmission"]) is { } hub)
                    entry[$"{phase}CpuPerSubmissionToCeilingA"] = Math.Round(hub / c, 2);
            }
            if (brokerCeiling is { } b && Median(node!["fullSpeed"]?["brokerMessagesPerSecond"]) is { } rate)
                entry["fullSpeedBrokerMessagesPerSecondToCeilingB"] = Math.Round(rate / b, 4);
            ratios[profile] = entry;
        }
        return ratios;
    }

    private static string F(double? value, string format = "F1") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "–";
    private static string Spread(JsonNode? f) => f is null ? "–" : $"{F(Median(f))} ({F(f["min"]?.GetValue<double>())} – {F(f["max"]?.GetValue<double>())})";

    public static string Markdown(JsonObject e2e, JsonObject? ratios)
    {
        var md = new StringBuilder();
        md.AppendLine("## The hub end to end").AppendLine();
        md.AppendLine($"{e2e["description"]}").AppendLine();
        md.AppendLine($"Per profile: one hub process, warmed up with {e2e["warmup"]} submissions (the JIT's tiering settles), then {e2e["runs"]} runs of " +
                      $"(1) **{e2e["lightRate"]} submissions/s** (below saturation) and **{e2e["rate"]} submissions/s** (the target's rate), each for {e2e["rateSeconds"]} s, open loop (each started on schedule, whether earlier ones finished or not) and " +
                      $"(2) **full speed**: {e2e["fullSpeedCount"]} submissions by {e2e["concurrency"]} concurrent senders, each sending its next when the last was accepted. " +
                      $"Attachment {(int)(e2e["attachmentBytes"]!.GetValue<int>() / 1024)} KB. Figures: median over the runs (min – max). " +
                      "Latency *accepted → delivered*: from the 202 of the submit request to the procedure's case; *intake*: the sender's whole flow " +
                      "(token, lookups, announcement, upload, submit); hub CPU: user + system time of the hub process over the phase, per delivered submission.").AppendLine();
        foreach (var (profile, node) in e2e["profiles"]!.AsObject())
        {
            md.AppendLine($"### {profile}: {node?["settings"]}").AppendLine();
            if (node?["error"] is { } error)
            {
                md.AppendLine($"**FAILED**: {error}").AppendLine();
                continue;
            }
            // Columns: the light rate (when measured), the target rate, full speed.
            var phases = new List<(string Title, JsonNode Phase)>();
            if (node!["lightRate"] is { } light) phases.Add(($"{e2e["lightRate"]}/s fixed rate", light));
            phases.Add(($"{e2e["rate"]}/s fixed rate", node["fixedRate"]!));
            phases.Add(("full speed", node["fullSpeed"]!));
            md.AppendLine("| figure | " + string.Join(" | ", phases.Select(p => p.Title)) + " |").AppendLine("|---|" + string.Concat(phases.Select(_ => "---:|")));
            void Row(string name, Func<JsonNode, JsonNode?> of) => md.AppendLine($"| {name} | " + string.Join(" | ", phases.Select(p => Spread(of(p.Phase)))) + " |");
            Row("delivered submissions/s", p => p["submissionsPerSecond"]);
            Row("latency accepted → delivered p50 (ms)", p => p["acceptedToDelivered"]?["p50"]);
            Row("latency accepted → delivered p95 (ms)", p => p["acceptedToDelivered"]?["p95"]);
            Row("latency accepted → delivered p99 (ms)", p => p["acceptedToDelivered"]?["p99"]);
            Row("intake (sender's flow) p50 (ms)", p => p["intake"]?["p50"]);
            Row("intake (sender's flow) p99 (ms)", p => p["intake"]?["p99"]);
            Row("**hub CPU per submission (ms)**", p => p["hubCpuMsPerSubmission"]);
            Row("load driver + simulators CPU per submission (ms)", p => p["driverAndSimulatorsCpuMsPerSubmission"]);
            var full = node["fullSpeed"]!;
            if (full["serverCpuMsPerSubmission"] is JsonObject servers)
                foreach (var (server, _) in servers) Row($"{server} CPU per submission (ms)", p => p["serverCpuMsPerSubmission"]?[server]);
            if (full["brokerMessagesPerSecond"] is not null)
            {
                Row("broker messages published/s", p => p["brokerMessagesPerSecond"]);
                Row("broker messages per submission", p => p["brokerMessagesPerSubmission"]);
            }
            md.AppendLine("| failed submissions (all runs) | " + string.Join(" | ", phases.Select(p => p.Phase["failed"]?.ToString())) + " |");
            md.AppendLine().AppendLine($"Idle, warm hub: {node["idleHubCpuMsPerSecond"]} ms CPU per second (background jobs; included in the phases' CPU). " +
                                       $"Hub resident memory at the end {Mb(node["hubResidentBytesAtEnd"])} MB, peak {Mb(node["hubPeakResidentBytes"])} MB.").AppendLine();
            if (ratios?[profile] is JsonObject r && r.Count > 0)
                md.AppendLine("Ratios to the ceilings of this run: " + string.Join("; ", r.Select(kv => $"{Describe(kv.Key)} **{kv.Value}**")) + ".").AppendLine();
            if (node["cpuProfile"] is JsonObject profileNode) md.AppendLine(ProfileMarkdown(profileNode));
        }
        return md.ToString();
    }

    private static string Describe(string ratio) => ratio switch
    {
        "lightRateCpuPerSubmissionToCeilingA" => "hub CPU per submission at the light rate ÷ ceiling (a)",
        "fixedRateCpuPerSubmissionToCeilingA" => "at the target rate ÷ ceiling (a)",
        "fullSpeedCpuPerSubmissionToCeilingA" => "at full speed ÷ ceiling (a)",
        "fullSpeedBrokerMessagesPerSecondToCeilingB" => "broker messages/s at full speed ÷ ceiling (b)",
        _ => ratio,
    };

    private static string Mb(JsonNode? bytes) => bytes is null ? "–" : (bytes.GetValue<long>() / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);

    private static string ProfileMarkdown(JsonObject profile)
    {
        var md = new StringBuilder();
        md.AppendLine($"CPU profile of the hub ({profile["method"]}):").AppendLine();
        md.AppendLine("| where | share of the hub's CPU |").AppendLine("|---|---:|");
        foreach (var c in profile["components"]!.AsArray()) md.AppendLine($"| {c!["component"]} | {F(c["percent"]!.GetValue<double>())} % |");
        md.AppendLine().AppendLine("Hottest .NET methods by self time: " + string.Join(", ",
            profile["hottestManagedMethods"]!.AsArray().Take(8).Select(m => $"`{m!["method"]}` {F(m["selfPercent"]!.GetValue<double>(), "F2")} %")) + ".");
        return md.AppendLine().ToString();
    }
}
