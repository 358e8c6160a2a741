using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace IntegrationHub.Operations.FailedMessages;

/// <summary>
/// The failure group: exception type plus the first stack frame in the hub's own code, reduced to namespace, class and
/// method (no parameters, file, line or IL offset, no compiler-generated numbering), so the same fault in the next
/// build lands in the same group and a fault thrown from a different place does not.
/// </summary>
public static partial class FailureFingerprint
{
    public const string HubNamespace = "IntegrationHub.";

    public static string Compute(string exceptionType, string? stackTrace)
    {
        var frame = FirstHubFrame(stackTrace) ?? string.Empty;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{exceptionType}|{frame}"));
        return Convert.ToHexStringLower(hash)[..12];
    }

    /// <summary>"PermanentDeliveryException at ProsozAdapter.DeliverAsync" (or just the type when no frame of the hub is known).</summary>
    public static string Title(string exceptionType, string? stackTrace)
    {
        var type = exceptionType[(exceptionType.LastIndexOf('.') + 1)..];
        if (FirstHubFrame(stackTrace) is not { } frame) return type;
        var parts = frame.Split('.');
        return parts.Length >= 2 ? $"{type} at {parts[^2]}.{parts[^1]}" : $"{type} at {frame}";
    }

    /// <summary>The topmost frame in IntegrationHub.* as "Namespace.Class.Method", or null.</summary>
    public static string? FirstHubFrame(string? stackTrace)
    {
        if (string.IsNullOrEmpty(stackTrace)) return null;
        foreach (var raw in stackTrace.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("at ", StringComparison.Ordinal)) continue;
            var frame = Normalize(line[3..]);
            if (frame.StartsWith(HubNamespace, StringComparison.Ordinal)) return frame;
        }
        return null;
    }

    private static string Normalize(string frame)
    {
        // "Ns.Class.<Method>d__12.MoveNext() in /src/x.cs:line 93" -> "Ns.Class.Method"
        var paren = frame.IndexOf('(');
        if (paren >= 0) frame = frame[..paren];
        frame = DisplayClass().Replace(frame, string.Empty);
        // Nested from the inside out: <<ExecuteAsync>b__0>d -> <ExecuteAsync>d -> ExecuteAsync
        for (var before = string.Empty; before != frame;)
        {
            before = frame;
            frame = Generated().Replace(frame, "$1");
        }
        frame = frame.Replace(".MoveNext", string.Empty, StringComparison.Ordinal);
        frame = frame.Replace("+", ".", StringComparison.Ordinal);
        return DoubleDot().Replace(frame, ".").TrimEnd('.');
    }

    [GeneratedRegex(@"<>c(__DisplayClass\d+_\d+)?")]
    private static partial Regex DisplayClass();

    // <Consume>d__12 (async state machine), <Consume>b__3_0 (lambda), <Consume>g__Local|4_0 (local function), <…>d
    [GeneratedRegex(@"<([^<>]+)>[a-z](__[\w|]*)?")]
    private static partial Regex Generated();

    [GeneratedRegex(@"\.{2,}")]
    private static partial Regex DoubleDot();
}
