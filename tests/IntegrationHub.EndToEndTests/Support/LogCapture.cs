using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using IntegrationHub.Observability;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// Captures everything a hub of the end-to-end tests logs (Debug and above, every category, the request lines of Serilog's
/// request logging among them: the rendered message, the structured properties with the scopes' values, the exception with
/// its stack) into a file under HUB_E2E_LOG_CAPTURE/&lt;profile&gt;,
/// one event per line, so tests/IntegrationHub.PrivacyTests can prove that no personal data reaches the logs. The tags of
/// the hub's and MassTransit's activities and metrics go to a telemetry file of the test process. Off when the variable is unset.
/// </summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    public const string Variable = "HUB_E2E_LOG_CAPTURE";

    private readonly CaptureFile _file;
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    private LogCapture(CaptureFile file) => _file = file;

    /// <summary>A capture for one fixture's hubs, or null when capturing is off.</summary>
    public static LogCapture? Start(string fixture)
    {
        var folder = Folder();
        if (folder is null) return null;
        TelemetryCapture.EnsureStarted(folder);
        return new LogCapture(new CaptureFile(Path.Combine(folder, $"{fixture}-{Guid.NewGuid():N}.log")));
    }

    /// <summary>HUB_E2E_LOG_CAPTURE/embedded or /servers, created; null when the variable is unset.</summary>
    private static string? Folder()
    {
        var root = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(root)) return null;
        var folder = Path.Combine(root, HubFixture.OnServers ? "servers" : "embedded");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>
    /// Puts the capture into a hub. Serilog, the hub's logging, hands its events to the container's logger providers; for
    /// the capture it runs at Debug for every source (the hub's overrides included), and its console at Warning, or that
    /// would repeat the capture by the million.
    /// </summary>
    public void AddTo(IWebHostBuilder web)
    {
        web.UseSetting("Logging:ConsoleMinimumLevel", "Warning");
        web.ConfigureTestServices(services =>
        {
            services.AddSingleton<ILoggerProvider>(this);
            services.AddSingleton<ILoggerSettings>(sp => new EverySourceAtDebug(sp.GetRequiredService<IConfiguration>()));
        });
    }

    /// <summary>Applied after the hub's "Serilog" section (Serilog's ReadFrom.Services): Debug by default and for every override.</summary>
    private sealed class EverySourceAtDebug(IConfiguration configuration) : ILoggerSettings
    {
        public void Configure(Serilog.LoggerConfiguration logger)
        {
            logger.MinimumLevel.ControlledBy(new LoggingLevelSwitch(LogEventLevel.Debug));
            foreach (var source in configuration.GetSection("Serilog:MinimumLevel:Override").GetChildren())
                logger.MinimumLevel.Override(source.Key, LogEventLevel.Debug);
        }
    }

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <summary>Not the hub's to close: a fixture's hubs share the capture, and Serilog disposes the providers it writes to.</summary>
    public void Dispose() { }

    /// <summary>Writes what is left; the fixture's hubs are disposed by then.</summary>
    public void Close()
    {
        _file.Dispose();
        TelemetryCapture.Flush();
    }

    private void Write<TState>(string category, LogLevel level, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = new StringBuilder();
        line.Append(level).Append(' ').Append(category);
        if (eventId.Id != 0 || eventId.Name is not null) line.Append(" [").Append(eventId.Id).Append(' ').Append(eventId.Name).Append(']');
        line.Append(" | ").Append(formatter(state, exception));
        if (state is IEnumerable<KeyValuePair<string, object?>> properties)
        {
            line.Append(" | properties:");
            foreach (var (key, value) in properties) line.Append(' ').Append(key).Append('=').Append(Render(value)).Append(';');
        }
        var scopes = new StringBuilder();
        _scopes.ForEachScope((scope, text) =>
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> values)
                foreach (var (key, value) in values) text.Append(' ').Append(key).Append('=').Append(Render(value)).Append(';');
            else text.Append(' ').Append(Render(scope)).Append(';');
        }, scopes);
        if (scopes.Length > 0) line.Append(" | scopes:").Append(scopes);
        if (exception is not null) line.Append(" | exception: ").Append(exception); // type, message, inner exceptions, stack
        _file.Add(line.ToString());
    }

    internal static string Render(object? value) => value switch
    {
        null => "null",
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Render)) + "]",
        _ => value.ToString() ?? "",
    };

    private sealed class CapturingLogger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => capture._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) capture.Write(category, logLevel, eventId, state, exception, formatter);
        }
    }
}

/// <summary>
/// A capture file: lines are queued and appended every second (a crashed test run still leaves what was logged until then),
/// one entry per line (line breaks inside an entry become "⏎"), each prefixed with its time. An entry that differs from one
/// written before only in GUIDs, trace ids, timestamps or elapsed milliseconds is not written again (EF Core's Debug lines
/// repeat by the hundred thousand): those tokens cannot hold personal data, so the scan loses nothing. Only a 64-bit hash of
/// each written entry stays in memory (the replay test bounds the heap). The last line counts the events.
/// </summary>
internal sealed partial class CaptureFile : IDisposable
{
    private readonly string _path;
    private readonly ConcurrentQueue<string> _pending = new();
    private readonly ConcurrentDictionary<long, byte> _written = new();
    private readonly Timer _timer;
    private readonly Lock _writing = new();
    private long _events;
    private bool _disposed;

