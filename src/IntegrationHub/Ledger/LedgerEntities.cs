namespace IntegrationHub.Ledger;

/// <summary>FIT-Connect's submission states, as the sender sees them.</summary>
/// <summary>Expired: created but not submitted within Hub:Limits:IncompleteSubmissionLifetime; its attachments are gone, the row stays as the tombstone.</summary>
public enum SubmissionStatus { Incomplete, Submitted, Accepted, Rejected, Expired }

/// <summary>
/// Pending: to be called (again). AwaitingAcknowledgement: placed (e.g. in a mailbox), the target's answer comes later.
/// Delivered and Failed are final.
/// </summary>
public enum DeliveryStatus { Pending, Delivered, Failed, AwaitingAcknowledgement }

/// <summary>One submission: the ledger row is the truth, bus messages only move work along.</summary>
public sealed class Submission
{
    public Guid Id { get; set; }
    public Guid CaseId { get; set; }
    public Guid DestinationId { get; set; }
    public string Ars { get; set; } = string.Empty;
    public string SenderClientId { get; set; } = string.Empty;
    public string LeikaKey { get; set; } = string.Empty;
    public string ServiceName { get; set; } = string.Empty;
    public SubmissionStatus Status { get; set; }
    /// <summary>Announced attachment ids, comma-separated (small, fixed at creation).</summary>
    public string AnnouncedAttachments { get; set; } = string.Empty;
    /// <summary>JWE authentication tags of metadata and data, repeated in every event of the case.</summary>
    public string? MetadataTag { get; set; }
    public string? DataTag { get; set; }
    public string? ProblemType { get; set; }
    public string? ProblemDetail { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? SubmittedAt { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public DateTimeOffset? RoutedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Set when a message about this submission ended in an error queue; the sweeper leaves it to operations.</summary>
    public string? ProcessingFault { get; set; }
    /// <summary>Null for the hub's own Submission API; else the name of the FIT-Connect delivery service it was picked up from.</summary>
    public string? Origin { get; set; }
    /// <summary>The citizen-facing status (CitizenStatus.*), latest milestone of the timeline.</summary>
    public string? CitizenStatus { get; set; }
    /// <summary>When retention deleted the personal data (stored payloads, documents); metadata and protocol stay.</summary>
    public DateTimeOffset? PayloadsDeletedAt { get; set; }
    /// <summary>An approved operator edit (MessageEdit) whose corrected application XML targets get instead of the original.</summary>
    public Guid? DataEditId { get; set; }

    public IReadOnlyList<Guid> AnnouncedAttachmentIds =>
        AnnouncedAttachments.Length == 0 ? [] : AnnouncedAttachments.Split(',').Select(Guid.Parse).ToList();
}

public sealed class SubmissionAttachment
{
    public Guid SubmissionId { get; set; }
    public Guid AttachmentId { get; set; }
    public long SizeBytes { get; set; }
    /// <summary>The JWE authentication tag, reported in the submit-submission event.</summary>
    public string AuthenticationTag { get; set; } = string.Empty;
    public DateTimeOffset UploadedAt { get; set; }
}

/// <summary>Append-only history of a submission: never updated, never deleted with the payload.</summary>
public sealed class SubmissionHistoryEntry
{
    public long Id { get; set; }
    public Guid SubmissionId { get; set; }
    public DateTimeOffset At { get; set; }
    public string Step { get; set; } = string.Empty;
    public string? Target { get; set; }
    /// <summary>Identifiers and problem types only; never personal data.</summary>
    public string? Detail { get; set; }
}

/// <summary>
/// One outbound call to one target about one submission: the case handover, a DMS filing, a postbox message, an event
/// to a delivery service. Calls to the same target about the same submission run one after another, in
/// <see cref="Sequence"/> order.
/// </summary>
public sealed class TargetDelivery
{
    public Guid Id { get; set; }
    public Guid SubmissionId { get; set; }
    public string Ars { get; set; } = string.Empty;
    public string Target { get; set; } = string.Empty;
    /// <summary>What the call does (DeliverySteps), unique per submission and target.</summary>
    public string Step { get; set; } = DeliverySteps.Handover;
    /// <summary>Order among the calls to the same target about the same submission.</summary>
    public int Sequence { get; set; }
    /// <summary>Parameters of the step as JSON (DeliveryPayload): identifiers, codes and blob names only.</summary>
    public string? Payload { get; set; }
    /// <summary>The target's own reference for what it took (mailbox message id, DMS object, postbox message).</summary>
    public string? Reference { get; set; }
    /// <summary>An operator redirected this call to another configured target of the same kind (e.g. a replacement instance).</summary>
    public string? RedirectedTo { get; set; }
    public DeliveryStatus Status { get; set; }
    /// <summary>Sent with every call to the target: submission id + target, stable across retries and replays.</summary>
    public string IdempotencyKey { get; set; } = string.Empty;
    public string? Aktenzeichen { get; set; }
    public int Attempts { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>When the sweeper requests this pending delivery (again): backoff after a failed attempt, or a lease while one is in flight.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }

    public static string IdempotencyKeyFor(Guid submissionId, string target, string step = DeliverySteps.Handover) =>
        step == DeliverySteps.Handover ? $"{submissionId:N}:{target}" : $"{submissionId:N}:{target}:{step}";

    public bool IsFinal => Status is DeliveryStatus.Delivered or DeliveryStatus.Failed;
}

/// <summary>The kinds of outbound call (TargetDelivery.Step).</summary>
public static class DeliverySteps
{
    /// <summary>The signed case handover to a specialist procedure, which answers with its Aktenzeichen.</summary>
    public const string Handover = "handover";
    /// <summary>Prefix of filings in the DMS / E-Akte: "filing:antrag", "filing:bescheid-3".</summary>
    public const string FilingPrefix = "filing:";
    /// <summary>Prefix of postbox messages and status updates to the citizen: "postbox:1-SUBMITTED".</summary>
    public const string PostboxPrefix = "postbox:";
    /// <summary>Prefix of events sent to a FIT-Connect delivery service: "event:accept-submission".</summary>
    public const string EventPrefix = "event:";
}

/// <summary>
/// A status report from a specialist procedure (callback or mailbox message): kept once per procedure and sequence,
/// so duplicates are recognised and an older report arriving late does not turn the status back.
/// </summary>
public sealed class StatusReport
{
    public long Id { get; set; }
    public Guid SubmissionId { get; set; }
    /// <summary>The target (procedure) that reported.</summary>
    public string Source { get; set; } = string.Empty;
    /// <summary>The procedure's own running number of the case's reports.</summary>
    public int Sequence { get; set; }
    public string Status { get; set; } = string.Empty;
    public DateTimeOffset OccurredAt { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    /// <summary>False when a later report had already been applied (kept for the protocol, not acted on).</summary>
    public bool Applied { get; set; }
    /// <summary>A Nachforderung's deadline.</summary>
    public DateTimeOffset? Deadline { get; set; }
    /// <summary>Blob of an attached document (Bescheid, Nachforderung), if any.</summary>
    public string? DocumentBlob { get; set; }
    public string? DocumentName { get; set; }
    public string? DocumentMimeType { get; set; }
}

/// <summary>A Security Event Token in the FIT-Connect event log of a case.</summary>
public sealed class CaseEvent
{
    public long Id { get; set; }
    public Guid CaseId { get; set; }
    public Guid SubmissionId { get; set; }
    public string EventUri { get; set; } = string.Empty;
    public string Token { get; set; } = string.Empty;
    public DateTimeOffset IssuedAt { get; set; }
}
