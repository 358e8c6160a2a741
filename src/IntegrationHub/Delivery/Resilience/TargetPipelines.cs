using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace IntegrationHub.Delivery.Resilience;

/// <summary>
/// Runs each adapter call inside its target's resilience pipeline, one pipeline per target (so the concurrency limit and
/// the circuit breaker are the target's, shared by every municipality that uses it). From the outside in:
/// concurrency limit → total timeout → retry (exponential with jitter, honouring Retry-After) → circuit breaker →
/// attempt timeout. Settings: <see cref="TargetResilience"/>.
/// </summary>
/// <remarks>
/// Only transient failures are retried (transport errors, timeouts, 5xx/408/429), and only calls that carry an
/// idempotency key: a retried call must be recognisable as the same call by the target. A permanent refusal (4xx) or a
/// broken submission passes through at once. What is still failing after the retries (or is refused by the open
/// circuit or the full queue) leaves as a transient error; the consumer then schedules a delayed redelivery.
/// </remarks>
public class TargetPipelines(TenantDirectory tenants, ILogger<TargetPipelines>? logger = null, TimeProvider? time = null)
{
    private static readonly ResiliencePropertyKey<DeliveryCall> CallKey = new("integrationhub.delivery-call");
    private readonly ConcurrentDictionary<string, Lazy<ResiliencePipeline<DeliveryOutcome>>> _pipelines = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger _logger = logger ?? NullLogger<TargetPipelines>.Instance;
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public virtual async Task<DeliveryOutcome> ExecuteAsync(DeliveryCall call, Func<CancellationToken, Task<DeliveryOutcome>> action, CancellationToken ct)
    {
        var pipeline = PipelineFor(call.Target);
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(CallKey, call);
        try
        {
            return await pipeline.ExecuteAsync(static async (ctx, run) => await run(ctx.CancellationToken), context, action);
        }
        catch (BrokenCircuitException e)
        {
            // The target failed too often lately: not now, and the breaker says when it will try again.
            ResilienceTelemetry.CircuitRejections.Add(1, new KeyValuePair<string, object?>("target", call.Target));
            throw new TransientDeliveryException($"{call.Target} is failing; its circuit is open.", e.RetryAfter, e);
        }
        catch (ConcurrencyLimitRejectedException e)
        {
            throw new TransientDeliveryException(e.Message, null, e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The target's pipeline, built on first use from its settings.</summary>
    public ResiliencePipeline<DeliveryOutcome> PipelineFor(string target) =>
        _pipelines.GetOrAdd(target, name => new Lazy<ResiliencePipeline<DeliveryOutcome>>(() => Build(name, TargetResilience.For(name, tenants.Target(name))))).Value;

    private ResiliencePipeline<DeliveryOutcome> Build(string target, TargetResilience settings)
    {
        var tag = new KeyValuePair<string, object?>("target", target);
        var limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = settings.MaxConcurrency,
            QueueLimit = settings.QueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });

        return new ResiliencePipelineBuilder<DeliveryOutcome> { Name = target, TimeProvider = _time }
            .AddStrategy(_ => new ConcurrencyLimitStrategy(limiter, target))
            .AddTimeout(new TimeoutStrategyOptions
            {
                Name = "total",
                TimeoutGenerator = args => ValueTask.FromResult(IsUpload(Call(args.Context))
                    ? Timeout.InfiniteTimeSpan // uploads: bounded by the retry count and the upload timeout per attempt
                    : TargetResilience.AsPollyTimeout(settings.TotalTimeout)),
                OnTimeout = _ => Counted(ResilienceTelemetry.Timeouts, tag, "total"),
            })
            .AddRetry(new RetryStrategyOptions<DeliveryOutcome>
            {
                MaxRetryAttempts = Math.Max(settings.MaxRetries, 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.BaseDelay,
                MaxDelay = settings.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(settings.MaxRetries > 0 && ShouldRetry(Call(args.Context), args.Outcome.Exception, settings)),
                // The target's own Retry-After wins over the computed backoff (ShouldRetry leaves longer ones to redelivery).
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is TransientDeliveryException { RetryAfter: { } retryAfter } ? retryAfter : (TimeSpan?)null),
                OnRetry = args =>
                {
                    var reason = args.Outcome.Exception?.GetType().Name ?? "result";
                    ResilienceTelemetry.Retries.Add(1, tag, new KeyValuePair<string, object?>("reason", reason));
                    _logger.LogInformation("Retrying delivery step {Step} to {Target} ({Reason}), retry {Retry} in {Delay}",
                        Call(args.Context).Step, target, reason, args.AttemptNumber + 1, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<DeliveryOutcome>
            {
                FailureRatio = settings.FailureRatio,
                SamplingDuration = settings.SamplingDuration,
                MinimumThroughput = settings.MinimumThroughput,
                BreakDuration = settings.BreakDuration,
                // A 4xx is the target working and saying no: only its failures to work count.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransientFailure(e)),
                OnOpened = args =>
                {
                    ResilienceTelemetry.CircuitOpened.Add(1, tag);
                    _logger.LogWarning("Circuit to {Target} opened for {BreakDuration} ({Reason})", target, args.BreakDuration,
                        args.Outcome.Exception?.GetType().Name);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    _logger.LogInformation("Circuit to {Target} closed again", target);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(new TimeoutStrategyOptions
            {
                Name = "attempt",
                TimeoutGenerator = args => ValueTask.FromResult(TargetResilience.AsPollyTimeout(
                    IsUpload(Call(args.Context)) ? settings.UploadTimeout : settings.AttemptTimeout)),
                OnTimeout = _ => Counted(ResilienceTelemetry.Timeouts, tag, "attempt"),
            })
            .Build();
    }

    /// <summary>
    /// Retry inside the pipeline: a transient failure of a call that carries an idempotency key, unless the target asked
    /// for a longer pause than the pipeline waits (then the delayed redelivery honours it).
    /// </summary>
    internal static bool ShouldRetry(DeliveryCall call, Exception? e, TargetResilience settings)
    {
        if (e is null || string.IsNullOrEmpty(call.IdempotencyKey)) return false; // never repeat a call the target could not recognise
        if (e is BrokenCircuitException or ConcurrencyLimitRejectedException) return false; // refused on our side: waiting here helps nobody
        if (!IsTransientFailure(e)) return false;
        return e is not TransientDeliveryException { RetryAfter: { } retryAfter } || retryAfter <= settings.MaxDelay;
    }

    /// <summary>The target did not do its job (transport, timeout, 5xx/408/429); not a refusal and not our own input.</summary>
    internal static bool IsTransientFailure(Exception e) =>
        e is not (PermanentDeliveryException or SubmissionProblemException or AttachmentIntegrityException)
        && DeliveryRequestedConsumer.IsTransient(e);

    /// <summary>Steps that upload documents: the handover (the case with its attachments), filings, documents to the postbox.</summary>
    internal static bool IsUpload(DeliveryCall call) =>
        call.Step == DeliverySteps.Handover || call.Step.StartsWith(DeliverySteps.FilingPrefix, StringComparison.Ordinal)
        || call.Payload.DocumentBlob is not null;

    private static DeliveryCall Call(ResilienceContext context) => context.Properties.GetValue(CallKey, null!);

    private static ValueTask Counted(System.Diagnostics.Metrics.Counter<long> counter, KeyValuePair<string, object?> target, string kind)
    {
        counter.Add(1, target, new KeyValuePair<string, object?>("timeout", kind));
        return ValueTask.CompletedTask;
    }
}
