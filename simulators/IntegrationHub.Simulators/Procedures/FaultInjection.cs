using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Simulators.Procedures;

/// <summary>How a simulated system behaves during an outage window.</summary>
public enum OutageMode
{
    /// <summary>Answers 503 (with Retry-After, if set) at once.</summary>
    Unavailable,
    /// <summary>Closes the connection without an answer.</summary>
    Drop,
    /// <summary>Takes the call and never answers while the window lasts; the caller runs into its timeout.</summary>
    Hang,
}

/// <summary>An outage window: from, until (wall clock), its mode and the Retry-After the 503s carry.</summary>
public sealed record OutageWindow(DateTimeOffset From, DateTimeOffset Until, OutageMode Mode, TimeSpan? RetryAfter);

/// <summary>What a simulated system does with the next call, decided before it is handled.</summary>
public abstract record FaultDecision
{
    private FaultDecision() { }

    public sealed record None : FaultDecision;

    /// <summary>Answer <paramref name="StatusCode"/> (a problem), optionally with Retry-After.</summary>
    public sealed record Fail(int StatusCode, TimeSpan? RetryAfter, string Kind) : FaultDecision;

    /// <summary>Close the connection without an answer.</summary>
    public sealed record Drop : FaultDecision;

    /// <summary>Hold the call for <paramref name="Duration"/>; then drop it (<paramref name="ThenDrop"/>) or handle it late.</summary>
    public sealed record Hang(TimeSpan Duration, bool ThenDrop) : FaultDecision;
}

/// <summary>
/// Run-time faults of a simulated system, switched in code or through the fault-command endpoint (FaultCommands). Used by
/// every simulator: transport-independent decisions (<see cref="Decide"/>), their application on HTTP
/// (<see cref="ApplyAsync"/>), and flags the callback-sending simulators consult (<see cref="DuplicateCallbacks"/>,
/// <see cref="OutOfOrderCallbacks"/>). Thread-safe.
/// </summary>
/// <remarks>
/// Faults: the next N calls fail with a status (<see cref="FailNext"/>); every call waits <see cref="Latency"/>; each call
/// fails with probability p (<see cref="SetErrorRate"/>, seeded for reproducible tests); an outage window (503 with
/// Retry-After, dropped connections, or hanging calls); the next N calls hang (<see cref="HangNext"/>: a timeout for the
/// caller, handled late); slow bodies (the request read and the answer written at a few bytes per second).
/// </remarks>
public sealed class FaultInjection(TimeProvider? time = null)
{
    private readonly object _gate = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private int _failNext;
    private int _failStatus = 503;
    private TimeSpan _latency = TimeSpan.Zero;
    private double _errorRate;
    private int _errorStatus = 503;
    private Random _random = new();
    private OutageWindow? _outage;
    private int _hangNext;
    private TimeSpan _hangFor;
    private long _slowRequestBytesPerSecond;
    private long _slowResponseBytesPerSecond;
    private bool _duplicateCallbacks;
    private bool _outOfOrderCallbacks;
    private object? _heldBack;
    private int _injected;
    private int _inFlight;
    private int _maxInFlight;

