using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Benchmarks;

// Modes: ceilings [--runs R] [--iterations N] [--warmup W] [--targets T] [--sets S] [--messages M] [--window W] [--classic] --out FILE
//        micro --out FILE
//        e2e --host HOST.dll [--profiles embedded,servers] [--runs 3] [--light-rate 10] [--rate 25] [--rate-seconds 20] [--count 400] [--concurrency 48] [--attachment-kb 200] [--warmup 400] [--logs DIR] [--no-profile] --out FILE
//        bigfile --host HOST.dll [--profiles embedded,servers] [--runs 3] [--attachment-mb 100] [--hub-env NAME=VALUE,...] [--logs DIR] --out FILE
//        replay [--count 10000] [--runs 3] [--warmup 1000] [--profile embedded|servers] --out FILE
//        report [--ceilings FILE] [--micro FILE] [--replay FILE,FILE] [--e2e FILE] [--bigfile FILE] [--from latest.json] --out DIR      (writes DIR/latest.md and DIR/latest.json)
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var mode = args.FirstOrDefault() ?? "ceilings";
string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
int Int(string name, int fallback) => Option(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
var json = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

switch (mode)
{
    case "ceilings":
    {
        var result = new JsonObject();
        var exit = 0;
        result["cpu"] = Ceilings.MeasureCpu(Int("--runs", 7), Int("--iterations", 50), Int("--warmup", 10), Int("--targets", 1), Int("--sets", 4));
        try
        {
            result["rabbitmq"] = await Ceilings.MeasureRabbitMqAsync(Int("--runs", 7), Int("--messages", 20000), Int("--window", 100), !args.Contains("--classic"));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"[ceilings] RabbitMQ ceiling FAILED: {e.GetType().Name}: {e.Message}");
            result["rabbitmq"] = new JsonObject { ["error"] = $"{e.GetType().Name}: {e.Message}" + (e.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : "") };
            exit = 2;
        }
        Write(Option("--out"), result);
        return exit;
    }
    case "micro":
        Write(Option("--out"), Micro.Run());
        return 0;
    case "e2e":
    {
        var options = new IntegrationHub.Benchmarks.EndToEnd.EndToEndOptions(
            HostDll: Option("--host") ?? throw new ArgumentException("--host PATH/IntegrationHub.Host.dll is required"),
            Profiles: (Option("--profiles") ?? "embedded").Split(',', StringSplitOptions.RemoveEmptyEntries),
            Runs: Int("--runs", 3), LightRate: double.Parse(Option("--light-rate") ?? "10", CultureInfo.InvariantCulture), Rate: double.Parse(Option("--rate") ?? "25", CultureInfo.InvariantCulture), RateSeconds: Int("--rate-seconds", 20),
            FullSpeedCount: Int("--count", 400), Concurrency: Int("--concurrency", 48), AttachmentBytes: Int("--attachment-kb", 200) * 1024,
            Warmup: Int("--warmup", 400), LogDirectory: Option("--logs") ?? Path.Combine(Path.GetTempPath(), "integrationhub-bench-logs"),
            Profile: !args.Contains("--no-profile"));
        var result = await IntegrationHub.Benchmarks.EndToEnd.EndToEndBenchmark.RunAsync(options);
        Write(Option("--out"), result);
        return result["profiles"]!.AsObject().Any(p => p.Value?["error"] is not null) ? 2 : 0;
    }
    case "replay":
    {
        var profile = Option("--profile") ?? "embedded";
        try
        {
            Write(Option("--out"), args.Contains("--child") // one run, in a process of its own (started by the replay mode)
                ? await ReplayBenchmark.RunChildAsync(Int("--count", 10000), Int("--warmup", 1000), profile, Option("--keys")!)
                : await ReplayBenchmark.RunAsync(Int("--count", 10000), Int("--runs", 3), profile, Int("--warmup", 1000)));
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"[replay] {profile} FAILED: {e}");
            Write(Option("--out"), new JsonObject { ["profile"] = profile, ["error"] = $"{e.GetType().Name}: {e.Message}" });
            return 2;
        }
    }
    case "bigfile":
    {
        var options = new IntegrationHub.Benchmarks.Memory.BigAttachmentOptions(
            HostDll: Option("--host") ?? throw new ArgumentException("--host PATH/IntegrationHub.Host.dll is required"),
            Profiles: (Option("--profiles") ?? "embedded").Split(',', StringSplitOptions.RemoveEmptyEntries),
            Runs: Int("--runs", 3), AttachmentMb: Int("--attachment-mb", 100),
            LogDirectory: Option("--logs") ?? Path.Combine(Path.GetTempPath(), "integrationhub-bench-logs"),
            HubEnvironment: (Option("--hub-env") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(e => e.Split('=', 2)).ToDictionary(e => e[0], e => e.Length > 1 ? e[1] : ""));
        var result = await IntegrationHub.Benchmarks.Memory.BigAttachmentBenchmark.RunAsync(options);
        Write(Option("--out"), result);
        return result["profiles"]!.AsObject().Any(p => p.Value?["error"] is not null) ? 2 : 0;
    }
    case "report":
    {
        var ceilings = Option("--ceilings") is { } c && File.Exists(c) ? JsonNode.Parse(File.ReadAllText(c))!.AsObject() : null;
        var micro = Option("--micro") is { } m && File.Exists(m) ? JsonNode.Parse(File.ReadAllText(m))!.AsObject() : null;
        var bigfile = Option("--bigfile") is { } b && File.Exists(b) ? JsonNode.Parse(File.ReadAllText(b))!.AsObject() : null;
        var dir = Option("--out") ?? "docs/benchmarks";
        Directory.CreateDirectory(dir);
        // One replay result per profile (embedded, servers), keyed by its profile.
        var replay = new JsonObject();
        foreach (var file in (Option("--replay") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Where(File.Exists))
            replay[JsonNode.Parse(File.ReadAllText(file))!["profile"]!.GetValue<string>()] = JsonNode.Parse(File.ReadAllText(file));
        var e2e = Option("--e2e") is { } e && File.Exists(e) ? JsonNode.Parse(File.ReadAllText(e))!.AsObject() : null;
        var report = Report.Build(ceilings, micro, replay.Count > 0 ? replay : null, e2e, bigfile);
        // --from latest.json: the measured parts and the machine of an earlier report, judged and written again (e.g. after a change of the report's text).
        if (Option("--from") is { } from)
        {
            var earlier = JsonNode.Parse(File.ReadAllText(from))!.AsObject();
            JsonObject? Part(string name) => earlier[name]?.DeepClone() as JsonObject;
            report = Report.Build(Part("ceilings"), Part("micro"), Part("replay"), Part("endToEnd"), Part("bigfile"));
            report["machine"] = earlier["machine"]!.DeepClone();
            report["generatedAt"] = earlier["generatedAt"]!.DeepClone();
        }
        File.WriteAllText(Path.Combine(dir, "latest.json"), report.ToJsonString(json) + "\n");
        File.WriteAllText(Path.Combine(dir, "latest.md"), Report.Markdown(report));
        Console.WriteLine($"[report] wrote {dir}/latest.md and {dir}/latest.json");
        return 0;
    }
    default:
        Console.Error.WriteLine("usage: ceilings|micro|replay|report (see scripts/bench.sh)");
        return 64;
}

void Write(string? path, JsonObject result)
{
    var text = result.ToJsonString(json);
    if (path is null) Console.WriteLine(text);
    else File.WriteAllText(path, text + "\n");
}
