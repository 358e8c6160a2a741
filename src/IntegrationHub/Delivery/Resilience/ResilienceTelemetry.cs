using System.Diagnostics.Metrics;
using IntegrationHub.Observability;

namespace IntegrationHub.Delivery.Resilience;

/// <summary>What the targets' pipelines do, counted per target (tags carry the target name and an error type, nothing else).</summary>
public static class ResilienceTelemetry
{
    public static readonly Counter<long> Retries = HubTelemetry.Meter.CreateCounter<long>("hub.delivery.retries");
    public static readonly Counter<long> CircuitOpened = HubTelemetry.Meter.CreateCounter<long>("hub.delivery.circuit_opened");
    public static readonly Counter<long> CircuitRejections = HubTelemetry.Meter.CreateCounter<long>("hub.delivery.circuit_rejections");
    public static readonly Counter<long> Timeouts = HubTelemetry.Meter.CreateCounter<long>("hub.delivery.timeouts");
    public static readonly Counter<long> ConcurrencyRejections = HubTelemetry.Meter.CreateCounter<long>("hub.delivery.concurrency_rejections");
    public static readonly Counter<long> RedeliveriesScheduled = HubTelemetry.Meter.CreateCounter<long>("hub.delivery.redeliveries_scheduled");
}
