using IntegrationHub.Ledger;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Operations.FailedMessages;

/// <summary>
/// Whether a failed message's work has succeeded meanwhile, read from the ledger: a delivery delivered or placed, a
/// submission decided (after SubmissionReceived), a submission routed (after SubmissionAccepted). A retry skips such a
/// message, and a retried one is resolved once its work is done.
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

    /// <summary>Called where a delivery succeeds: a retried failed message about it is resolved at once.</summary>
    public static async Task DeliverySucceededAsync(HubDbContext db, Guid submissionId, Guid deliveryId, CancellationToken ct)
    {
        var ids = await db.FailedMessages.AsNoTracking()
            .Where(f => f.SubmissionId == submissionId && f.DeliveryId == deliveryId && f.Status == FailedMessageStatus.RetryIssued)
            .Select(f => f.Id).ToListAsync(ct);
        await ResolveAsync(db, ids, ct);
    }

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
        var resolved = 0;
        foreach (var id in ids)
        {
            // One conditional update per row: a second hub resolving the same row at once changes nothing and writes no event.
            var now = DateTimeOffset.UtcNow;
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var changed = await db.FailedMessages.Where(f => f.Id == id && f.Status == FailedMessageStatus.RetryIssued)
                .ExecuteUpdateAsync(u => u.SetProperty(f => f.Status, FailedMessageStatus.Resolved).SetProperty(f => f.ResolvedAt, now)
                    .SetProperty(f => f.UpdatedAt, now), ct);
            if (changed == 0) continue;
            db.FailedMessageEvents.Add(new FailedMessageEvent { FailedMessageId = id, At = now, Action = FailedMessageActions.Resolved });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            db.ChangeTracker.Clear();
            resolved++;
        }
        return resolved;
    }
}
