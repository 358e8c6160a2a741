using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Benchmarks;

/// <summary>The benchmark report of issue 9: machine, figures with median and spread, and what follows from them.</summary>
public static class Report
{
    /// <summary>Bus messages one accepted single-target submission causes (received, accepted, delivery requested, completed).</summary>
    public const int BusMessagesPerSubmission = 4;

    public static JsonObject Build(JsonObject? ceilings, JsonObject? micro, JsonObject? replay = null, JsonObject? e2e = null, JsonObject? bigfile = null)
    {
        var report = new JsonObject
        {
            ["issue"] = 9,
            ["generatedAt"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["machine"] = Machine(),
            ["ceilings"] = ceilings?.DeepClone(),
            ["micro"] = micro?.DeepClone(),
            ["replay"] = replay?.DeepClone(),
            ["endToEnd"] = e2e?.DeepClone(),
        };
        if (bigfile is not null) report["bigfile"] = bigfile.DeepClone();
        var derived = new JsonObject();
        var cores = Environment.ProcessorCount;
        if (ceilings?["cpu"]?["cpuMsPerSubmission"]?["median"] is { } ms)
        {
            derived["cpuCeilingSubmissionsPerSecondAllCores"] = Figure.Round(cores * 1000 / ms.GetValue<double>());
            derived["cpuCeilingNote"] = $"{cores} cores x 1000 / median CPU-ms per submission: no hub on this machine can exceed it.";
        }
        if (ceilings?["rabbitmq"]?["messagesPerSecond"]?["median"] is { } rate)
        {
            // Messages per submission as the load test counted them at the broker, else the four of the single-target path.
            var measured = e2e?["profiles"]?["servers"]?["fullSpeed"]?["brokerMessagesPerSubmission"]?["median"]?.GetValue<double>();
            var perSubmission = measured ?? BusMessagesPerSubmission;
            derived["brokerCeilingSubmissionsPerSecond"] = Figure.Round(rate.GetValue<double>() / perSubmission);
            derived["brokerCeilingNote"] = measured is not null
                ? $"median messages/s / {perSubmission:F1} messages the hub published per submission in the load test (received, accepted, a delivery request per target step: procedure, DMS filing, two postbox steps, and their completions)."
                : $"median messages/s / {BusMessagesPerSubmission} bus messages per single-target submission (SubmissionReceived, SubmissionAccepted, DeliveryRequested, DeliveryCompleted).";
        }
        report["derived"] = derived;
        if (e2e is not null) report["ratios"] = EndToEnd.EndToEndReport.Ratios(e2e, ceilings);
        report["targets"] = Targets.Evaluate(report);
        return report;
    }

    private static JsonObject Machine()
    {
        string? Meminfo(string key)
        {
            var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal)) : null;
            if (line is null || !long.TryParse(line.Split(':')[1].Trim().Split(' ')[0], out var kb)) return null;
            return $"{kb / 1024.0 / 1024.0:F1} GiB ({kb} kB)";
        }
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() : null;
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') : null;
        return new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["cpu"] = cpu,
            ["memTotal"] = Meminfo("MemTotal"),
            ["memAvailable"] = Meminfo("MemAvailable"),
            ["os"] = os ?? RuntimeInformation.OSDescription,
            ["kernel"] = "Linux " + Environment.OSVersion.Version,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["loadAverage"] = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null,
            ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        };
    }

    private static string F(JsonNode? n) => n is null ? "–" : n.GetValue<double>().ToString(n.GetValue<double>() >= 100 ? "F0" : n.GetValue<double>() >= 1 ? "F2" : "F4", CultureInfo.InvariantCulture);
    private static string Spread(JsonNode? f) => f is null ? "–" : $"{F(f["min"])} – {F(f["max"])} (IQR {F(f["q1"])} – {F(f["q3"])})";

    public static string Markdown(JsonObject report)
    {
        var md = new StringBuilder();
        var machine = report["machine"]!;
        md.AppendLine("# IntegrationHub benchmarks (issue 9): latest report").AppendLine();
        md.AppendLine($"Generated {report["generatedAt"]} by `scripts/bench.sh`. Absolute figures drift between machines; the ratios to the ceilings measured in the same run do not.").AppendLine();
        md.AppendLine(Targets.Markdown(report["targets"]!.AsArray()));
        md.AppendLine("## Machine").AppendLine();
        md.AppendLine($"- cores: {machine["cores"]} ({machine["cpu"]})");
        md.AppendLine($"- memory: {machine["memTotal"]} total, {machine["memAvailable"]} available at the start of the report");
        md.AppendLine($"- OS: {machine["os"]} ({machine["kernel"]})");
        md.AppendLine($"- .NET: {machine["dotnet"]}");
        md.AppendLine($"- load average (1, 5, 15 min) when the report was written: {machine["loadAverage"]} (other work on the machine inflates wall times, not the thread CPU times of ceiling (a))");
        md.AppendLine($"- date: {machine["date"]}").AppendLine();

        var ceilings = report["ceilings"];
        var cpu = ceilings?["cpu"];
        md.AppendLine("## Ceiling (a): unavoidable CPU work per submission, one thread").AppendLine();
        if (cpu is null) md.AppendLine("Not measured in this run.").AppendLine();
        else
        {
            var app = cpu["application"]!;
            md.AppendLine($"{cpu["description"]}").AppendLine();
            md.AppendLine($"Application: {app["kind"]}, data {app["dataBytes"]} B, metadata {app["metadataBytes"]} B, {app["attachments"]} attachment of {app["attachmentBytes"]} B; {app["handoverSignaturesPerSubmission"]} handover signature(s) (Sozialhilfe routes to one procedure, prosoz; the DMS filing and the postbox steps sign nothing), {app["setsPerSubmission"]} SETs (the hub signs four per submission: submit-submission, accept-submission, case-status submitted and received). {cpu["runs"]} runs of {cpu["iterationsPerRun"]} submissions after {cpu["warmupIterations"]} warm-up submissions.").AppendLine();
            md.AppendLine("| figure | median | spread: min – max (IQR) | runs |").AppendLine("|---|---:|---|---:|");
            void Row(string name, JsonNode? f) => md.AppendLine($"| {name} | {F(f?["median"])} {f?["unit"]} | {Spread(f)} | {f?["n"]} |");
            foreach (var (name, figure) in cpu["components"]!.AsObject()) Row(name, figure);
            Row("**total (CPU time of the thread)**", cpu["cpuMsPerSubmission"]);
            Row("total (wall time, Stopwatch)", cpu["wallMsPerSubmission"]);
            Row("total (process CPU time, incl. GC and JIT threads)", cpu["processCpuMsPerSubmission"]);
            Row("submissions/s on one core", cpu["submissionsPerSecondOneCore"]);
            md.AppendLine();
            md.AppendLine("### Where the time goes").AppendLine();
            md.AppendLine(WhereTheTimeGoes(cpu)).AppendLine();
        }

        md.AppendLine("## Ceiling (b): raw RabbitMQ").AppendLine();
        var rabbit = ceilings?["rabbitmq"];
        if (rabbit is null) md.AppendLine("Not measured in this run.").AppendLine();
        else if (rabbit["error"] is { } error) md.AppendLine($"**FAILED**: {error}").AppendLine();
        else
        {
            md.AppendLine($"{rabbit["description"]}").AppendLine();
            md.AppendLine($"RabbitMQ {rabbit["server"]}, RabbitMQ.Client {rabbit["client"]}, {rabbit["queueType"]} queue, message {rabbit["messageBytes"]} B (a MassTransit-style envelope of DeliveryRequested), {rabbit["messagesPerRun"]} messages per run, confirm window {rabbit["confirmWindow"]}, prefetch {rabbit["prefetch"]}.").AppendLine();
            md.AppendLine("| figure | median | spread: min – max (IQR) | runs |").AppendLine("|---|---:|---|---:|");
            md.AppendLine($"| published, confirmed and consumed | {F(rabbit["messagesPerSecond"]?["median"])} messages/s | {Spread(rabbit["messagesPerSecond"])} | {rabbit["messagesPerSecond"]?["n"]} |");
            md.AppendLine($"| published and confirmed | {F(rabbit["publishConfirmedPerSecond"]?["median"])} messages/s | {Spread(rabbit["publishConfirmedPerSecond"])} | {rabbit["publishConfirmedPerSecond"]?["n"]} |");
            md.AppendLine();
        }

        var derived = report["derived"]!.AsObject();
        if (derived.Count > 0)
        {
            md.AppendLine("## What the ceilings allow").AppendLine();
            if (derived["cpuCeilingSubmissionsPerSecondAllCores"] is { } c) md.AppendLine($"- CPU: at most **{F(c)} submissions/s** ({derived["cpuCeilingNote"]})");
            if (derived["brokerCeilingSubmissionsPerSecond"] is { } b) md.AppendLine($"- Broker: at most **{F(b)} submissions/s** ({derived["brokerCeilingNote"]})");
            md.AppendLine();
        }
        if (report["endToEnd"] is JsonObject e2e) md.AppendLine(EndToEnd.EndToEndReport.Markdown(e2e, report["ratios"] as JsonObject));

        md.AppendLine("## Micro-benchmarks (BenchmarkDotNet)").AppendLine();
        var micro = report["micro"];
        if (micro is null) md.AppendLine("Not measured in this run.").AppendLine();
        else
        {
            md.AppendLine($"{micro["description"]}").AppendLine();
            md.AppendLine("| benchmark | median | spread: min – max | mean ± sd | iterations | allocated/op |").AppendLine("|---|---:|---|---:|---:|---:|");
            foreach (var b in micro["benchmarks"]!.AsArray())
            {
                if (b!["error"] is { } e) { md.AppendLine($"| {b["name"]} | **{e}** | | | | |"); continue; }
                var t = b["time"]!;
                md.AppendLine($"| {b["name"]} | {F(t["median"])} µs | {F(t["min"])} – {F(t["max"])} µs | {F(t["mean"])} ± {F(t["stdDev"])} µs | {t["n"]} | {b["allocatedBytesPerOp"]} B |");
            }
            md.AppendLine();
        }
        if (report["bigfile"] is JsonObject bigfile) md.Append(Memory.BigAttachmentBenchmark.Markdown(bigfile));
        if (report["replay"] is JsonObject replay) md.AppendLine(ReplayBenchmark.Markdown(replay));
        md.AppendLine("The same figures, with every run, are in `latest.json`.");
        return md.ToString();
    }

    private static string WhereTheTimeGoes(JsonNode cpu)
    {
        var total = cpu["cpuMsPerSubmission"]!["median"]!.GetValue<double>();
        var parts = cpu["components"]!.AsObject()
            .Select(p => (Name: p.Key, Ms: p.Value!["median"]!.GetValue<double>()))
            .OrderByDescending(p => p.Ms).ToList();
        var names = new Dictionary<string, string>
        {
            ["rsa_oaep_unwrap"] = "the three RSA-OAEP-256 (4096) key unwraps",
            ["aes_gcm_decrypt"] = "AES-256-GCM decryption (with base64url decoding)",
            ["sha512"] = "SHA-512 of data and attachment",
            ["xsd_validation"] = "XSD validation",
            ["xmldsig_sign"] = "XMLDSig signing of the handover",
            ["set_sign_ps512"] = "the PS512 SET signatures",
        };
        string Share((string Name, double Ms) p) => $"{names.GetValueOrDefault(p.Name, p.Name)} {p.Ms.ToString("F2", CultureInfo.InvariantCulture)} ms ({100 * p.Ms / total:F0} %)";
        var rsa = parts.Where(p => p.Name is "rsa_oaep_unwrap" or "set_sign_ps512" or "xmldsig_sign").Sum(p => p.Ms);
        return $"Of {total.ToString("F2", CultureInfo.InvariantCulture)} ms per submission, {Share(parts[0])} dominate, followed by {Share(parts[1])} and {Share(parts[2])}; "
            + $"the rest is {string.Join(", ", parts.Skip(3).Select(Share))}. "
            + $"RSA private-key operations (unwraps, XMLDSig, SETs) together take {rsa.ToString("F2", CultureInfo.InvariantCulture)} ms ({100 * rsa / total:F0} %)"
            + (rsa / total >= 0.5
                ? ": the per-submission cost is bound by RSA private-key operations, not by the payload size; hashing and AES-GCM over the attachment are cheap next to them."
                : "; the payload-proportional work (AES-GCM, SHA-512, XML) weighs more than the RSA operations here.");
    }
}
