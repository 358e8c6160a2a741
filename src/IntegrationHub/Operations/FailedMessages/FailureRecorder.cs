using System.Text.Json;
using IntegrationHub.Ledger;
using Microsoft.EntityFrameworkCore;
using IntegrationHub.Security.AtRest;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Operations.FailedMessages;

/// <summary>
/// Writes a failure into the store: the first failure of a message id creates its row, a later one (a retried message
/// failing again) raises the same row's count and makes it unresolved again, in its group.
/// </summary>
public sealed class FailureRecorder(HubDbContext db, FailedMessageColumns columns, ILogger<FailureRecorder> logger) : IFailureRecorder
{
    public const int MaxBodyCharacters = 1_000_000;

    public async Task RecordAsync(FailureRecord failure, CancellationToken ct)
    {
        var fingerprint = FailureFingerprint.Compute(failure.ExceptionType, failure.StackTrace);
        var headers = JsonSerializer.Serialize(failure.Headers);
        var body = failure.Body.Length > MaxBodyCharacters ? failure.Body[..MaxBodyCharacters] : failure.Body;
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var now = DateTimeOffset.UtcNow;
            var existing = await db.FailedMessages.Where(f => f.MessageId == failure.MessageId).Select(f => new { f.Id, f.Ars }).FirstOrDefaultAsync(ct);
            if (existing is not null)
            {
                var id = existing.Id;
                // Encrypted at rest with the row's municipality key, bound to the row (see FailedMessageColumns).
                var exceptionMessage = await columns.ProtectAsync(id, existing.Ars, FailedMessageColumns.ExceptionMessage, failure.ExceptionMessage, ct);
                var stackTrace = await columns.ProtectAsync(id, existing.Ars, FailedMessageColumns.StackTrace, failure.StackTrace, ct);
                // Atomic count: two failures of the same message recorded at once both count.
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                await db.FailedMessages.Where(f => f.Id == id).ExecuteUpdateAsync(u => u
                    .SetProperty(f => f.FailureCount, f => f.FailureCount + 1)
                    .SetProperty(f => f.LastFailedAt, failure.FailedAt)
                    .SetProperty(f => f.Status, FailedMessageStatus.Unresolved)
                    .SetProperty(f => f.ResolvedAt, (DateTimeOffset?)null)
                    .SetProperty(f => f.ExceptionType, failure.ExceptionType)
                    .SetProperty(f => f.ExceptionMessage, exceptionMessage)
                    .SetProperty(f => f.StackTrace, stackTrace)
                    .SetProperty(f => f.Fingerprint, fingerprint)
                    .SetProperty(f => f.Consumer, failure.Consumer)
                    .SetProperty(f => f.UpdatedAt, now), ct);
                db.FailedMessageEvents.Add(new FailedMessageEvent
                    { FailedMessageId = id, At = now, Action = FailedMessageActions.FailedAgain, Detail = ShortType(failure.ExceptionType) });
                await db.SaveChangesAsync(ct);
                await transaction.CommitAsync(ct);
                logger.LogWarning("Message {MessageId} ({MessageType}) failed again on {Endpoint}: {ExceptionType}", failure.MessageId,
                    failure.MessageType, failure.Endpoint, failure.ExceptionType);
                return;
            }

            var row = new FailedMessage
            {
                Id = Guid.NewGuid(),
                MessageId = failure.MessageId,
                Source = failure.Source,
                MessageType = failure.MessageType,
                Endpoint = failure.Endpoint,
                Consumer = failure.Consumer,
                Ars = failure.Ars,
                Target = failure.Target,
                SubmissionId = failure.SubmissionId,
                DeliveryId = failure.DeliveryId,
                ExceptionType = failure.ExceptionType,
                ExceptionMessage = failure.ExceptionMessage,
                StackTrace = failure.StackTrace,
                Fingerprint = fingerprint,
                Body = body,
                Headers = headers,
                FirstFailedAt = failure.FailedAt,
                LastFailedAt = failure.FailedAt,
                FailureCount = 1,
                Status = FailedMessageStatus.Unresolved,
                UpdatedAt = now,
            };
            await columns.ProtectAsync(row, ct);
            db.FailedMessages.Add(row);
            db.FailedMessageEvents.Add(new FailedMessageEvent
                { FailedMessageId = row.Id, At = now, Action = FailedMessageActions.Failed, Detail = ShortType(failure.ExceptionType) });
            try
            {
                await db.SaveChangesAsync(ct);
                logger.LogWarning("Message {MessageId} ({MessageType}) failed on {Endpoint}: {ExceptionType}, group {Fingerprint}", failure.MessageId,
                    failure.MessageType, failure.Endpoint, failure.ExceptionType, fingerprint);
                return;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // The same message id was recorded at the same moment (unique index): count this one as failing again.
            }
        }
    }

    private static string ShortType(string exceptionType) => exceptionType[(exceptionType.LastIndexOf('.') + 1)..];
}

/// <summary>The actions in a failed message's history.</summary>
public static class FailedMessageActions
{
    public const string Failed = "failed";
    public const string FailedAgain = "failed-again";
    public const string RetryIssued = "retry-issued";
    public const string RetrySkipped = "retry-skipped: already succeeded";
    public const string Resolved = "resolved";
    public const string Archived = "archived";
    public const string Restored = "restored";
}
