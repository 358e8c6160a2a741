using System.Runtime.InteropServices;

namespace IntegrationHub.Benchmarks;

/// <summary>
/// CPU time of the calling thread (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)): unlike a stopwatch it does not count
/// the time the thread waited for a core, so the figures hold on a busy machine too. Falls back to a stopwatch elsewhere.
/// </summary>
public sealed partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;
    private static readonly bool Available = OperatingSystem.IsLinux() && Probe();

    private long _elapsedNs;
    private long _startedNs;

    public static string Kind => Available ? "thread CPU time (CLOCK_THREAD_CPUTIME_ID)" : "Stopwatch (wall time)";

    public TimeSpan Elapsed => TimeSpan.FromTicks(_elapsedNs / 100);

    public void Start() => _startedNs = Now();
    public void Stop() => _elapsedNs += Now() - _startedNs;
    public void Reset() => _elapsedNs = 0;

    public static long Now()
    {
        if (!Available) return (long)(System.Diagnostics.Stopwatch.GetTimestamp() * (1e9 / System.Diagnostics.Stopwatch.Frequency));
        clock_gettime(ClockThreadCpuTimeId, out var ts);
        return ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
    }

    private static bool Probe()
    {
        try { return clock_gettime(ClockThreadCpuTimeId, out _) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int clock_gettime(int clockId, out Timespec time);
}
