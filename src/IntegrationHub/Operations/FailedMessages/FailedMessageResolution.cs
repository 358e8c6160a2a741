using IntegrationHub.Ledger;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Operations.FailedMessages;

/// <summary>
/// Whether a failed message's work has succeeded meanwhile, read from the ledger: a delivery delivered or placed, a
/// submission decided (after SubmissionReceived), a submission routed (after SubmissionAccepted). A retry skips such a
/// message, and the retry worker resolves a retried one once its work is done, whoever did it (the retried message, the
/// ledger sweep's request, a procedure's report).
/// </summary>
public static class FailedMessageResolution
{
    public const string DeliveryRequested = "DeliveryRequested";
    public const string SubmissionReceived = "SubmissionReceived";
    public const string SubmissionAccepted = "SubmissionAccepted";

    public static IQueryable<FailedMessage> WhoseWorkSucceeded(this IQueryable<FailedMessage> messages, HubDbContext db) =>
        messages.Where(f =>
            (f.MessageType == DeliveryRequested && db.Deliveries.Any(d => d.Id == f.DeliveryId
                && (d.Status == DeliveryStatus.Delivered || d.Status == DeliveryStatus.AwaitingAcknowledgement)))
            || (f.MessageType == SubmissionReceived && db.Submissions.Any(s => s.Id == f.SubmissionId
                && (s.Status == SubmissionStatus.Accepted || s.Status == SubmissionStatus.Rejected)))
            || (f.MessageType == SubmissionAccepted && db.Submissions.Any(s => s.Id == f.SubmissionId && s.RoutedAt != null)));

    /// <summary>Every retried message whose work has succeeded: resolved (the periodic check, so none stays "retry issued").</summary>
    public static async Task<int> ResolveSucceededAsync(HubDbContext db, CancellationToken ct)
    {
        var resolved = 0;
        while (true)
        {
            var ids = await db.FailedMessages.AsNoTracking().Where(f => f.Status == FailedMessageStatus.RetryIssued)
                .WhoseWorkSucceeded(db).OrderBy(f => f.LastFailedAt).Select(f => f.Id).Take(500).ToListAsync(ct);
            if (ids.Count == 0) return resolved;
            var count = await ResolveAsync(db, ids, ct);
            resolved += count;
            if (count == 0) return resolved;
        }
    }

    private static async Task<int> ResolveAsync(HubDbContext db, IReadOnlyList<Guid> ids, CancellationToken ct)
    {
        // One set-based update per page; the rows this transaction changed are those with its own ResolvedAt, so a
        // second hub resolving the same rows at once writes no second "resolved" event.
        var now = DateTimeOffset.UtcNow;
        now = now.AddTicks(-(now.Ticks % 10)); // whole microseconds: PostgreSQL keeps no finer, the comparison below must hold
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var changed = await db.FailedMessages.Where(f => ids.Contains(f.Id) && f.Status == FailedMessageStatus.RetryIssued)
            .ExecuteUpdateAsync(u => u.SetProperty(f => f.Status, FailedMessageStatus.Resolved).SetProperty(f => f.ResolvedAt, now)
                .SetProperty(f => f.UpdatedAt, now), ct);
        if (changed == 0) return 0;
        var mine = await db.FailedMessages.Where(f => ids.Contains(f.Id) && f.Status == FailedMessageStatus.Resolved && f.ResolvedAt == now)
            .Select(f => f.Id).ToListAsync(ct);
        db.FailedMessageEvents.AddRange(mine.Select(id => new FailedMessageEvent { FailedMessageId = id, At = now, Action = FailedMessageActions.Resolved }));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return mine.Count;
    }
}
