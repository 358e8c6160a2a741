using IntegrationHub.Problems;

namespace IntegrationHub.Operations;

// The operations console's seams: the web UI, the operations API and hubctl all go through these services, so every
// rule (roles, municipalities, masking, audit) is enforced in one place whatever the front end.

/// <summary>reader sees (masked); operator also acts (retry, archive, restore, redirect); admin also sees social data and edits.</summary>
public enum OperatorRole { Reader = 0, Operator = 1, Admin = 2 }

/// <summary>
/// The signed-in person. <paramref name="Municipalities"/> (ARS) limits what they see and touch: null means all (the
/// explicit "*" in the settings or the OIDC claim), an empty list none. <paramref name="Identity"/> is stable across display
/// names: the scheme and subject ("apikey:&lt;name&gt;", "oidc:&lt;sub&gt;"); rules that tell people apart (four-eyes) compare it.
/// </summary>
public sealed record Operator(string Name, OperatorRole Role, IReadOnlyList<string>? Municipalities = null, string? Identity = null)
{
    /// <summary>Stands for every municipality in Municipalities settings and the OIDC municipality claim.</summary>
    public const string AllMunicipalities = "*";

    /// <summary>The scope a list of ARS values grants: "*" means all (null), no value means none.</summary>
    public static IReadOnlyList<string>? Scope(IEnumerable<string> ars)
    {
        var list = ars.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        return list.Contains(AllMunicipalities) ? null : list;
    }

    public string Id => Identity ?? "operator:" + Name;

    public bool MayAct => Role >= OperatorRole.Operator;
    /// <summary>Application XML, message bodies and headers in clear (every such view is audited).</summary>
    public bool SeesSocialData => Role >= OperatorRole.Admin;
    /// <summary>Exception messages (may quote a target's answer) in clear.</summary>
    public bool SeesExceptionMessages => Role >= OperatorRole.Operator;
    public bool Covers(string? ars) => Municipalities is null || (ars is not null && Municipalities.Contains(ars));
}

/// <summary>An operator's request was refused: the API answers with the problem type, the UI shows its title and detail.</summary>
public sealed class OperationRefusedException(ProblemType type, string? detail = null) : Exception(detail ?? type.Title)
{
    public ProblemType Type { get; } = type;
}

/// <summary>Filters combine with AND; null means any. <see cref="Group"/> is a failure group's key in the grouping used.</summary>
public sealed record FailedMessageFilter(
    string? Ars = null,
    string? Target = null,
    string? Group = null,
    string? ExceptionType = null,
    string? MessageType = null,
    string? Endpoint = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    IReadOnlyList<FailedMessageStatus>? Statuses = null,
    Guid? SubmissionId = null);

/// <summary>What an action applies to: explicit ids, or everything matching a filter (a group is a filter on Group).</summary>
public sealed record FailedMessageSelection(IReadOnlyList<Guid>? Ids = null, FailedMessageFilter? Filter = null)
{
    public static FailedMessageSelection One(Guid id) => new([id]);
}

/// <summary>How failures are grouped: by fingerprint (exception type + first frame in the hub's code) or one of the columns.</summary>
public enum FailureGrouping { Fingerprint, MessageType, Endpoint, Municipality, Target }

public sealed record FailureGroup(
    string Key,
    string Title,
    string? ExceptionType,
    int Count,
    int Unresolved,
    int RetryIssued,
    DateTimeOffset FirstFailedAt,
    DateTimeOffset LastFailedAt);

public sealed record FailedMessageSummary(
    Guid Id,
    string MessageType,
    string Endpoint,
    string? Ars,
    string? Target,
    Guid? SubmissionId,
    string ExceptionType,
    string? ExceptionMessage,
    string Fingerprint,
    DateTimeOffset FirstFailedAt,
    DateTimeOffset LastFailedAt,
    int FailureCount,
    FailedMessageStatus Status);

public sealed record FailedMessageEventView(DateTimeOffset At, string Action, string? Actor, string? Detail);

/// <summary>A failed message in full; body and headers are masked unless the operator sees social data.</summary>
public sealed record FailedMessageDetail(
    FailedMessageSummary Summary,
    string? Consumer,
    string? StackTrace,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    bool Masked,
    IReadOnlyList<FailedMessageEventView> History,
    IReadOnlyList<MessageEditView> Edits);

public sealed record Page<T>(IReadOnlyList<T> Items, int Total, int Offset, int Limit);

public sealed record RetryBatchView(
    Guid Id,
    string RequestedBy,
    string Selection,
    string? RedirectTo,
    int Total,
    int Issued,
    int Skipped,
    RetryBatchStatus Status,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt)
{
    public int Pending => Math.Max(0, Total - Issued - Skipped);
}

