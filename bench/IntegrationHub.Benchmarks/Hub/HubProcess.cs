using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using IntegrationHub.Intake;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Benchmarks.Hub;

/// <summary>
/// The hub as its own process (the Release build of IntegrationHub.Host with its appsettings.json: Offenbach and
/// Darmstadt), its targets pointed at simulators in the bench process. A process of its own so that its CPU time and
/// resident memory are the hub's alone (read from /proc), not the load driver's or the simulators'.
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    public const string Offenbach = "064130000000";
    public const string Darmstadt = "064110000000";
    public static readonly Guid OffenbachSozialhilfe = Guid.Parse("cc8f952a-3e56-4e25-8484-0422819eb63f");
    public static readonly Guid OffenbachWohngeld = Guid.Parse("7f076675-a1c0-4408-9bcd-7aeb467f6f11");
    public const string ClientId = "efa-benchmark";

    private readonly Process _process;
    private readonly string _dataDirectory;

    private HubProcess(Process process, Uri baseAddress, string dataDirectory, string logFile, string clientSecret, IReadOnlyDictionary<string, string?> settings)
    {
        _process = process;
        BaseAddress = baseAddress;
        _dataDirectory = dataDirectory;
        LogFile = logFile;
        ClientSecret = clientSecret;
        Settings = settings;
    }

    public Uri BaseAddress { get; }
    public int Pid => _process.Id;
    public string LogFile { get; }
    public string ClientSecret { get; }
    /// <summary>Every setting the hub was started with beyond its appsettings.json (for the servers' addresses).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>
    /// Starts the hub from <paramref name="hostDll"/>. <paramref name="keyDirectory"/> is shared across hub processes of a
    /// bench run (RSA-4096 keys take seconds to make) with the same <paramref name="masterKey"/>; <paramref name="extra"/>
    /// are the profile's settings (servers) and overrides, applied last; <paramref name="environment"/> are runtime variables
    /// (e.g. <see cref="CpuProfile.ProcessEnvironment"/>).
    /// </summary>
    public static async Task<HubProcess> StartAsync(
        string hostDll, SimulatorServer simulators, string keyDirectory, string masterKey,
        IReadOnlyDictionary<string, string?> extra, string logDirectory, IReadOnlyDictionary<string, string>? environment = null, CancellationToken ct = default)
    {
        if (!File.Exists(hostDll)) throw new FileNotFoundException($"The hub's host is not built at {hostDll} (scripts/bench.sh builds it).", hostDll);
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var dataDirectory = Path.Combine(Path.GetTempPath(), "integrationhub-bench-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDirectory);
        Directory.CreateDirectory(logDirectory);
        var logFile = Path.Combine(logDirectory, $"hub-{DateTime.UtcNow:HHmmss}-{port}.log");
        var clientSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var callbackSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var dmsKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        simulators.Dms.ApiKey = dmsKey;

        // The procedures pin the municipalities' signing certificates: make (or load) them in the shared key folder first.
        var keys = new KeyStore(Options.Create(new HubOptions { Keys = { Directory = keyDirectory, MasterKey = masterKey } }), NullLogger<KeyStore>.Instance);
        foreach (var ars in new[] { Offenbach, Darmstadt }) simulators.Pins.Pin(ars, keys.SigningCertificate(ars));

        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = baseAddress.ToString().TrimEnd('/'),
            ["Hub:PublicBaseUrl"] = baseAddress.ToString().TrimEnd('/'),
            ["Hub:DataDirectory"] = dataDirectory,
            ["Hub:Keys:Directory"] = keyDirectory,
            ["Hub:Keys:MasterKey"] = masterKey,
            ["Hub:Targets:prosoz:BaseUrl"] = new Uri(simulators.BaseAddress, "prosoz/").ToString(),
            ["Hub:Targets:prosoz:CallbackSecret"] = callbackSecret,
            ["Hub:Targets:marius:BaseUrl"] = new Uri(simulators.BaseAddress, "marius/").ToString(),
            ["Hub:Targets:marius:PollInterval"] = "00:00:01",
            ["Hub:Targets:bundid:BaseUrl"] = new Uri(simulators.BaseAddress, "postbox/").ToString(),
            ["Hub:Targets:bundid:IdentityProviderKey"] = simulators.Postbox.IdentityProvider.PublicKeyPem,
            ["Hub:Targets:bundid:IdentityProviderIssuer"] = simulators.Postbox.IdentityProvider.Issuer,
            ["Hub:Targets:dms:BaseUrl"] = new Uri(simulators.BaseAddress, "dms/").ToString(),
            ["Hub:Targets:dms:ApiKey"] = dmsKey,
            // The load driver is one registered online service, admitted to Offenbach's destinations.
            ["Hub:Senders:0:ClientId"] = ClientId,
            ["Hub:Senders:0:SecretSha256"] = Convert.ToHexString(SenderClients.Hash(clientSecret)).ToLowerInvariant(),
            ["Hub:Senders:0:Destinations:0"] = OffenbachSozialhilfe.ToString(),
            ["Hub:Senders:0:Destinations:1"] = OffenbachWohngeld.ToString(),
            // One load driver is one client: its allowance must not be what is measured.
            ["Hub:Limits:RateLimit:PermitLimit"] = "1000000",
            ["Hub:Limits:RateLimit:TokenPermitLimit"] = "1000000",
        };
        foreach (var (key, value) in simulators.Marius.HubTargetSettings("marius", simulators.BaseAddress)) settings[key] = value;
        foreach (var (key, value) in extra) settings[key] = value;

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(hostDll)!, UseShellExecute = false };
        start.ArgumentList.Add(hostDll);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var log = new StreamWriter(logFile) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var hub = new HubProcess(process, baseAddress, dataDirectory, logFile, clientSecret, settings);

        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"The hub exited with {process.ExitCode} while starting; see {logFile}.");
            try
            {
                if ((await http.GetAsync("health/ready", ct)).IsSuccessStatusCode) break;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
            {
                await hub.DisposeAsync();
                throw new TimeoutException($"The hub did not get ready within 2 minutes; see {logFile}.");
            }
            await Task.Delay(200, ct);
        }

        // The Prosoz-like procedure reports to the hub with the callback secret the hub was given.
        simulators.Prosoz.Reports.ConfigureCallbacks(new HttpClient(), new Uri(baseAddress, "api/v1/procedures/prosoz/reports"), callbackSecret);
        return hub;
    }

    /// <summary>CPU time (user + system) the hub process has used so far, from /proc/PID/stat.</summary>
    public TimeSpan CpuTime => ProcStat.CpuTime(Pid);

    /// <summary>
    /// Waits until the hub has finished its work: less than <paramref name="cpuMsPerSecond"/> of CPU in a second (the idle
    /// hub uses 15–25 ms), checked every second, at most <paramref name="atMost"/>.
    /// </summary>
    public async Task WaitUntilQuietAsync(double cpuMsPerSecond, TimeSpan atMost)
    {
        for (var waited = TimeSpan.Zero; waited < atMost; waited += TimeSpan.FromSeconds(1))
        {
            var before = CpuTime;
            await Task.Delay(1000);
            if ((CpuTime - before).TotalMilliseconds < cpuMsPerSecond) return;
        }
    }

    /// <summary>A Sozialhilfe application to Offenbach (routed to the Prosoz-like procedure) with <paramref name="attachment"/> as its one attachment.</summary>
    public static DemoApplication Sozialhilfe(int seed, byte[] attachment)
    {
        var application = ApplicationFactory.Sozialhilfe(Offenbach, "63065", "Offenbach am Main", seed, withAttachment: true);
        return application with { Attachments = [application.Attachments[0] with { Content = attachment }] };
    }

    /// <summary>Resident memory now (VmRSS) and the peak since start (VmHWM), in bytes.</summary>
    public (long Resident, long Peak) Memory => ProcStat.Memory(Pid);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>CPU time and resident memory of a process from Linux /proc.</summary>
