using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IntegrationHub.Benchmarks.Hub;
using IntegrationHub.Simulators;

namespace IntegrationHub.Benchmarks.EndToEnd;

/// <summary>Settings of the end-to-end load test (scripts/bench.sh e2e; defaults in brackets of the usage line).</summary>
public sealed record EndToEndOptions(
    string HostDll, IReadOnlyList<string> Profiles, int Runs, double LightRate, double Rate, int RateSeconds, int FullSpeedCount, int Concurrency,
    int AttachmentBytes, int Warmup, string LogDirectory, bool Profile);

/// <summary>
/// The hub end to end: per profile one hub process, warmed up, then per run one fixed-rate phase (open loop) and one
/// full-speed phase (closed loop). Figures are medians over the runs with their spread.
/// </summary>
public static class EndToEndBenchmark
{
    public static async Task<JsonObject> RunAsync(EndToEndOptions options)
    {
        var result = new JsonObject
        {
            ["description"] =
                "Sozialhilfe applications to Offenbach (routed to the Prosoz-like procedure), each with one incompressible attachment, " +
                "sent through the hub's HTTP API by the simulators' online service (OAuth token, destination and key lookup, announcement, " +
                "encrypted attachment upload, encrypted metadata and data: RSA-OAEP-256 4096 + A256GCM), from the bench process, which also " +
                "hosts the simulators. Delivered = the procedure created the case (its CaseCreated event). The hub runs as its own process " +
                "(Release build of IntegrationHub.Host), so its CPU time and memory are read from /proc for it alone.",
            ["attachmentBytes"] = options.AttachmentBytes,
            ["lightRate"] = options.LightRate,
            ["rate"] = options.Rate,
            ["rateSeconds"] = options.RateSeconds,
            ["fullSpeedCount"] = options.FullSpeedCount,
            ["concurrency"] = options.Concurrency,
            ["warmup"] = options.Warmup,
            ["runs"] = options.Runs,
        };
        await using var rig = await HubRig.StartAsync();
        result["profiles"] = await BenchProfiles.EachAsync("e2e", options.Profiles, profile =>
            BenchProfiles.WithSettingsAsync(profile, "e2e", (servers, settings) => RunProfileAsync(profile, options, rig, servers, settings)));
        return result;
    }

    private static async Task<JsonObject> RunProfileAsync(string profile, EndToEndOptions options, HubRig rig, BenchServers? servers,
        IReadOnlyDictionary<string, string?> settings)
    {
        Console.WriteLine($"[e2e] {profile}: starting the hub");
        await using var hub = await rig.StartHubAsync(options.HostDll, settings, options.LogDirectory,
            options.Profile && CpuProfile.Available ? CpuProfile.ProcessEnvironment : null);
        using var driver = new LoadDriver(hub, rig.Simulators, servers, options.AttachmentBytes);
        var seed = 1;
        IReadOnlyList<IntegrationHub.Simulators.EfA.DemoApplication> Next(int count)
        {
            var applications = driver.Applications(count, seed);
            seed += count;
            return applications;
        }

        var warmup = await driver.FullSpeedAsync("warm-up", Next(options.Warmup), Math.Min(8, options.Concurrency));
        Console.WriteLine($"[e2e] {profile}: warm-up {warmup.Delivered}/{warmup.Samples.Count} delivered, {warmup.SubmissionsPerSecond:F1}/s");
        if (warmup.Failed > 0) throw new InvalidOperationException($"warm-up: {Failures(warmup)}; see {hub.LogFile}");

        var lightRate = new List<Phase>();
        var fixedRate = new List<Phase>();
        var fullSpeed = new List<Phase>();
        for (var run = 1; run <= options.Runs; run++)
        {
            // Below saturation first: the latency of a hub that keeps up, next to the one of the target rate.
            if (options.LightRate > 0)
            {
                var light = await driver.FixedRateAsync($"rate {options.LightRate}/s", Next((int)(options.LightRate * options.RateSeconds)), options.LightRate);
                Console.WriteLine($"[e2e] {profile} run {run}: {options.LightRate}/s → {light.Delivered} delivered ({light.Failed} failed), p50 {light.Percentile(s => s.AcceptedToDeliveredMs, 0.5):F0} ms, p99 {light.Percentile(s => s.AcceptedToDeliveredMs, 0.99):F0} ms, hub CPU {light.HubCpuMsPerSubmission:F1} ms/submission");
                lightRate.Add(light);
            }
            var rate = await driver.FixedRateAsync($"rate {options.Rate}/s", Next((int)(options.Rate * options.RateSeconds)), options.Rate);
            Console.WriteLine($"[e2e] {profile} run {run}: {options.Rate}/s → {rate.Delivered} delivered ({rate.Failed} failed), p50 {rate.Percentile(s => s.AcceptedToDeliveredMs, 0.5):F0} ms, p99 {rate.Percentile(s => s.AcceptedToDeliveredMs, 0.99):F0} ms, hub CPU {rate.HubCpuMsPerSubmission:F1} ms/submission");
            fixedRate.Add(rate);
            var full = await driver.FullSpeedAsync("full speed", Next(options.FullSpeedCount), options.Concurrency);
            Console.WriteLine($"[e2e] {profile} run {run}: full speed → {full.SubmissionsPerSecond:F1} submissions/s ({full.Failed} failed), hub CPU {full.HubCpuMsPerSubmission:F1} ms/submission, p99 {full.Percentile(s => s.AcceptedToDeliveredMs, 0.99):F0} ms");
            fullSpeed.Add(full);
        }

        // What the idle, warm hub burns (background jobs, timers): the phases' CPU includes it, the report shows it apart.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var idleCpu = hub.CpuTime;
        await Task.Delay(TimeSpan.FromSeconds(10));
        var idleCpuPerSecond = (hub.CpuTime - idleCpu).TotalMilliseconds / 10;

        // One more full-speed phase under perf, not counted in the figures: where the hub's CPU goes.
        JsonObject? profileJson = null;
        if (options.Profile && CpuProfile.Available)
        {
            var applications = Next(options.FullSpeedCount);
            profileJson = await CpuProfile.RecordAsync(hub.Pid, () => driver.FullSpeedAsync("profile", applications, options.Concurrency));
        }

        var (resident, peak) = hub.Memory;
        return new JsonObject
        {
            ["cpuProfile"] = profileJson,
            ["settings"] = profile == "servers" ? "RabbitMQ (quorum queues as the hub declares them) + PostgreSQL + Azurite, each fresh for this hub" : "in-memory bus, SQLite, filesystem blob store",
            ["idleHubCpuMsPerSecond"] = Figure.Round(idleCpuPerSecond),
            ["hubResidentBytesAtEnd"] = resident,
            ["hubPeakResidentBytes"] = peak,
            ["lightRate"] = lightRate.Count > 0 ? PhaseJson(lightRate) : null,
            ["fixedRate"] = PhaseJson(fixedRate),
            ["fullSpeed"] = PhaseJson(fullSpeed),
        };
    }

