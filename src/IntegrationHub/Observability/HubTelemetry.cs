using System.Diagnostics;
using System.Diagnostics.Metrics;
using IntegrationHub.Ledger;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Observability;

/// <summary>The hub's own traces and metrics; tags carry identifiers only, never personal data.</summary>
public static class HubTelemetry
{
    public const string Name = "IntegrationHub";
    public static readonly ActivitySource ActivitySource = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> SubmissionsCreated = Meter.CreateCounter<long>("hub.submissions.created");
    public static readonly Counter<long> SubmissionsReceived = Meter.CreateCounter<long>("hub.submissions.received");
    public static readonly Counter<long> SubmissionsAccepted = Meter.CreateCounter<long>("hub.submissions.accepted");
    public static readonly Counter<long> SubmissionsRejected = Meter.CreateCounter<long>("hub.submissions.rejected");
    public static readonly Counter<long> Deliveries = Meter.CreateCounter<long>("hub.deliveries.completed");
    public static readonly Counter<long> DeliveryFailures = Meter.CreateCounter<long>("hub.deliveries.failed");
    public static readonly Histogram<double> DeliveryDuration = Meter.CreateHistogram<double>("hub.delivery.duration", "ms");

    /// <summary>A log scope with the submission's identifiers, so every line can be correlated without personal data.</summary>
    public static IDisposable? BeginSubmissionScope(this ILogger logger, Submission submission, string? target = null) =>
        logger.BeginScope(new Dictionary<string, object?>
        {
            ["SubmissionId"] = submission.Id,
            ["CaseId"] = submission.CaseId,
            ["Ars"] = submission.Ars,
            ["Target"] = target,
        });
}