    /// <summary>The next <paramref name="count"/> calls are answered with <paramref name="statusCode"/>.</summary>
    public void FailNext(int count, int statusCode = 503)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        CheckStatus(statusCode);
        lock (_gate)
        {
            _failNext = count;
            _failStatus = statusCode;
        }
    }

    /// <summary>Delay applied before every call is handled (zero = none).</summary>
    public TimeSpan Latency
    {
        get { lock (_gate) { return _latency; } }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            lock (_gate) { _latency = value; }
        }
    }

    /// <summary>How many injected failures are still pending.</summary>
    public int PendingFailures
    {
        get { lock (_gate) { return _failNext; } }
    }

    /// <summary>Each call fails with <paramref name="statusCode"/> with probability <paramref name="probability"/> (0 = off).</summary>
    /// <param name="seed">Seeds the dice, so a test sees the same sequence of failures every run.</param>
    public void SetErrorRate(double probability, int statusCode = 503, int? seed = null)
    {
        if (double.IsNaN(probability) || probability is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "An error rate is between 0 and 1.");
        CheckStatus(statusCode);
        lock (_gate)
        {
            _errorRate = probability;
            _errorStatus = statusCode;
            _random = seed is { } s ? new Random(s) : new Random();
        }
    }

    public double ErrorRate
    {
        get { lock (_gate) { return _errorRate; } }
    }

    /// <summary>An outage from now for <paramref name="duration"/>.</summary>
    public OutageWindow OutageFor(TimeSpan duration, OutageMode mode = OutageMode.Unavailable, TimeSpan? retryAfter = null)
    {
        var now = _time.GetUtcNow();
        return OutageBetween(now, now + duration, mode, retryAfter);
    }

    /// <summary>An outage between two points in time (replaces any earlier window).</summary>
    public OutageWindow OutageBetween(DateTimeOffset from, DateTimeOffset until, OutageMode mode = OutageMode.Unavailable, TimeSpan? retryAfter = null)
    {
        if (until <= from) throw new ArgumentException("An outage ends after it starts.", nameof(until));
        if (retryAfter is { } r && r < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(retryAfter), r, "Retry-After cannot be negative.");
        var window = new OutageWindow(from, until, mode, retryAfter);
        lock (_gate) { _outage = window; }
        return window;
    }

    /// <summary>Ends the outage window now.</summary>
    public void EndOutage()
    {
        lock (_gate) { _outage = null; }
    }

    /// <summary>The outage window, if one is set and has not ended.</summary>
    public OutageWindow? Outage
    {
        get
        {
            lock (_gate) { return _outage is { } o && o.Until > _time.GetUtcNow() ? o : null; }
        }
    }

    /// <summary>Whether a call now falls into the outage window.</summary>
    public bool InOutage
    {
        get
        {
            var now = _time.GetUtcNow();
            lock (_gate) { return _outage is { } o && o.From <= now && now < o.Until; }
        }
    }

    /// <summary>The next <paramref name="count"/> calls are held for <paramref name="duration"/> before they are handled: a timeout for the caller.</summary>
    public void HangNext(int count, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        lock (_gate)
        {
            _hangNext = count;
            _hangFor = duration;
        }
    }

    /// <summary>The request body is read at this rate (0 = normal speed).</summary>
    public long SlowRequestBytesPerSecond
    {
        get { lock (_gate) { return _slowRequestBytesPerSecond; } }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate) { _slowRequestBytesPerSecond = value; }
        }
    }

    /// <summary>The answer body is written at this rate (0 = normal speed).</summary>
    public long SlowResponseBytesPerSecond
    {
        get { lock (_gate) { return _slowResponseBytesPerSecond; } }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate) { _slowResponseBytesPerSecond = value; }
        }
    }

    /// <summary>Callback-sending simulators send every callback twice.</summary>
    public bool DuplicateCallbacks
    {
        get { lock (_gate) { return _duplicateCallbacks; } }
        set { lock (_gate) { _duplicateCallbacks = value; } }
    }

    /// <summary>Callback-sending simulators swap the order of consecutive callbacks (a batch is sent last first).</summary>
    public bool OutOfOrderCallbacks
    {
        get { lock (_gate) { return _outOfOrderCallbacks; } }
        set
        {
            lock (_gate)
            {
                _outOfOrderCallbacks = value;
                if (!value) _heldBack = null;
            }
        }
    }

    /// <summary>How many calls got an injected fault so far (any kind).</summary>
    public int InjectedCount
    {
        get { lock (_gate) { return _injected; } }
    }

    /// <summary>HTTP calls being handled right now.</summary>
    public int CallsInFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most HTTP calls handled at once since the last reset: what a caller's concurrency limit let through.</summary>
    public int MaxCallsInFlight
    {
        get { lock (_gate) { return _maxInFlight; } }
    }

    /// <summary>A batch of callbacks in the order to send them: last first when out of order, every one twice when duplicated.</summary>
    public IReadOnlyList<T> InSendOrder<T>(IEnumerable<T> callbacks)
    {
        ArgumentNullException.ThrowIfNull(callbacks);
        var list = callbacks.ToList();
        bool duplicate, reverse;
        lock (_gate)
        {
            duplicate = _duplicateCallbacks;
            reverse = _outOfOrderCallbacks;
        }

        if (reverse) list.Reverse();
        return duplicate ? list.SelectMany(c => new[] { c, c }).ToList() : list;
    }

    /// <summary>
    /// What to send now for one more callback: itself (twice when duplicated); when out of order, the first callback is held
    /// back and sent after the next one. <see cref="ReleaseHeldBack{T}"/> returns one still held.
    /// </summary>
    public IReadOnlyList<T> ToSend<T>(T callback)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (_gate)
        {
            var copies = _duplicateCallbacks ? 2 : 1;
            var send = new List<T>();
            if (_outOfOrderCallbacks)
            {
                if (_heldBack is not T held)
                {
                    _heldBack = callback;
                    return send;
                }

                _heldBack = null;
                send.AddRange(Enumerable.Repeat(callback, copies));
                send.AddRange(Enumerable.Repeat(held, copies));
                return send;
            }

            send.AddRange(Enumerable.Repeat(callback, copies));
            return send;
        }
    }

    /// <summary>The callback held back for out-of-order sending, if any (it is released).</summary>
    public T? ReleaseHeldBack<T>()
        where T : class
    {
        lock (_gate)
        {
            var held = _heldBack as T;
            if (held is not null) _heldBack = null;
            return held;
        }
    }

    /// <summary>Clears all faults.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _failNext = 0;
            _failStatus = 503;
            _latency = TimeSpan.Zero;
            _errorRate = 0;
            _errorStatus = 503;
            _outage = null;
            _hangNext = 0;
            _hangFor = TimeSpan.Zero;
            _slowRequestBytesPerSecond = 0;
            _slowResponseBytesPerSecond = 0;
            _duplicateCallbacks = false;
            _outOfOrderCallbacks = false;
            _heldBack = null;
            _maxInFlight = Volatile.Read(ref _inFlight);
        }
    }

    /// <summary>Consumes one pending failure, if any, and returns its status.</summary>
    internal bool TryConsumeFailure(out int statusCode)
    {
        lock (_gate)
        {
            if (_failNext > 0)
            {
                _failNext--;
                _injected++;
                statusCode = _failStatus;
                return true;
            }
        }

        statusCode = 0;
        return false;
    }

    /// <summary>
    /// Decides the fate of the next call: an outage first, then a pending hang, then the error rate's dice. (<see cref="FailNext"/>
    /// and <see cref="Latency"/> are applied where the call is handled, for every transport.)
    /// </summary>
    public FaultDecision Decide()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_outage is { } o && o.From <= now && now < o.Until)
            {
                _injected++;
                return o.Mode switch
                {
                    OutageMode.Drop => new FaultDecision.Drop(),
                    OutageMode.Hang => new FaultDecision.Hang(o.Until - now, ThenDrop: true),
                    _ => new FaultDecision.Fail(503, o.RetryAfter, "outage"),
                };
            }

            if (_hangNext > 0)
            {
                _hangNext--;
                _injected++;
                return new FaultDecision.Hang(_hangFor, ThenDrop: false);
            }

            if (_errorRate > 0 && _random.NextDouble() < _errorRate)
            {
                _injected++;
                return new FaultDecision.Fail(_errorStatus, null, "fault-injected");
            }
        }

        return new FaultDecision.None();
    }

    /// <summary>
    /// Applies the faults to an HTTP call before it is handled: answers, drops or holds it, and slows its bodies. Returns
    /// true when the call is finished (answered or dropped) and must not be handled.
    /// </summary>
    public async Task<bool> ApplyAsync(HttpContext context, string simulator)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.RequestAborted;
        var inFlight = Interlocked.Increment(ref _inFlight);
        lock (_gate) { _maxInFlight = Math.Max(_maxInFlight, inFlight); }
        context.Response.RegisterForDispose(new InFlightCall(this));
        switch (Decide())
        {
            case FaultDecision.Fail fail:
                context.Response.StatusCode = fail.StatusCode;
                context.Response.ContentType = "application/problem+json";
                if (fail.RetryAfter is { } retryAfter)
                    context.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                var problem = new JsonObject
                {
                    ["type"] = $"urn:integrationhub:simulator:{simulator}:{fail.Kind}",
                    ["title"] = fail.Kind == "outage" ? "Unavailable (simulated outage)" : "Injected fault",
                    ["status"] = fail.StatusCode,
                };
                await context.Response.WriteAsync(problem.ToJsonString(), ct).ConfigureAwait(false);
                return true;
            case FaultDecision.Drop:
                context.Abort();
                return true;
            case FaultDecision.Hang hang:
                try
                {
                    await Task.Delay(hang.Duration, _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return true; // the caller gave up
                }

                if (hang.ThenDrop)
                {
                    context.Abort();
                    return true;
                }

                break;
        }

        long slowRequest, slowResponse;
        lock (_gate)
        {
            slowRequest = _slowRequestBytesPerSecond;
            slowResponse = _slowResponseBytesPerSecond;
        }

        if (slowRequest > 0) context.Request.Body = new ThrottledStream(context.Request.Body, slowRequest);
        if (slowResponse > 0) context.Response.Body = new ThrottledStream(context.Response.Body, slowResponse);
        return false;
    }

    /// <summary>The current settings, as the fault-command endpoint shows them.</summary>
    public JsonObject Describe()
    {
        var outage = Outage;
        lock (_gate)
        {
            return new JsonObject
            {
                ["pendingFailures"] = _failNext,
                ["failStatus"] = _failStatus,
                ["latencyMs"] = _latency.TotalMilliseconds,
                ["errorRate"] = _errorRate,
                ["errorStatus"] = _errorStatus,
                ["outage"] = outage is null ? null : new JsonObject
                {
                    ["from"] = outage.From.ToString("O", CultureInfo.InvariantCulture),
                    ["until"] = outage.Until.ToString("O", CultureInfo.InvariantCulture),
                    ["mode"] = outage.Mode.ToString().ToLowerInvariant(),
                    ["retryAfterSeconds"] = outage.RetryAfter?.TotalSeconds,
                },
                ["pendingHangs"] = _hangNext,
                ["hangMs"] = _hangFor.TotalMilliseconds,
                ["slowRequestBytesPerSecond"] = _slowRequestBytesPerSecond,
                ["slowResponseBytesPerSecond"] = _slowResponseBytesPerSecond,
                ["duplicateCallbacks"] = _duplicateCallbacks,
                ["outOfOrderCallbacks"] = _outOfOrderCallbacks,
                ["injected"] = _injected,
                ["callsInFlight"] = Volatile.Read(ref _inFlight),
                ["maxCallsInFlight"] = _maxInFlight,
            };
        }
    }

    /// <summary>
    /// Applies a fault command: <c>{"errorRate":0.5,"status":503,"seed":7}</c>, <c>{"outage":"00:02:00","retryAfter":"00:00:10","outageMode":"drop"}</c>,
    /// <c>{"outageFrom":"…","outageUntil":"…"}</c>, <c>{"endOutage":true}</c>, <c>{"failNext":2,"status":500}</c>, <c>{"latency":"00:00:01"}</c>
    /// (or <c>latencyMs</c>), <c>{"hang":"00:00:30","hangCount":1}</c>, <c>{"slowRequestBytesPerSecond":1024,"slowResponseBytesPerSecond":16}</c>,
    /// <c>{"duplicateCallbacks":true,"outOfOrderCallbacks":true}</c>, <c>{"reset":true}</c>. Only the given settings change; everything is
    /// checked before anything changes.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown setting or a value out of range, with the setting's name.</exception>
    public void Apply(JsonObject command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var known = new HashSet<string>(StringComparer.Ordinal)
        {
            "reset", "failNext", "status", "statusCode", "latency", "latencyMs", "errorRate", "seed", "outage", "outageFrom", "outageUntil",
            "outageMode", "retryAfter", "endOutage", "hang", "hangCount", "slowRequestBytesPerSecond", "slowResponseBytesPerSecond",
            "duplicateCallbacks", "outOfOrderCallbacks",
        };
        foreach (var (name, _) in command)
        {
            if (!known.Contains(name)) throw new ArgumentException($"Unknown fault setting '{name}'.", name);
        }

        // Read everything first, so a bad value changes nothing.
        var reset = Read<bool?>(command, "reset") ?? false;
        var status = Read<int?>(command, "status") ?? Read<int?>(command, "statusCode");
        if (status is { } st) CheckStatus(st);
        var failNext = Read<int?>(command, "failNext");
        var latency = Duration(command, "latency") ?? (Read<double?>(command, "latencyMs") is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
        var errorRate = Read<double?>(command, "errorRate");
        var seed = Read<int?>(command, "seed");
        var outage = Duration(command, "outage");
        var outageFrom = Time(command, "outageFrom");
        var outageUntil = Time(command, "outageUntil");
        var mode = Read<string?>(command, "outageMode") is { } m
            ? Enum.TryParse<OutageMode>(m, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed
                : throw new ArgumentException("outageMode is unavailable, drop or hang.", "outageMode")
            : OutageMode.Unavailable;
        var retryAfter = Duration(command, "retryAfter");
        var endOutage = Read<bool?>(command, "endOutage") ?? false;
        var hang = Duration(command, "hang");
        var hangCount = Read<int?>(command, "hangCount");
        var slowRequest = Read<long?>(command, "slowRequestBytesPerSecond");
        var slowResponse = Read<long?>(command, "slowResponseBytesPerSecond");
        var duplicate = Read<bool?>(command, "duplicateCallbacks");
        var outOfOrder = Read<bool?>(command, "outOfOrderCallbacks");
        if (outage is not null && (outageFrom is not null || outageUntil is not null))
            throw new ArgumentException("Give either outage (a duration from now) or outageFrom/outageUntil.", "outage");
        if ((outageFrom is null) != (outageUntil is null)) throw new ArgumentException("outageFrom and outageUntil come together.", "outageUntil");
        if (outage is { } d && d <= TimeSpan.Zero) throw new ArgumentException("outage must be a positive duration.", "outage");
        if (outageFrom is { } f && outageUntil is { } u && u <= f) throw new ArgumentException("outageUntil must be after outageFrom.", "outageUntil");
        if (retryAfter is { } ra && ra < TimeSpan.Zero) throw new ArgumentException("retryAfter cannot be negative.", "retryAfter");
        if (errorRate is { } p && (double.IsNaN(p) || p is < 0 or > 1)) throw new ArgumentException("errorRate is between 0 and 1.", "errorRate");
        if (failNext is < 0) throw new ArgumentException("failNext cannot be negative.", "failNext");
        if (latency is { } l && l < TimeSpan.Zero) throw new ArgumentException("latency cannot be negative.", "latency");
        if (hang is { } h && h < TimeSpan.Zero) throw new ArgumentException("hang cannot be negative.", "hang");
        if (hangCount is < 0) throw new ArgumentException("hangCount cannot be negative.", "hangCount");
        if (slowRequest is < 0 || slowResponse is < 0) throw new ArgumentException("A byte rate cannot be negative.", "slowRequestBytesPerSecond");

        if (reset) Reset();
        if (failNext is { } n) FailNext(n, status ?? 503);
        if (latency is { } lat) Latency = lat;
        if (errorRate is { } rate) SetErrorRate(rate, status ?? 503, seed);
        if (endOutage) EndOutage();
        if (outage is { } span) OutageFor(span, mode, retryAfter);
        if (outageFrom is { } from && outageUntil is { } until) OutageBetween(from, until, mode, retryAfter);
        if (hang is { } hold) HangNext(hangCount ?? 1, hold);
        if (slowRequest is { } sr) SlowRequestBytesPerSecond = sr;
        if (slowResponse is { } sw) SlowResponseBytesPerSecond = sw;
        if (duplicate is { } dup) DuplicateCallbacks = dup;
        if (outOfOrder is { } ooo) OutOfOrderCallbacks = ooo;
    }

    private static void CheckStatus(int statusCode)
    {
        if (statusCode is < 400 or > 599)
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "A fault must be a 4xx or 5xx status.");
    }

    private static T? Read<T>(JsonObject command, string name)
    {
        if (command[name] is not { } node) return default;
        try
        {
            return node.Deserialize<T>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"{name} has the wrong type.", name, e);
        }
    }

    /// <summary>A duration as "hh:mm:ss" or as a number of seconds.</summary>
    private static TimeSpan? Duration(JsonObject command, string name) => command[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<double>(out var seconds) => TimeSpan.FromSeconds(seconds),
        JsonValue v when v.TryGetValue<string>(out var text) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) => span,
        _ => throw new ArgumentException($"{name} is a duration (\"hh:mm:ss\" or seconds).", name),
    };

    private static DateTimeOffset? Time(JsonObject command, string name) => command[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) => at,
        _ => throw new ArgumentException($"{name} is a point in time (ISO 8601).", name),
    };

    /// <summary>Counts a call as in flight until its request is over (answered, dropped or abandoned).</summary>
    private sealed class InFlightCall(FaultInjection faults) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref faults._inFlight);
        }
    }

    /// <summary>A body read or written at a limited rate, in small chunks, flushed so the other side sees the trickle.</summary>
    private sealed class ThrottledStream(Stream inner, long bytesPerSecond) : Stream
    {
        // Ten chunks a second, at least one byte each.
        private readonly int _chunk = (int)Math.Clamp(bytesPerSecond / 10, 1, 64 * 1024);

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, _chunk)], cancellationToken).ConfigureAwait(false);
            if (read > 0) await Task.Delay(Pause(read), cancellationToken).ConfigureAwait(false);
            return read;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            for (var offset = 0; offset < buffer.Length; offset += _chunk)
            {
                var part = buffer.Slice(offset, Math.Min(_chunk, buffer.Length - offset));
                await inner.WriteAsync(part, cancellationToken).ConfigureAwait(false);
                await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(Pause(part.Length), cancellationToken).ConfigureAwait(false);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        // Synchronous I/O is off in Kestrel; these are never the path taken.
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Synchronous reads are not supported.");
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Synchronous writes are not supported.");
        public override void Flush() => inner.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        private TimeSpan Pause(int bytes) => TimeSpan.FromSeconds((double)bytes / bytesPerSecond);
    }
}