    private static string Failures(Phase phase) =>
        string.Join(", ", phase.Samples.Where(s => !s.Ok).GroupBy(s => s.Failure).Select(g => $"{g.Count()}× {g.Key}"));

    private static JsonObject PhaseJson(IReadOnlyList<Phase> runs)
    {
        Figure Of(string unit, Func<Phase, double> value) => new(unit, runs.Select(value).ToList());
        var json = new JsonObject
        {
            ["name"] = runs[0].Name,
            ["submissionsPerRun"] = runs[0].Samples.Count,
            ["failed"] = runs.Sum(r => r.Failed),
            ["failures"] = runs.Sum(r => r.Failed) == 0 ? null : string.Join("; ", runs.Where(r => r.Failed > 0).Select(Failures)),
            ["submissionsPerSecond"] = Of("submissions/s", r => r.SubmissionsPerSecond).ToJson(),
            ["hubCpuMsPerSubmission"] = Of("ms/submission", r => r.HubCpuMsPerSubmission).ToJson(),
            ["driverAndSimulatorsCpuMsPerSubmission"] = Of("ms/submission", r => r.DriverCpu.TotalMilliseconds / Math.Max(1, r.Delivered)).ToJson(),
        };
        foreach (var (name, select) in new (string, Func<Sample, double>)[]
                 {
                     ("acceptedToDelivered", s => s.AcceptedToDeliveredMs),
                     ("intake", s => s.IntakeMs),
                     ("total", s => s.TotalMs),
                 })
        {
            json[name] = new JsonObject
            {
                ["p50"] = Of("ms", r => r.Percentile(select, 0.50)).ToJson(),
                ["p95"] = Of("ms", r => r.Percentile(select, 0.95)).ToJson(),
                ["p99"] = Of("ms", r => r.Percentile(select, 0.99)).ToJson(),
            };
        }
        if (runs[0].ServerCpu.Count > 0)
        {
            json["serverCpuMsPerSubmission"] = new JsonObject(runs[0].ServerCpu.Keys.Select(server =>
                KeyValuePair.Create(server, (JsonNode?)Of("ms/submission", r => r.ServerCpu[server].TotalMilliseconds / Math.Max(1, r.Delivered)).ToJson())));
            json["brokerMessagesPerSecond"] = Of("messages/s", r => r.BrokerMessages / r.Seconds).ToJson();
            json["brokerMessagesPerSubmission"] = Of("messages/submission", r => (double)r.BrokerMessages / Math.Max(1, r.Delivered)).ToJson();
        }
        return json;
    }
}
