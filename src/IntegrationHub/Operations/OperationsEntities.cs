namespace IntegrationHub.Operations;

/// <summary>Where a failed message stands for operations (ServicePulse's lifecycle).</summary>
public enum FailedMessageStatus { Unresolved, RetryIssued, Resolved, Archived }

/// <summary>
/// A message that ended in an error queue (or a fault the hub recorded itself): the original message and headers, why
/// it failed, where, and about which submission. One row per original message id: when a retried message fails again
/// the row's failure count rises and it is unresolved again, in its group.
/// </summary>
public sealed class FailedMessage
{
    public Guid Id { get; set; }
    /// <summary>The original message's id (MassTransit MessageId); a retry sends it again under the same id.</summary>
    public Guid MessageId { get; set; }
    /// <summary>"error-queue" (ingested from an _error queue) or "hub" (recorded by the hub itself).</summary>
    public string Source { get; set; } = string.Empty;
    /// <summary>The message type's short name, e.g. DeliveryRequested.</summary>
    public string MessageType { get; set; } = string.Empty;
    /// <summary>The input queue the message failed on, e.g. submission-delivery; a retry goes back there.</summary>
    public string Endpoint { get; set; } = string.Empty;
    public string? Consumer { get; set; }
    public string? Ars { get; set; }
    public string? Target { get; set; }
    public Guid? SubmissionId { get; set; }
    public Guid? DeliveryId { get; set; }
    public string ExceptionType { get; set; } = string.Empty;
    /// <summary>May quote data from a target's answer: shown to operators, masked for readers.</summary>
    public string? ExceptionMessage { get; set; }
    public string? StackTrace { get; set; }
    /// <summary>Hash of the exception type and the first stack frame in the hub's own code: the failure group.</summary>
    public string Fingerprint { get; set; } = string.Empty;
    /// <summary>The original message as received (the transport's serialized envelope).</summary>
    public string Body { get; set; } = string.Empty;
    /// <summary>The original headers, as a JSON object of strings.</summary>
    public string Headers { get; set; } = "{}";
    public DateTimeOffset FirstFailedAt { get; set; }
    public DateTimeOffset LastFailedAt { get; set; }
    public int FailureCount { get; set; }
    public FailedMessageStatus Status { get; set; }
    /// <summary>The retry batch that last issued this message again.</summary>
    public Guid? RetryBatchId { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
}

/// <summary>One line of a failed message's history: failed, retry issued, skipped, resolved, archived, restored, edited, …</summary>
public sealed class FailedMessageEvent
{
    public long Id { get; set; }
    public Guid FailedMessageId { get; set; }
    public DateTimeOffset At { get; set; }
    public string Action { get; set; } = string.Empty;
    /// <summary>The operator, or null for the hub itself.</summary>
    public string? Actor { get; set; }
    public string? Detail { get; set; }
}

public enum RetryBatchStatus { Running, Completed, Failed }

/// <summary>One operator request to retry (one, a selection, a group, a filter): its progress.</summary>
public sealed class RetryBatch
{
    public Guid Id { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string RequestedBy { get; set; } = string.Empty;
    /// <summary>The requester's stable identity (<see cref="Operator.Id"/>); null on batches from before it was kept.</summary>
    public string? RequestedById { get; set; }
    /// <summary>What was selected, for people (e.g. "group 3f2a…", "12 messages", "target=prosoz since …").</summary>
    public string Selection { get; set; } = string.Empty;
    /// <summary>Another configured target of the same kind the failed deliveries are sent to instead.</summary>
    public string? RedirectTo { get; set; }
    public int Total { get; set; }
    public int Issued { get; set; }
    /// <summary>Recognised as already succeeded meanwhile: not sent again.</summary>
    public int Skipped { get; set; }
    public RetryBatchStatus Status { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

public enum MessageEditStatus { Proposed, Approved, Rejected }

/// <summary>
/// An edit of a failed message before it is retried: a corrected application XML and/or changed headers. It takes a
/// second operator's approval; the original stays alongside.
/// </summary>
public sealed class MessageEdit
{
    public Guid Id { get; set; }
    public Guid FailedMessageId { get; set; }
    public Guid? SubmissionId { get; set; }
    public string ProposedBy { get; set; } = string.Empty;
    /// <summary>The proposer's stable identity (<see cref="Operator.Id"/>); null on edits proposed before it was kept.</summary>
    public string? ProposedById { get; set; }
    public DateTimeOffset ProposedAt { get; set; }
    public string Reason { get; set; } = string.Empty;
    /// <summary>Blob of the corrected application XML (protected at rest); null when only headers change.</summary>
    public string? EditedDataBlob { get; set; }
    public string? EditedDataSha512 { get; set; }
    /// <summary>Changed headers as a JSON object of strings; null when only the data changes.</summary>
    public string? EditedHeaders { get; set; }
    public MessageEditStatus Status { get; set; }
    public string? DecidedBy { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public string? DecisionNote { get; set; }
}

/// <summary>Every operator action: who, what, when, which messages. Only ever inserted.</summary>
public sealed class OperatorAuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public string Actor { get; set; } = string.Empty;
    /// <summary>The actor's stable identity (<see cref="Operator.Id"/>); null on entries from before it was kept.</summary>
    public string? ActorId { get; set; }
    public string Role { get; set; } = string.Empty;
    /// <summary>e.g. login, retry, archive, restore, redirect, edit-proposed, edit-approved, edit-rejected, view-social-data.</summary>
    public string Action { get; set; } = string.Empty;
    /// <summary>What it was done to: message ids, a group, a filter, a submission.</summary>
    public string Subject { get; set; } = string.Empty;
    public int Count { get; set; }
    public string? Detail { get; set; }
}
