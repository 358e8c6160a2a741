using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace IntegrationHub.Benchmarks.Hub;

/// <summary>
/// Where a process spends its CPU: Linux perf samples (499 Hz) of the hub process while it works, grouped by the code they
/// land in (OpenSSL's libcrypto = RSA, AES-GCM, SHA; JIT-compiled .NET code, named through the runtime's perf map; the
/// runtime; the kernel; SQLite) plus the hottest .NET methods by self time. perf cannot walk the stack out of libcrypto
/// (no frame pointers there), so callers of the cryptography are not attributed; the components are exact.
/// </summary>
public static partial class CpuProfile
{
    public static bool Available => File.Exists("/usr/bin/perf");

    /// <summary>The environment a process needs so that perf can name its JIT-compiled methods.</summary>
    public static readonly IReadOnlyDictionary<string, string> ProcessEnvironment = new Dictionary<string, string>
    {
        ["DOTNET_PerfMapEnabled"] = "1",
        // Without W^X the JIT'd code lies in anonymous memory the perf map describes (not in a double-mapped memfd).
        ["DOTNET_EnableWriteXorExecute"] = "0",
    };

    /// <summary>Samples <paramref name="pid"/> while <paramref name="work"/> runs.</summary>
    public static async Task<JsonObject> RecordAsync(int pid, Func<Task> work)
    {
        var file = Path.Combine(Path.GetTempPath(), $"integrationhub-bench-{pid}.perf");
        var record = Process.Start(new ProcessStartInfo("perf", ["record", "-F", "499", "-g", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", file])
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        }) ?? throw new InvalidOperationException("perf did not start");
        try
        {
            await Task.Delay(500); // perf attaches
            await work();
        }
        finally
        {
            Process.Start("kill", ["-INT", record.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            await record.WaitForExitAsync();
        }
        try
        {
            var report = Process.Start(new ProcessStartInfo("perf", ["report", "-i", file, "--no-children", "-g", "none", "--sort", "dso,sym", "--stdio"])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            })!;
            var text = await report.StandardOutput.ReadToEndAsync();
            await report.WaitForExitAsync();
            return Summarize(text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex(@"^\s*([0-9.]+)%\s+(\S.*?)\s{2,}\[(.)\]\s+(.*)$")]
    private static partial Regex Line();

    public static JsonObject Summarize(string perfReport)
    {
        var components = new Dictionary<string, double>(StringComparer.Ordinal);
        var managed = new List<(string Method, double Percent)>();
        foreach (var line in perfReport.Split('\n'))
        {
            if (line.StartsWith('#')) continue;
            var match = Line().Match(line);
            if (!match.Success) continue;
            var percent = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            var component = Component(match.Groups[2].Value.Trim());
            components[component] = components.GetValueOrDefault(component) + percent;
            if (component == ManagedCode) managed.Add((Shorten(match.Groups[4].Value.Trim()), percent));
        }
        return new JsonObject
        {
            ["method"] = "perf record -F 499 -g on the hub process during one extra full-speed phase; shares of its CPU samples",
            ["components"] = new JsonArray(components.OrderByDescending(c => c.Value)
                .Select(c => (JsonNode)new JsonObject { ["component"] = c.Key, ["percent"] = Math.Round(c.Value, 1) }).ToArray()),
            ["hottestManagedMethods"] = new JsonArray(managed.GroupBy(m => m.Method).Select(g => (Method: g.Key, Percent: g.Sum(m => m.Percent)))
                .OrderByDescending(m => m.Percent).Take(12)
                .Select(m => (JsonNode)new JsonObject { ["method"] = m.Method, ["selfPercent"] = Math.Round(m.Percent, 2) }).ToArray()),
        };
    }

    private const string ManagedCode = "JIT-compiled .NET code (hub, ASP.NET Core, EF Core, MassTransit, Serilog)";

    private static string Component(string dso) => dso switch
    {
        _ when dso.StartsWith("libcrypto", StringComparison.Ordinal) => "OpenSSL libcrypto (RSA, AES-GCM, SHA)",
        _ when dso.StartsWith("[JIT]", StringComparison.Ordinal) || dso.StartsWith("perf-", StringComparison.Ordinal) => ManagedCode,
        _ when dso.StartsWith("libcoreclr", StringComparison.Ordinal) => ".NET runtime (GC, type system, stubs)",
        _ when dso.StartsWith("libclrjit", StringComparison.Ordinal) => "JIT compiler",
        _ when dso.StartsWith("[kernel", StringComparison.Ordinal) => "Linux kernel (sockets, files, scheduling)",
        _ when dso.Contains("sqlite", StringComparison.Ordinal) => "SQLite",
        _ when dso.StartsWith("libc.", StringComparison.Ordinal) => "libc (memcpy, memset, malloc)",
        _ when dso.EndsWith(".dll", StringComparison.Ordinal) => "precompiled .NET code (ReadyToRun)",
        _ => "other",
    };

    // "instance void [IntegrationHub] IntegrationHub.Intake.X+<ReadAsync>d__14::MoveNext()[OptimizedTier1]" → "IntegrationHub.Intake.X+<ReadAsync>d__14::MoveNext"
    private static string Shorten(string symbol)
    {
        var name = symbol;
        var bracket = name.LastIndexOf("] ", StringComparison.Ordinal);
        var paren = name.IndexOf('(', StringComparison.Ordinal);
        if (bracket >= 0 && (paren < 0 || bracket < paren)) name = name[(bracket + 2)..];
        paren = name.IndexOf('(', StringComparison.Ordinal);
        return paren > 0 ? name[..paren] : name;
    }
}
