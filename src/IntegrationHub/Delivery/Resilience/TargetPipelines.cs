namespace IntegrationHub.Delivery.Resilience;

/// <summary>
/// Runs each adapter call inside its target's resilience pipeline (concurrency limit, timeouts, retries that honour
/// Retry-After, circuit breaker). Pass-through until the per-target pipelines are configured.
/// </summary>
public class TargetPipelines
{
    public virtual Task<DeliveryOutcome> ExecuteAsync(DeliveryCall call, Func<CancellationToken, Task<DeliveryOutcome>> action, CancellationToken ct) =>
        action(ct);
}
