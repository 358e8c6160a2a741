using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace IntegrationHub.InfrastructureTests.Resilience;

/// <summary>
/// The hub as its own operating-system process (dotnet IntegrationHub.Host.dll), configured through
/// environment variables the way a deployment configures it, so tests can SIGKILL and restart it. Like
/// docker-compose's restart policy, it starts the hub again when it exits on its own with a failure.
/// </summary>
public sealed class HubProcess : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;
    private bool _stopping;

    public HubProcess(string name, IReadOnlyDictionary<string, string?> settings, int? port = null)
    {
        Name = name;
        _settings = settings;
        Port = port ?? FreePort();
    }

    public string Name { get; }
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");
    public IReadOnlyCollection<string> Output => _output;
    public int Starts { get; private set; }
    /// <summary>Restarts after the hub exited on its own with a failure code (the supervisor's part).</summary>
    public int SupervisorRestarts { get; private set; }

    public void Start()
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "IntegrationHub.Host.dll"), "--urls", BaseAddress.ToString().TrimEnd('/')])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _settings) start.Environment[key.Replace(":", "__")] = value;
        start.Environment["Hub__PublicBaseUrl"] = BaseAddress.ToString().TrimEnd('/');
        start.Environment["DOTNET_gcServer"] = "0";
        _stopping = false;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.Exited += (_, _) => RestartOnFailure();
        if (!_process.Start()) throw new InvalidOperationException("The hub process did not start.");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Starts++;
    }

    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (DateTime.UtcNow < deadline)
        {
            if (_process is { HasExited: true })
                throw new InvalidOperationException($"Hub {Name} exited with {_process.ExitCode}:\n{Tail()}");
            try
            {
                if ((await http.GetAsync(new Uri(BaseAddress, "health/ready"))).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"Hub {Name} was not ready in time:\n{Tail()}");
    }

    private void RestartOnFailure()
    {
        if (_stopping || _process is null || _process.ExitCode == 0) return;
        _output.Enqueue($"[supervisor] hub exited with {_process.ExitCode}; starting it again");
        SupervisorRestarts++;
        Thread.Sleep(1000);
        Start();
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing, like a crashed container.</summary>
    public void Kill()
    {
        _stopping = true;
        if (_process is null || _process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>Peak resident memory of the process so far (VmHWM), in bytes.</summary>
    public long PeakResidentBytes()
    {
        if (_process is null || _process.HasExited) return 0;
        var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public string Tail(int lines = 40) => string.Join('\n', _output.TakeLast(lines));

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
