namespace IntegrationHub.Simulators.Procedures;

/// <summary>
/// Run-time faults of a simulated procedure: the next N calls fail with a given status, and every
/// call waits <see cref="Latency"/> before it is handled. Thread-safe.
/// </summary>
public sealed class FaultInjection
{
    private readonly object _gate = new();
    private int _failNext;
    private int _failStatus = 503;
    private TimeSpan _latency = TimeSpan.Zero;

    /// <summary>The next <paramref name="count"/> calls are answered with <paramref name="statusCode"/>.</summary>
    public void FailNext(int count, int statusCode = 503)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (statusCode is < 400 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "A fault must be a 4xx or 5xx status.");
        }

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

    /// <summary>Clears all faults.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _failNext = 0;
            _failStatus = 503;
            _latency = TimeSpan.Zero;
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
                statusCode = _failStatus;
                return true;
            }
        }

        statusCode = 0;
        return false;
    }
}
