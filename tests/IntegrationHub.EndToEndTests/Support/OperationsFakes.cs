using System.Collections.Concurrent;
using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using IntegrationHub.Problems;
using IntegrationHub.Simulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The hub with operators of every role and in-memory stand-ins for the operations services, so the API and hubctl are
/// proven on their own (the real services are proven by their own tests). The audit log is the real one.
/// </summary>
public sealed class OperationsApiFixture : HubFixture
{
    public const string ReaderKey = "reader-key-e2e", OperatorKey = "operator-key-e2e", AdminKey = "admin-key-e2e", ApproverKey = "approver-key-e2e";

    public FakeFailedMessages FailedMessages { get; } = new();
    public FakeMessageEdits Edits { get; } = new();
    public FakeOperationsOverview Overview { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators)
    {
        var operators = new[] { ("e2e-reader", "Reader", ReaderKey), ("e2e-operator", "Operator", OperatorKey), ("e2e-admin", "Admin", AdminKey), ("e2e-approver", "Admin", ApproverKey) };
        for (var i = 0; i < operators.Length; i++)
        {
            var (name, role, key) = operators[i];
            yield return new($"Hub:Operations:Operators:{i}:Name", name);
            yield return new($"Hub:Operations:Operators:{i}:Role", role);
            yield return new($"Hub:Operations:Operators:{i}:KeySha256", OperatorDirectory.HashKey(key));
            yield return new($"Hub:Operations:Operators:{i}:Municipalities:0", Operator.AllMunicipalities);
        }
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.RemoveAll<IFailedMessages>();
        services.AddSingleton<IFailedMessages>(FailedMessages);
        services.RemoveAll<IMessageEdits>();
        services.AddSingleton<IMessageEdits>(Edits);
        services.RemoveAll<IOperationsOverview>();
        services.AddSingleton<IOperationsOverview>(Overview);
    }

    public HttpClient Client(string? apiKey)
    {
        var client = Factory.CreateClient();
        if (apiKey is not null) client.DefaultRequestHeaders.Add(OperatorAuthentication.ApiKeyHeader, apiKey);
        return client;
    }
}

[CollectionDefinition(Name)]
public sealed class OperationsApiCollection : ICollectionFixture<OperationsApiFixture>
{
    public const string Name = "hub with fake operations services";
}

/// <summary>Records what reaches it; a retry batch advances by one message per read until it completes.</summary>
public sealed class FakeFailedMessages : IFailedMessages
{
    /// <summary>A redirect to this target is refused, as the real store refuses a target of another kind.</summary>
    public const string UnknownTarget = "no-such-target";
    public static readonly ProblemType RedirectRefused = new("redirect-target-invalid", "The redirect target is not a target of the same kind", 422);
    public static readonly Guid KnownId = Guid.Parse("6d1a4f0e-2b7c-4a39-9a55-1f6f5a2c7b01");
    public const string ProsozGroupKey = "3f2a9c1d";
    public const string ProsozGroupTitle = "TargetUnavailableException at ProsozClient.SendAsync";

    public ConcurrentQueue<(string Call, Operator Who, object? Argument)> Calls { get; } = new();
    private readonly ConcurrentDictionary<Guid, RetryBatchView> _batches = new();

    public Task<Page<FailedMessageSummary>> ListAsync(Operator who, FailedMessageFilter filter, int offset, int limit, CancellationToken ct)
    {
        Calls.Enqueue(("list", who, (filter, offset, limit)));
        return Task.FromResult(new Page<FailedMessageSummary>([Summary()], 1, offset, limit));
    }

    public Task<IReadOnlyList<FailureGroup>> GroupsAsync(Operator who, FailureGrouping by, FailedMessageFilter filter, CancellationToken ct)
    {
        Calls.Enqueue(("groups", who, (by, filter)));
        var now = DateTimeOffset.UtcNow;
        return Task.FromResult<IReadOnlyList<FailureGroup>>(
        [
            new(ProsozGroupKey, ProsozGroupTitle, "TargetUnavailableException", 12, 11, 1, now.AddHours(-2), now),
            new("77b0e4aa", "XmlSchemaValidationException at SubmissionReceivedConsumer.Consume", "XmlSchemaValidationException", 2, 2, 0, now.AddHours(-5), now.AddHours(-1)),
        ]);
    }

