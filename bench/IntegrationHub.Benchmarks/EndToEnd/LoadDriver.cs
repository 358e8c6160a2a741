using System.Collections.Concurrent;
using System.Diagnostics;
using IntegrationHub.Benchmarks.Hub;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;

namespace IntegrationHub.Benchmarks.EndToEnd;

/// <summary>One submission as the driver saw it: Stopwatch timestamps of start, 202 and the case at the procedure.</summary>
public sealed record Sample(long Started, long Accepted, long Delivered, string? Failure)
{
    public bool Ok => Failure is null && Delivered > 0;
    public double IntakeMs => Ms(Started, Accepted);
    public double AcceptedToDeliveredMs => Ms(Accepted, Delivered);
    public double TotalMs => Ms(Started, Delivered);
    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}

/// <summary>What one load phase measured.</summary>
public sealed record Phase(
    string Name, IReadOnlyList<Sample> Samples, double Seconds, TimeSpan HubCpu, TimeSpan DriverCpu,
    IReadOnlyDictionary<string, TimeSpan> ServerCpu, long BrokerMessages)
{
    public int Delivered => Samples.Count(s => s.Ok);
    public int Failed => Samples.Count - Delivered;
    public double SubmissionsPerSecond => Delivered / Seconds;
    public double HubCpuMsPerSubmission => HubCpu.TotalMilliseconds / Math.Max(1, Delivered);

    public double Percentile(Func<Sample, double> of, double q)
    {
        var sorted = Samples.Where(s => s.Ok).Select(of).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
    }
}

/// <summary>
/// Sends realistic applications through the hub's HTTP API exactly as an online service does (token, destination, key,
/// announce, encrypted attachment upload, encrypted metadata and data: <see cref="EfaOnlineService"/>), and takes a
/// submission as delivered when the Prosoz-like procedure created its case (the simulator's CaseCreated event).
/// </summary>
public sealed class LoadDriver : IDisposable
{
    private readonly HubProcess _hub;
    private readonly SimulatorServer _simulators;
    private readonly HttpClient _http;
    private readonly EfaOnlineService _sender;
    private readonly ConcurrentDictionary<Guid, long> _delivered = new();
    private readonly int _attachmentBytes;

    private readonly BenchServers? _servers;

