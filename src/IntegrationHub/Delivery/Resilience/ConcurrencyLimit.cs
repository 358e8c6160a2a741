using System.Threading.RateLimiting;
using Polly;

namespace IntegrationHub.Delivery.Resilience;

/// <summary>
/// At most N calls to a target in flight, the rest waiting in a bounded queue (Polly.RateLimiting is not available;
/// System.Threading.RateLimiting's <see cref="ConcurrencyLimiter"/> does the counting). The outermost strategy: a call
/// holds its slot through its retries, so the target never sees more than N at once.
/// </summary>
internal sealed class ConcurrencyLimitStrategy(ConcurrencyLimiter limiter, string target) : ResilienceStrategy
{
    protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
    {
        RateLimitLease lease;
        try
        {
            lease = await limiter.AcquireAsync(1, context.CancellationToken).ConfigureAwait(context.ContinueOnCapturedContext);
        }
        catch (OperationCanceledException e)
        {
            return Outcome.FromException<TResult>(e);
        }

        using (lease)
        {
            if (!lease.IsAcquired)
            {
                ResilienceTelemetry.ConcurrencyRejections.Add(1, new KeyValuePair<string, object?>("target", target));
                return Outcome.FromException<TResult>(new ConcurrencyLimitRejectedException(target));
            }
            return await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        }
    }
}

/// <summary>All slots to the target are taken and its queue is full: try again later.</summary>
public sealed class ConcurrencyLimitRejectedException(string target)
    : ExecutionRejectedException($"{target}: too many calls in flight and waiting.");