    public Task<FailedMessageDetail?> GetAsync(Operator who, Guid id, CancellationToken ct)
    {
        Calls.Enqueue(("get", who, id));
        return Task.FromResult(id == KnownId
            ? new FailedMessageDetail(Summary(), "DeliveryRequestedConsumer", "at ProsozClient.SendAsync()", "<antrag>***</antrag>",
                new Dictionary<string, string> { ["MT-Fault-ExceptionType"] = "TargetUnavailableException" }, !who.SeesSocialData,
                [new FailedMessageEventView(DateTimeOffset.UtcNow, "failed", null, "attempt 1")], [])
            : null);
    }

    public Task<RetryBatchView> RetryAsync(Operator who, FailedMessageSelection selection, string? redirectTo, CancellationToken ct)
    {
        Calls.Enqueue(("retry", who, (selection, redirectTo)));
        if (redirectTo == UnknownTarget) throw new OperationRefusedException(RedirectRefused, $"Target {redirectTo} is not configured.");
        var batch = new RetryBatchView(Guid.NewGuid(), who.Name, selection.Filter?.Group is { } g ? $"group {g}" : "ids", redirectTo,
            3, 0, 0, RetryBatchStatus.Running, null, DateTimeOffset.UtcNow, null);
        _batches[batch.Id] = batch;
        return Task.FromResult(batch);
    }

    public Task<RetryBatchView?> GetBatchAsync(Operator who, Guid batchId, CancellationToken ct)
    {
        Calls.Enqueue(("batch", who, batchId));
        if (!_batches.TryGetValue(batchId, out var batch)) return Task.FromResult<RetryBatchView?>(null);
        // One more message per read: the first issued, the second skipped (had meanwhile succeeded), the third issued.
        var next = batch.Status != RetryBatchStatus.Running ? batch
            : batch.Issued + batch.Skipped == 1 ? batch with { Skipped = batch.Skipped + 1 }
            : batch with { Issued = batch.Issued + 1 };
        if (next.Pending == 0 && next.Status == RetryBatchStatus.Running)
            next = next with { Status = RetryBatchStatus.Completed, CompletedAt = DateTimeOffset.UtcNow };
        _batches[batchId] = next;
        return Task.FromResult<RetryBatchView?>(next);
    }

    public Task<IReadOnlyList<RetryBatchView>> BatchesAsync(Operator who, bool runningOnly, CancellationToken ct)
    {
        Calls.Enqueue(("batches", who, runningOnly));
        return Task.FromResult<IReadOnlyList<RetryBatchView>>(_batches.Values.Where(b => !runningOnly || b.Status == RetryBatchStatus.Running).ToList());
    }

    public Task<int> ArchiveAsync(Operator who, FailedMessageSelection selection, CancellationToken ct)
    {
        Calls.Enqueue(("archive", who, selection));
        return Task.FromResult(selection.Ids?.Count ?? 7);
    }

    public Task<int> RestoreAsync(Operator who, FailedMessageSelection selection, CancellationToken ct)
    {
        Calls.Enqueue(("restore", who, selection));
        return Task.FromResult(selection.Ids?.Count ?? 7);
    }

    public T Last<T>(string call) => (T)Calls.Last(c => c.Call == call).Argument!;

    private static FailedMessageSummary Summary() => new(KnownId, "DeliveryRequested", "submission-delivery", HubFixture.Offenbach, "prosoz",
        Guid.Parse("0b7e1a5c-8f2d-4e64-b1a3-5d6c7e8f9a01"), "TargetUnavailableException", null, ProsozGroupKey,
        DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow, 2, FailedMessageStatus.Unresolved);
}