    public LoadDriver(HubProcess hub, SimulatorServer simulators, BenchServers? servers, int attachmentBytes)
    {
        _hub = hub;
        _servers = servers;
        _simulators = simulators;
        _attachmentBytes = attachmentBytes;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = hub.BaseAddress, Timeout = TimeSpan.FromMinutes(2),
        };
        _sender = new EfaOnlineService(_http, HubProcess.ClientId, hub.ClientSecret);
        simulators.Prosoz.CaseCreated += OnCaseCreated;
    }

    private void OnCaseCreated(IntegrationHub.Simulators.Procedures.SimulatedCase created)
    {
        if (created.SubmissionId is { } id) _delivered.TryAdd(id, Stopwatch.GetTimestamp());
    }

    /// <summary>Sozialhilfe applications to Offenbach (routed to the Prosoz-like procedure), each with its own incompressible attachment.</summary>
    public IReadOnlyList<DemoApplication> Applications(int count, int firstSeed)
    {
        var list = new List<DemoApplication>(count);
        for (var i = 0; i < count; i++)
        {
            var seed = firstSeed + i;
            var content = new byte[_attachmentBytes];
            new Random(seed).NextBytes(content);
            list.Add(HubProcess.Sozialhilfe(seed, content));
        }
        return list;
    }

    /// <summary>Open loop: starts one submission every 1/<paramref name="rate"/> s, whether earlier ones finished or not.</summary>
    public Task<Phase> FixedRateAsync(string name, IReadOnlyList<DemoApplication> applications, double rate) =>
        MeasureAsync(name, applications, async (send, started) =>
        {
            var tasks = new List<Task>(applications.Count);
            for (var i = 0; i < applications.Count; i++)
            {
                var due = started + (long)(i / rate * Stopwatch.Frequency);
                var wait = Sample.Ms(Stopwatch.GetTimestamp(), due);
                if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(wait));
                tasks.Add(send(i));
            }
            await Task.WhenAll(tasks);
        });

    /// <summary>Closed loop: <paramref name="concurrency"/> senders, each starting its next submission when the previous was accepted.</summary>
    public Task<Phase> FullSpeedAsync(string name, IReadOnlyList<DemoApplication> applications, int concurrency) =>
        MeasureAsync(name, applications, async (send, _) =>
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < applications.Count) await send(i);
            }));
        });

    private async Task<Phase> MeasureAsync(string name, IReadOnlyList<DemoApplication> applications, Func<Func<int, Task>, long, Task> load)
    {
        await _hub.WaitUntilQuietAsync(60, TimeSpan.FromMinutes(2)); // a phase starts on a hub that has finished the previous one
        var samples = new Sample?[applications.Count];
        var ids = new Guid?[applications.Count];
        var vhost = _servers is null ? null : BenchServers.VirtualHostOf(_hub.Settings);
        var servers = vhost is null ? null : BenchServers.Processes();
        var published = vhost is null ? 0 : await _servers!.PublishedAsync(vhost);
        var serverCpu = servers?.ToDictionary(s => s.Key, s => CpuOf(s.Value));
        var hubCpu = _hub.CpuTime;
        var driverCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();

        await load(async i =>
        {
            var begin = Stopwatch.GetTimestamp();
            try
            {
                var outcome = await _sender.SubmitAsync(applications[i], HubProcess.OffenbachSozialhilfe);
                var accepted = Stopwatch.GetTimestamp();
                ids[i] = outcome.SubmissionId;
                samples[i] = new Sample(begin, accepted, 0, outcome.SubmitStatus == 202 ? null : $"{outcome.FailedStep}: {outcome.Problem?["type"]}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                samples[i] = new Sample(begin, Stopwatch.GetTimestamp(), 0, e.GetType().Name);
            }
        }, started);

        // Every accepted submission must reach the procedure; two minutes is far beyond any latency measured here.
        var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
        while (Enumerable.Range(0, samples.Length).Any(i => samples[i]!.Failure is null && !_delivered.ContainsKey(ids[i]!.Value))
               && Stopwatch.GetTimestamp() < deadline)
            await Task.Delay(20);
        var final = samples.Select((s, i) => s!.Failure is null
            ? _delivered.TryGetValue(ids[i]!.Value, out var at) ? s with { Delivered = at } : s with { Failure = "not delivered within 2 minutes" }
            : s!).ToList();
        var lastDelivered = final.Where(s => s.Ok).Select(s => s.Delivered).DefaultIfEmpty(Stopwatch.GetTimestamp()).Max();
        // The steps after the procedure's case (DMS filing, postbox notices, ledger updates) belong to the submissions too,
        // and must not run into the next phase.
        await _hub.WaitUntilQuietAsync(60, TimeSpan.FromMinutes(2));

        return new Phase(
            name, final, Sample.Ms(started, lastDelivered) / 1000,
            _hub.CpuTime - hubCpu, Process.GetCurrentProcess().TotalProcessorTime - driverCpu,
            serverCpu?.ToDictionary(s => s.Key, s => CpuOf(servers![s.Key]) - s.Value) ?? [],
            vhost is null ? 0 : await _servers!.PublishedAsync(vhost) - published);
    }

    private static TimeSpan CpuOf(IReadOnlyList<int> pids) =>
        pids.Aggregate(TimeSpan.Zero, (sum, pid) =>
        {
            try { return sum + ProcStat.CpuTime(pid); }
            catch (IOException) { return sum; } // ended in between
        });

    public void Dispose()
    {
        _simulators.Prosoz.CaseCreated -= OnCaseCreated;
        _http.Dispose();
    }
}
