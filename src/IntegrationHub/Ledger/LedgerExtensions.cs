namespace IntegrationHub.Ledger;

public static class LedgerExtensions
{
    /// <summary>Appends a step to the submission's history (saved with the caller's unit of work).</summary>
    public static void AddHistory(this HubDbContext db, Guid submissionId, string step, string? target = null, string? detail = null) =>
        db.History.Add(new SubmissionHistoryEntry
        {
            SubmissionId = submissionId,
            At = DateTimeOffset.UtcNow,
            Step = step,
            Target = target,
            Detail = detail,
        });
}

/// <summary>The named steps of a submission's timeline.</summary>
public static class HistorySteps
{
    public const string Created = "created";
    public const string AttachmentUploaded = "attachment-uploaded";
    public const string Submitted = "submitted";
    /// <summary>Never submitted within Hub:Limits:IncompleteSubmissionLifetime; the detail says how many blobs went.</summary>
    public const string Expired = "expired";
    public const string Accepted = "accepted";
    public const string Rejected = "rejected";
    public const string Routed = "routed";
    public const string DeliveryAttemptFailed = "delivery-attempt-failed";
    public const string Delivered = "delivered";
    public const string DeliveryFailed = "delivery-failed";
    public const string Republished = "republished";
    public const string Faulted = "faulted";
    /// <summary>The call was placed (e.g. in a mailbox); the target's acknowledgement is awaited.</summary>
    public const string Placed = "placed";
    /// <summary>A placed call was not acknowledged in time and is placed again.</summary>
    public const string AcknowledgementOverdue = "acknowledgement-overdue";
    /// <summary>A procedure's report arrived after a later one had been applied: kept, not acted on.</summary>
    public const string ReportOutdated = "report-outdated";
}
