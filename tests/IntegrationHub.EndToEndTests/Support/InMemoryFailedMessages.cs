using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using IntegrationHub.Problems;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// An in-memory failed-message store for the console's own tests, where the ledger-backed store is not wired in: it
/// holds seeded groups, keeps the contract's rules (operators act, readers see masked values, municipalities scope) and
/// resolves a retry's messages one after another over about two seconds, so the batch shows progress.
/// </summary>
public sealed class InMemoryFailedMessages : IFailedMessages
{
    /// <summary>Retrying a group with this key is refused, to show how the console reports a refusal.</summary>
    public const string RefusedGroup = "refused-group";
    public static readonly ProblemType RetryRefused = new("retry-refused", "The retry was refused", 409);

    private readonly object _gate = new();
    private readonly List<Entry> _messages = [];
    private readonly List<Batch> _batches = [];

    public TimeSpan RetryDuration { get; set; } = TimeSpan.FromSeconds(2);

    private sealed class Entry
    {
        public required FailedMessageSummary Summary;
        public required string Body;
        public required Dictionary<string, string> Headers;
        public required List<FailedMessageEventView> History;
    }

    private sealed class Batch
    {
        public required RetryBatchView View;
    }

    /// <summary>Adds <paramref name="count"/> unresolved failed deliveries with one fingerprint; returns their ids.</summary>
    public IReadOnlyList<Guid> SeedGroup(string fingerprint, int count, string ars, string target, string exceptionType = "System.Net.Http.HttpRequestException")
    {
        var now = DateTimeOffset.UtcNow;
        var ids = new List<Guid>();
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                var id = Guid.NewGuid();
                var submission = Guid.NewGuid();
                _messages.Add(new Entry
                {
                    Summary = new FailedMessageSummary(id, "DeliveryRequested", "submission-delivery", ars, target, submission, exceptionType,
                        $"Response status code does not indicate success: 503 (Service Unavailable) for Erika Mustermann", fingerprint,
                        now.AddMinutes(-10), now.AddMinutes(-1), 1, FailedMessageStatus.Unresolved),
                    Body = $"<antrag><name>Erika Mustermann</name><submission>{submission}</submission></antrag>",
                    Headers = new() { ["MT-Fault-Message"] = "503 for Erika Mustermann", ["Content-Type"] = "application/xml" },
                    History = [new(now.AddMinutes(-1), "failed", null, "503")],
                });
                ids.Add(id);
            }
        }
        return ids;
    }

    public Task<Page<FailedMessageSummary>> ListAsync(Operator who, FailedMessageFilter filter, int offset, int limit, CancellationToken ct)
    {
        lock (_gate)
        {
            var matching = Matching(who, filter).Select(e => Visible(who, e.Summary)).ToList();
            return Task.FromResult(new Page<FailedMessageSummary>(matching.Skip(offset).Take(limit).ToList(), matching.Count, offset, limit));
        }
    }

    public Task<IReadOnlyList<FailureGroup>> GroupsAsync(Operator who, FailureGrouping by, FailedMessageFilter filter, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<FailureGroup> groups = Matching(who, filter).GroupBy(e => Key(by, e.Summary))
                .Select(g => new FailureGroup(g.Key, g.Key, g.First().Summary.ExceptionType, g.Count(),
                    g.Count(e => e.Summary.Status == FailedMessageStatus.Unresolved), g.Count(e => e.Summary.Status == FailedMessageStatus.RetryIssued),
                    g.Min(e => e.Summary.FirstFailedAt), g.Max(e => e.Summary.LastFailedAt)))
                .ToList();
            return Task.FromResult(groups);
        }
    }

    public Task<FailedMessageDetail?> GetAsync(Operator who, Guid id, CancellationToken ct)
    {
        lock (_gate)
        {
            var entry = _messages.FirstOrDefault(e => e.Summary.Id == id && who.Covers(e.Summary.Ars));
            if (entry is null) return Task.FromResult<FailedMessageDetail?>(null);
            var clear = who.SeesSocialData;
            return Task.FromResult<FailedMessageDetail?>(new FailedMessageDetail(Visible(who, entry.Summary), "DeliveryRequestedConsumer",
                "at IntegrationHub.Delivery.DeliveryRequestedConsumer.Consume()", clear ? entry.Body : SocialDataMask.MaskXml(entry.Body),
                entry.Headers.ToDictionary(h => h.Key, h => clear ? h.Value : SocialDataMask.MaskText(h.Value)), !clear, entry.History.ToList(), []));
        }
    }

    public Task<RetryBatchView> RetryAsync(Operator who, FailedMessageSelection selection, string? redirectTo, CancellationToken ct)
    {
        Demand(who);
        if (selection.Filter?.Group == RefusedGroup) throw new OperationRefusedException(RetryRefused, "This group may not be retried now.");
        List<Entry> chosen;
        Batch batch;
        lock (_gate)
        {
            chosen = Selected(who, selection).Where(e => e.Summary.Status == FailedMessageStatus.Unresolved).ToList();
            foreach (var entry in chosen) Set(entry, FailedMessageStatus.RetryIssued, "retry-issued", who.Name);
            batch = new Batch
            {
                View = new RetryBatchView(Guid.NewGuid(), who.Name, selection.Ids is { } ids ? $"{ids.Count} messages" : $"group {selection.Filter?.Group}",
                    redirectTo, chosen.Count, 0, 0, RetryBatchStatus.Running, null, DateTimeOffset.UtcNow, null),
            };
            _batches.Add(batch);
        }
        _ = Task.Run(async () =>
        {
            var step = chosen.Count == 0 ? TimeSpan.Zero : RetryDuration / chosen.Count;
            foreach (var entry in chosen)
            {
                await Task.Delay(step);
                lock (_gate)
                {
                    Set(entry, FailedMessageStatus.Resolved, "resolved", null);
                    batch.View = batch.View with { Issued = batch.View.Issued + 1 };
                }
            }
            lock (_gate) batch.View = batch.View with { Status = RetryBatchStatus.Completed, CompletedAt = DateTimeOffset.UtcNow };
        });
        lock (_gate) return Task.FromResult(batch.View);
    }

    public Task<RetryBatchView?> GetBatchAsync(Operator who, Guid batchId, CancellationToken ct)
    {
        lock (_gate) return Task.FromResult(_batches.FirstOrDefault(b => b.View.Id == batchId)?.View);
    }

    public Task<IReadOnlyList<RetryBatchView>> BatchesAsync(Operator who, bool runningOnly, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<RetryBatchView> views = _batches.Select(b => b.View).Where(v => !runningOnly || v.Status == RetryBatchStatus.Running).ToList();
            return Task.FromResult(views);
        }
    }

    public Task<int> ArchiveAsync(Operator who, FailedMessageSelection selection, CancellationToken ct) =>
        Move(who, selection, FailedMessageStatus.Unresolved, FailedMessageStatus.Archived, "archived");

    public Task<int> RestoreAsync(Operator who, FailedMessageSelection selection, CancellationToken ct) =>
        Move(who, selection, FailedMessageStatus.Archived, FailedMessageStatus.Unresolved, "restored");

    private Task<int> Move(Operator who, FailedMessageSelection selection, FailedMessageStatus from, FailedMessageStatus to, string action)
    {
        Demand(who);
        lock (_gate)
        {
            var chosen = Selected(who, selection).Where(e => e.Summary.Status == from).ToList();
            foreach (var entry in chosen) Set(entry, to, action, who.Name);
            return Task.FromResult(chosen.Count);
        }
    }

    private static void Demand(Operator who)
    {
        if (!who.MayAct) throw new OperationRefusedException(new ProblemType("operator-role-required", "Only operators may do this", 403));
    }

    private static void Set(Entry entry, FailedMessageStatus status, string action, string? actor)
    {
        entry.Summary = entry.Summary with { Status = status };
        entry.History.Add(new FailedMessageEventView(DateTimeOffset.UtcNow, action, actor, null));
    }

    private IEnumerable<Entry> Selected(Operator who, FailedMessageSelection selection) =>
        selection.Ids is { } ids
            ? _messages.Where(e => ids.Contains(e.Summary.Id) && who.Covers(e.Summary.Ars))
            : Matching(who, selection.Filter ?? new FailedMessageFilter());

    private IEnumerable<Entry> Matching(Operator who, FailedMessageFilter f) => _messages.Where(e =>
        who.Covers(e.Summary.Ars)
        && (f.Group is null || e.Summary.Fingerprint == f.Group)
        && (f.Ars is null || e.Summary.Ars == f.Ars)
        && (f.Target is null || e.Summary.Target == f.Target)
        && (f.MessageType is null || e.Summary.MessageType == f.MessageType)
        && (f.Endpoint is null || e.Summary.Endpoint == f.Endpoint)
        && (f.ExceptionType is null || e.Summary.ExceptionType == f.ExceptionType)
        && (f.SubmissionId is null || e.Summary.SubmissionId == f.SubmissionId)
        && (f.Statuses is null || f.Statuses.Contains(e.Summary.Status)));

    private static string Key(FailureGrouping by, FailedMessageSummary s) => by switch
    {
        FailureGrouping.MessageType => s.MessageType,
        FailureGrouping.Endpoint => s.Endpoint,
        FailureGrouping.Municipality => s.Ars ?? "",
        FailureGrouping.Target => s.Target ?? "",
        _ => s.Fingerprint,
    };

    private static FailedMessageSummary Visible(Operator who, FailedMessageSummary s) =>
        who.SeesExceptionMessages ? s : s with { ExceptionMessage = SocialDataMask.MaskText(s.ExceptionMessage) };
}