    public CaptureFile(string path)
    {
        _path = path;
        File.WriteAllText(path, "");
        _timer = new Timer(_ => Flush(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public void Add(string entry)
    {
        Interlocked.Increment(ref _events);
        entry = entry.Replace("\r\n", " ⏎ ").Replace('\n', '⏎');
        if (!_written.TryAdd(Shape(entry), 0)) return;
        _pending.Enqueue(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) + " " + entry);
        if (_disposed) Flush(); // a hub that logs after its fixture is gone (shutdown stragglers)
    }

    /// <summary>The hash of the entry with its identifiers, timestamps and durations blanked.</summary>
    private static long Shape(string entry)
    {
        var shape = Durations().Replace(Timestamps().Replace(HexIds().Replace(Guids().Replace(entry, "#g"), "#h"), "#t"), "#d");
        return BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(shape)), 0);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial System.Text.RegularExpressions.Regex Guids();

    // Trace and span ids (lowercase hex, 16 and more: longer than an IdNr, and no IBAN is lowercase).
    [System.Text.RegularExpressions.GeneratedRegex(@"\b[0-9a-f]{16,}\b")]
    private static partial System.Text.RegularExpressions.Regex HexIds();

    [System.Text.RegularExpressions.GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?|\d\d/\d\d/\d{4} \d\d:\d\d:\d\d(?: [+-]\d\d:\d\d)?")]
    private static partial System.Text.RegularExpressions.Regex Timestamps();

    [System.Text.RegularExpressions.GeneratedRegex(@"\(\d+ms\)|elapsed=\d+;|\d\d:\d\d:\d\d\.\d{7}")]
    private static partial System.Text.RegularExpressions.Regex Durations();

    public void Flush()
    {
        lock (_writing)
        {
            if (_pending.IsEmpty) return;
            using var writer = new StreamWriter(_path, append: true, new UTF8Encoding(false));
            while (_pending.TryDequeue(out var line)) writer.WriteLine(line);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _timer.Dispose();
        _pending.Enqueue($"# capture closed: {Interlocked.Read(ref _events)} events, {_written.Count} distinct lines");
        Flush();
    }
}

/// <summary>
/// The tags of the activities (traces) and measurements (metrics) of the hub's ActivitySource and Meter and MassTransit's,
/// for the whole test process (the listeners are process-wide, whichever fixture's hub made them).
/// </summary>
internal static class TelemetryCapture
{
    private static readonly string[] Sources = [HubTelemetry.Name, "MassTransit"];
    private static readonly Lock Starting = new();
    private static CaptureFile? _file;

    public static void EnsureStarted(string folder)
    {
        lock (Starting)
        {
            if (_file is not null) return;
            _file = new CaptureFile(Path.Combine(folder, $"telemetry-{Environment.ProcessId}-{Guid.NewGuid():N}.log"));
            var activities = new ActivityListener
            {
                ShouldListenTo = source => Sources.Contains(source.Name),
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStopped = Record,
            };
            ActivitySource.AddActivityListener(activities);
            var meters = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (Sources.Contains(instrument.Meter.Name)) listener.EnableMeasurementEvents(instrument);
                },
            };
            meters.SetMeasurementEventCallback<long>((i, _, tags, _) => Record(i, tags));
            meters.SetMeasurementEventCallback<int>((i, _, tags, _) => Record(i, tags));
            meters.SetMeasurementEventCallback<double>((i, _, tags, _) => Record(i, tags));
            meters.Start();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Flush();
        }
    }

    public static void Flush() => _file?.Flush();

    private static void Record(Activity activity)
    {
        var line = new StringBuilder("activity ").Append(activity.Source.Name).Append(' ').Append(activity.DisplayName).Append(" | tags:");
        foreach (var (key, value) in activity.TagObjects) line.Append(' ').Append(key).Append('=').Append(LogCapture.Render(value)).Append(';');
        foreach (var e in activity.Events)
        {
            line.Append(" | event ").Append(e.Name).Append(':');
            foreach (var (key, value) in e.Tags) line.Append(' ').Append(key).Append('=').Append(LogCapture.Render(value)).Append(';');
        }
        _file?.Add(line.ToString());
    }

    // Counters fire for every message: the capture file writes each shape of instrument and tags once.
    private static void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var line = new StringBuilder("metric ").Append(instrument.Meter.Name).Append(' ').Append(instrument.Name).Append(" | tags:");
        foreach (var (key, value) in tags) line.Append(' ').Append(key).Append('=').Append(LogCapture.Render(value)).Append(';');
        _file?.Add(line.ToString());
    }
}
