namespace IntegrationHub.Ledger;

/// <summary>FIT-Connect's submission states, as the sender sees them.</summary>
public enum SubmissionStatus { Incomplete, Submitted, Accepted, Rejected }

public enum DeliveryStatus { Pending, Delivered, Failed }

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

public sealed class TargetDelivery
{
    public Guid Id { get; set; }
    public Guid SubmissionId { get; set; }
    public string Ars { get; set; } = string.Empty;
    public string Target { get; set; } = string.Empty;
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

    public static string IdempotencyKeyFor(Guid submissionId, string target) => $"{submissionId:N}:{target}";
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