public sealed class FakeMessageEdits : IMessageEdits
{
    public ConcurrentQueue<(string Call, Operator Who, object? Argument)> Calls { get; } = new();
    public bool Enabled => true;

    public Task<MessageEditView> ProposeAsync(Operator who, Guid failedMessageId, string? editedXml, IReadOnlyDictionary<string, string>? editedHeaders,
        string reason, CancellationToken ct)
    {
        Calls.Enqueue(("propose", who, (failedMessageId, editedXml, reason)));
        return Task.FromResult(View(Guid.NewGuid(), failedMessageId, who.Name, reason, MessageEditStatus.Proposed, null));
    }

    public Task<MessageEditView> ApproveAsync(Operator who, Guid editId, CancellationToken ct)
    {
        Calls.Enqueue(("approve", who, editId));
        return Task.FromResult(View(editId, FakeFailedMessages.KnownId, "e2e-admin", "fix", MessageEditStatus.Approved, who.Name));
    }

    public Task<MessageEditView> RejectAsync(Operator who, Guid editId, string note, CancellationToken ct)
    {
        Calls.Enqueue(("reject", who, (editId, note)));
        return Task.FromResult(View(editId, FakeFailedMessages.KnownId, "e2e-admin", "fix", MessageEditStatus.Rejected, who.Name));
    }

    public Task<IReadOnlyList<MessageEditView>> ListAsync(Operator who, MessageEditStatus? status, CancellationToken ct)
    {
        Calls.Enqueue(("list", who, status));
        return Task.FromResult<IReadOnlyList<MessageEditView>>([]);
    }

    private static MessageEditView View(Guid id, Guid messageId, string by, string reason, MessageEditStatus status, string? decidedBy) =>
        new(id, messageId, null, by, DateTimeOffset.UtcNow, reason, status, decidedBy, decidedBy is null ? null : DateTimeOffset.UtcNow, null, null, null, null);
}

public sealed class FakeOperationsOverview : IOperationsOverview
{
    public const string Aktenzeichen = "SGB12-2025-0042";
    public static readonly Guid SubmissionId = Guid.Parse("5e0c4b7a-91d3-4f28-a6b0-2c1d3e4f5a60");
    public ConcurrentQueue<(string Call, Operator Who, object? Argument)> Calls { get; } = new();

    public Task<Dashboard> DashboardAsync(Operator who, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        Calls.Enqueue(("dashboard", who, (from, to)));
        return Task.FromResult(new Dashboard(from, to, [], 5, 1, 2, [new CountByKey("prosoz", 4)], [], [], 3, 0));
    }

    public Task<IReadOnlyList<SubmissionMatch>> FindSubmissionsAsync(Operator who, string query, CancellationToken ct)
    {
        Calls.Enqueue(("find", who, query));
        return Task.FromResult<IReadOnlyList<SubmissionMatch>>(query == Aktenzeichen || query == SubmissionId.ToString() ? [Match()] : []);
    }

    public Task<SubmissionView?> SubmissionAsync(Operator who, Guid submissionId, CancellationToken ct)
    {
        Calls.Enqueue(("submission", who, submissionId));
        var at = DateTimeOffset.UtcNow.AddHours(-3);
        return Task.FromResult(submissionId == SubmissionId
            ? new SubmissionView(Match(), [new TimelineEntryView(at, "received", null, null), new TimelineEntryView(at.AddMinutes(1), "accepted", null, null),
                new TimelineEntryView(at.AddMinutes(2), "delivered", "prosoz", "Aktenzeichen " + Aktenzeichen),
                new TimelineEntryView(at.AddHours(2), "bescheid", "prosoz", "bewilligt")], [], false)
            : null);
    }

    private static SubmissionMatch Match() => new(SubmissionId, Guid.Parse("a1b2c3d4-0000-4000-8000-000000000042"), HubFixture.Offenbach,
        "Hilfe zum Lebensunterhalt", "Accepted", "decided", [Aktenzeichen], DateTimeOffset.UtcNow.AddHours(-3));
}