public static class ProcStat
{
    // utime and stime in /proc/PID/stat count clock ticks; Linux reports them at USER_HZ = 100 on every common platform.
    private const double TicksPerSecond = 100;

    public static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may contain spaces: the fields after it start behind the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    public static (long Resident, long Peak) Memory(int pid) =>
        (Status(pid.ToString(CultureInfo.InvariantCulture), "VmRSS") ?? 0, Status(pid.ToString(CultureInfo.InvariantCulture), "VmHWM") ?? 0);

    /// <summary>
    /// A memory field of /proc/PROCESS/status in bytes ("self" or a pid), or null when the kernel has none: VmRSS, VmHWM, and
    /// RssAnon (heaps, stacks), RssFile (mapped assemblies and native libraries) and RssShmem, which add up to VmRSS.
    /// </summary>
    public static long? Status(string process, string key) =>
        File.ReadLines($"/proc/{process}/status")
            .Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
            .Select(l => (long?)long.Parse(l.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024)
            .FirstOrDefault();

    /// <summary>The pids of running processes whose command line contains <paramref name="fragment"/> (servers' CPU shares).</summary>
    public static IReadOnlyList<int> Find(string fragment) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : -1)
            .Where(pid => pid > 0)
            .Where(pid =>
            {
                try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(fragment, StringComparison.Ordinal); }
                catch (IOException) { return false; }
                catch (UnauthorizedAccessException) { return false; }
            })
            .ToList();
}
