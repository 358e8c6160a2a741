using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Operations.Access;

/// <summary>
/// Failed sign-ins (the console's form, an API key) per remote address: each is written to the operator audit, and an
/// address with <see cref="OperationsOptions.FailedSignInLimit"/> failures in <see cref="OperationsOptions.FailedSignInWindow"/>
/// is refused until its window ends, so keys cannot be guessed at speed and the audit grows by a bounded amount per address.
/// </summary>
public sealed class SignInThrottle(IOptionsMonitor<OperationsOptions> options)
{
    /// <summary>Set on a request that was refused for its address; the API answers 429 operator-sign-in-throttled.</summary>
    public const string ThrottledItem = "hub:sign-in-throttled";
    private const int PruneAbove = 4096;
    private static readonly Operator Unknown = new("(unknown)", OperatorRole.Reader, [], "anonymous");

    private readonly ConcurrentDictionary<string, Window> _failures = new(StringComparer.Ordinal);

    /// <summary>True (and marks the request) while the request's address has used up its failed sign-ins.</summary>
    public bool Refuses(HttpContext context)
    {
        var refused = _failures.TryGetValue(Address(context), out var window) && window.Count >= Limit && !window.Over(DateTimeOffset.UtcNow, Period);
        if (refused) context.Items[ThrottledItem] = RetryAfter(window!);
        return refused;
    }

    /// <summary>Counts a failed sign-in of the request's address and writes it to the operator audit.</summary>
    public async Task FailedAsync(HttpContext context, string via)
    {
        var address = Address(context);
        var now = DateTimeOffset.UtcNow;
        if (_failures.Count > PruneAbove)
            foreach (var (key, old) in _failures)
                if (old.Over(now, Period)) _failures.TryRemove(key, out _);
        var window = _failures.AddOrUpdate(address, _ => new Window(now, 1), (_, w) => w.Over(now, Period) ? new Window(now, 1) : w with { Count = w.Count + 1 });
        if (context.RequestServices.GetService<IOperatorAudit>() is not { } audit) return;
        await audit.WriteAsync(Unknown, "sign-in-failed", via, 1, $"from {address}", context.RequestAborted);
        if (window.Count == Limit)
            await audit.WriteAsync(Unknown, "sign-in-throttled", via, 1, $"from {address} for {Period}", context.RequestAborted);
    }

    /// <summary>Whole seconds until the address may try again.</summary>
    public static int RetryAfterSeconds(HttpContext context) => context.Items[ThrottledItem] is int seconds ? seconds : 0;

    private int Limit => Math.Max(1, options.CurrentValue.FailedSignInLimit);
    private TimeSpan Period => options.CurrentValue.FailedSignInWindow;

    private int RetryAfter(Window window) => (int)Math.Ceiling(Math.Max(1, (window.Start + Period - DateTimeOffset.UtcNow).TotalSeconds));

    private static string Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private sealed record Window(DateTimeOffset Start, int Count)
    {
        public bool Over(DateTimeOffset now, TimeSpan period) => now - Start >= period;
    }
}
