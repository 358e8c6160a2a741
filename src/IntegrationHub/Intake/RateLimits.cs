using System.Globalization;
using System.Threading.RateLimiting;
using IntegrationHub.Problems;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Intake;

/// <summary>Hub:Limits:RateLimit: fixed windows per sender client (submission API), per remote address (token endpoints) and per target (procedure callbacks).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per window a sender client may make on the submission API (create, upload, submit, read, events).</summary>
    public int PermitLimit { get; set; } = 600;
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Requests over the limit that wait for the next window instead of a 429 at once.</summary>
    public int QueueLimit { get; set; }
    /// <summary>Token requests per window from one remote address (both token endpoints): slows secret guessing and key-signing floods.</summary>
    public int TokenPermitLimit { get; set; } = 300;
    /// <summary>Procedure reports per window to one target's callback endpoint (a procedure reports a few per case).</summary>
    public int CallbackPermitLimit { get; set; } = 120;
    /// <summary>Submission API requests one sender client may have in flight at once (beyond: 429 concurrency-limited).</summary>
    public int SenderConcurrencyLimit { get; set; } = 16;
}

/// <summary>
/// ASP.NET Core rate limiting for the hub's edge: the submission API is limited per authenticated sender client (a
/// request without a valid token counts against its remote address), the token endpoints per remote address. Over the
/// limit: 429 with Retry-After and the problem rate-limited.
/// </summary>
public static class RateLimits
{
    public const string SenderPolicy = "sender-client";
    public const string TokenPolicy = "token-by-address";
    public const string CallbackPolicy = "callback-by-target";

    public static IServiceCollection AddHubRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(SenderPolicy, http =>
            {
                var limits = Limits(http);
                // The sender's token was checked before the limiter (RequireSenderToken.AuthenticateAsync), so a forged
                // token cannot spend another client's budget.
                return RequireSenderToken.AuthenticatedClient(http) is { } client
                    ? Window("client:" + client, limits.PermitLimit, limits)
                    : Window("address:" + Address(http), limits.TokenPermitLimit, limits);
            });
            o.AddPolicy(TokenPolicy, http => Window(Address(http), Limits(http).TokenPermitLimit, Limits(http)));
            // Per target the hub knows; names it does not know share one budget, so made-up names cannot multiply it.
            o.AddPolicy(CallbackPolicy, http =>
            {
                var target = http.GetRouteValue("target") as string;
                var known = target is not null && http.RequestServices.GetRequiredService<TenantDirectory>().FindTarget(target) is not null;
                return Window(known ? "target:" + target!.ToLowerInvariant() : "target:?", Limits(http).CallbackPermitLimit, Limits(http));
            });
            // Besides the windows: how many requests one sender client may have in flight at once (a few slow uploads or
            // submits must not hold every connection and buffer of the intake).
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.GetEndpoint()?.Metadata.GetMetadata<SenderApiEndpoint>() is not null && RequireSenderToken.AuthenticatedClient(http) is { } client
                    ? RateLimitPartition.GetConcurrencyLimiter("client:" + client, _ => new ConcurrencyLimiterOptions
                    {
                        PermitLimit = Math.Max(1, Limits(http).SenderConcurrencyLimit),
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter("unlimited"));
            o.OnRejected = async (context, _) =>
            {
                var http = context.HttpContext;
                // Only the windows know when the next permit comes; a concurrency refusal carries no Retry-After of its own.
                if (!context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    http.Response.Headers.RetryAfter = "1";
                    await ProblemResults.Problem(ProblemTypes.ConcurrencyLimited,
                        $"This client has {Limits(http).SenderConcurrencyLimit} requests in flight already; try again when one has finished.").ExecuteAsync(http);
                    return;
                }
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await ProblemResults.Problem(ProblemTypes.RateLimited, $"Too many requests; try again in {seconds} s.").ExecuteAsync(http);
            };
        });
        return services;
    }

    /// <summary>
    /// Authenticates sender API requests before the limiter (the partition is the client), then limits. The endpoint
    /// filter <see cref="RequireSenderToken"/> reuses the result and answers 401 for requests without a valid token.
    /// </summary>
    public static WebApplication UseHubRateLimits(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<SenderApiEndpoint>() is not null) await RequireSenderToken.AuthenticateAsync(http);
            await next(http);
        });
        app.UseRateLimiter();
        return app;
    }

    private static RateLimitOptions Limits(HttpContext http) =>
        http.RequestServices.GetRequiredService<IOptions<HubOptions>>().Value.Limits.RateLimit;

    private static RateLimitPartition<string> Window(string key, int permits, RateLimitOptions limits) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = limits.Window,
            QueueLimit = Math.Max(0, limits.QueueLimit),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });

    private static string Address(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}

/// <summary>Marks the endpoints of the sender API (submissions, case events): sender token, limited per client.</summary>
public sealed class SenderApiEndpoint;