/// <summary>The operator side of the failed-message store.</summary>
public interface IFailedMessages
{
    Task<Page<FailedMessageSummary>> ListAsync(Operator who, FailedMessageFilter filter, int offset, int limit, CancellationToken ct);
    Task<IReadOnlyList<FailureGroup>> GroupsAsync(Operator who, FailureGrouping by, FailedMessageFilter filter, CancellationToken ct);
    Task<FailedMessageDetail?> GetAsync(Operator who, Guid id, CancellationToken ct);
    /// <summary>
    /// Starts a retry batch and returns at once; the batch works through the selection in pages (bounded memory) and
    /// its view shows progress. Messages whose work has meanwhile succeeded are skipped and resolved, never sent twice.
    /// <paramref name="redirectTo"/>: another configured target of the same kind that failed deliveries go to instead.
    /// </summary>
    Task<RetryBatchView> RetryAsync(Operator who, FailedMessageSelection selection, string? redirectTo, CancellationToken ct);
    Task<RetryBatchView?> GetBatchAsync(Operator who, Guid batchId, CancellationToken ct);
    Task<IReadOnlyList<RetryBatchView>> BatchesAsync(Operator who, bool runningOnly, CancellationToken ct);
    Task<int> ArchiveAsync(Operator who, FailedMessageSelection selection, CancellationToken ct);
    Task<int> RestoreAsync(Operator who, FailedMessageSelection selection, CancellationToken ct);
}

/// <summary>What the hub's own code calls when something fails: the error-queue ingestion and faults the hub records itself.</summary>
public interface IFailureRecorder
{
    /// <summary>Creates the failed message, or (same MessageId) raises its failure count and makes it unresolved again.</summary>
    Task RecordAsync(FailureRecord failure, CancellationToken ct);
}

public sealed record FailureRecord(
    Guid MessageId,
    string Source,
    string MessageType,
    string Endpoint,
    string? Consumer,
    string? Ars,
    string? Target,
    Guid? SubmissionId,
    Guid? DeliveryId,
    string ExceptionType,
    string? ExceptionMessage,
    string? StackTrace,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    DateTimeOffset FailedAt);

public sealed record MessageEditView(
    Guid Id,
    Guid FailedMessageId,
    Guid? SubmissionId,
    string ProposedBy,
    DateTimeOffset ProposedAt,
    string Reason,
    MessageEditStatus Status,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    string? DecisionNote,
    /// <summary>Original and edited application XML: masked unless the operator sees social data.</summary>
    string? OriginalXml,
    string? EditedXml,
    IReadOnlyDictionary<string, string>? EditedHeaders,
    /// <summary>The proposer's stable identity (scheme and subject), which four-eyes compares.</summary>
    string? ProposedById = null);

/// <summary>Edit and retry (Hub:Operations:EditAndRetry:Enabled, off by default): propose, then a second operator approves.</summary>
public interface IMessageEdits
{
    bool Enabled { get; }
    /// <summary>The corrected XML must pass the submission's contract before it can be proposed.</summary>
    Task<MessageEditView> ProposeAsync(Operator who, Guid failedMessageId, string? editedXml, IReadOnlyDictionary<string, string>? editedHeaders,
        string reason, CancellationToken ct);
    /// <summary>By someone other than the proposer: activates the edit and retries the message with it.</summary>
    Task<MessageEditView> ApproveAsync(Operator who, Guid editId, CancellationToken ct);
    Task<MessageEditView> RejectAsync(Operator who, Guid editId, string note, CancellationToken ct);
    Task<IReadOnlyList<MessageEditView>> ListAsync(Operator who, MessageEditStatus? status, CancellationToken ct);
}

public sealed record OperatorAuditView(long Id, DateTimeOffset At, string Actor, string Role, string Action, string Subject, int Count, string? Detail);

/// <summary>The audit log of operator actions (who, what, when, which messages).</summary>
public interface IOperatorAudit
{
    Task WriteAsync(Operator who, string action, string subject, int count = 1, string? detail = null, CancellationToken ct = default);
    Task<Page<OperatorAuditView>> ListAsync(Operator who, string? actor, string? action, DateTimeOffset? from, DateTimeOffset? to, int offset, int limit,
        CancellationToken ct);
}

public sealed record CountByKey(string Key, int Count);
public sealed record CountInHour(DateTimeOffset Hour, string Key, int Count);

/// <summary>The dashboard's figures over a time window.</summary>
public sealed record Dashboard(
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyList<CountInHour> SubmissionsPerHour,
    int Accepted,
    int Rejected,
    int InProgress,
    IReadOnlyList<CountByKey> DeliveriesPerTarget,
    IReadOnlyList<CountByKey> DeliveriesPerMunicipality,
    IReadOnlyList<CountInHour> FailuresPerGroupAndHour,
    int UnresolvedFailures,
    int PendingRetries);

public sealed record SubmissionMatch(Guid SubmissionId, Guid CaseId, string Ars, string ServiceName, string Status, string? CitizenStatus,
    IReadOnlyList<string> Aktenzeichen, DateTimeOffset CreatedAt);

public sealed record TimelineEntryView(DateTimeOffset At, string Step, string? Target, string? Detail);

public sealed record SubmissionView(SubmissionMatch Submission, IReadOnlyList<TimelineEntryView> Timeline,
    IReadOnlyList<FailedMessageSummary> Failures, bool PayloadsDeleted);

/// <summary>Dashboard and submission search (by submission id, case id or Aktenzeichen) with the full timeline.</summary>
public interface IOperationsOverview
{
    Task<Dashboard> DashboardAsync(Operator who, DateTimeOffset from, DateTimeOffset to, CancellationToken ct);
    Task<IReadOnlyList<SubmissionMatch>> FindSubmissionsAsync(Operator who, string query, CancellationToken ct);
    Task<SubmissionView?> SubmissionAsync(Operator who, Guid submissionId, CancellationToken ct);
}
