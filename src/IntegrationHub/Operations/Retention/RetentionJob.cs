using System.Linq.Expressions;
using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Operations.Access;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace IntegrationHub.Operations.Retention;

/// <summary>What one retention run removed.</summary>
public sealed record RetentionResult(int FailedMessages, int Submissions, int Blobs);

/// <summary>
/// Retention (Hub:Operations:Retention), once per interval across all hubs:
/// <list type="bullet">
/// <item>resolved and archived failed messages untouched for <see cref="RetentionOptions.FailedMessages"/> go, with their
/// history and edits (an approved data edit a submission still delivers from stays until that submission's payloads go);</item>
/// <item>the personal data of finished submissions (citizen status COMPLETED, or rejected) goes after the municipality's
/// PayloadRetention, else <see cref="RetentionOptions.SubmissionPayloads"/>: every blob under the submission
/// (metadata, data, attachments, documents procedures sent back, edits) and the ledger's references to them. The ledger
/// row, its history, the case events and the access protocol stay; Submission.PayloadsDeletedAt says when.</item>
/// </list>
/// A submission still in progress (a delivery not final, or activity within the period) or with an unresolved failed
/// message is never touched. Works in bounded batches; logs counts only.
/// </summary>
[DisallowConcurrentExecution]
public sealed class RetentionJob(
    HubDbContext db,
    IBlobStore blobs,
    TenantDirectory tenants,
    IOptions<OperationsOptions> operations,
    ILogger<RetentionJob> logger) : IJob
{
    public const string Name = "operations-retention";
    public const int BatchSize = 100;
    /// <summary>The submission's history step when its payloads were deleted; the detail says how many blobs.</summary>
    public const string HistoryStep = "payloads-deleted";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct = default) => await RunAsync(ct);

    // One run per process at a time: the scheduler never overlaps its own runs (across the cluster, too), and a run
    // started beside it (by hand, or a test) waits for it instead of racing it for the same submissions.
    private static readonly SemaphoreSlim OneRunAtATime = new(1, 1);

    public async Task<RetentionResult> RunAsync(CancellationToken ct)
    {
        await OneRunAtATime.WaitAsync(ct);
        try
        {
            return await RunOnceAsync(ct);
        }
        finally
        {
            OneRunAtATime.Release();
        }
    }

    private async Task<RetentionResult> RunOnceAsync(CancellationToken ct)
    {
        var retention = operations.Value.Retention;
        var now = DateTimeOffset.UtcNow;
        var failedMessages = await RemoveFailedMessagesAsync(now - retention.FailedMessages, ct);

        var (submissions, deletedBlobs) = (0, 0);
        foreach (var tenant in tenants.Tenants)
        {
            var ars = tenant.Ars;
            var (s, b) = await DeletePayloadsAsync(x => x.Ars == ars, now - (tenant.PayloadRetention ?? retention.SubmissionPayloads), now, ct);
            (submissions, deletedBlobs) = (submissions + s, deletedBlobs + b);
        }
        // Municipalities no longer configured: the hub-wide period.
        var configured = tenants.Tenants.Select(t => t.Ars).ToList();
        var (rest, restBlobs) = await DeletePayloadsAsync(x => !configured.Contains(x.Ars), now - retention.SubmissionPayloads, now, ct);
        (submissions, deletedBlobs) = (submissions + rest, deletedBlobs + restBlobs);

        if (failedMessages + submissions > 0)
            logger.LogInformation("Retention removed {FailedMessages} failed messages and the payloads of {Submissions} submissions ({Blobs} blobs)",
                failedMessages, submissions, deletedBlobs);
        return new RetentionResult(failedMessages, submissions, deletedBlobs);
    }

    private async Task<int> RemoveFailedMessagesAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        var removed = 0;
        while (true)
        {
            var ids = await Expired(db.FailedMessages.AsNoTracking(), cutoff).OrderBy(f => f.UpdatedAt).Select(f => f.Id).Take(BatchSize).ToListAsync(ct);
            if (ids.Count == 0) return removed;

            List<MessageEdit> droppedEdits;
            await using (var transaction = await db.Database.BeginTransactionAsync(ct))
            {
                // The conditions again: a message restored or retried since it was listed stays, with its history.
                removed += await Expired(db.FailedMessages.Where(f => ids.Contains(f.Id)), cutoff).ExecuteDeleteAsync(ct);
                var kept = await db.FailedMessages.Where(f => ids.Contains(f.Id)).Select(f => f.Id).ToListAsync(ct);
                var gone = ids.Except(kept).ToList();
                await db.FailedMessageEvents.Where(e => gone.Contains(e.FailedMessageId)).ExecuteDeleteAsync(ct);

                var edits = await db.MessageEdits.AsNoTracking().Where(e => gone.Contains(e.FailedMessageId)).ToListAsync(ct);
                var editIds = edits.Select(e => e.Id).ToList();
                var inUse = await db.Submissions
                    .Where(s => s.DataEditId != null && editIds.Contains(s.DataEditId.Value) && s.PayloadsDeletedAt == null)
                    .Select(s => s.DataEditId!.Value).ToListAsync(ct);
                droppedEdits = edits.Where(e => !inUse.Contains(e.Id)).ToList();
                var dropped = droppedEdits.Select(e => e.Id).ToList();
                await db.MessageEdits.Where(e => dropped.Contains(e.Id)).ExecuteDeleteAsync(ct);
                await transaction.CommitAsync(ct);
            }
            // After the commit: a crash in between leaves a blob under the submission, which payload retention removes.
            foreach (var edit in droppedEdits.Where(e => e.EditedDataBlob is not null))
                await blobs.DeleteAsync(edit.EditedDataBlob!, ct);
            if (ids.Count < BatchSize) return removed;
        }
    }

    private static IQueryable<FailedMessage> Expired(IQueryable<FailedMessage> query, DateTimeOffset cutoff) =>
        query.Where(f => (f.Status == FailedMessageStatus.Resolved || f.Status == FailedMessageStatus.Archived) && f.UpdatedAt < cutoff);

    private async Task<(int Submissions, int Blobs)> DeletePayloadsAsync(Expression<Func<Submission, bool>> municipality, DateTimeOffset cutoff,
        DateTimeOffset now, CancellationToken ct)
    {
        var (submissions, deletedBlobs) = (0, 0);
        while (true)
        {
            var batch = await db.Submissions.AsNoTracking().Where(municipality)
                .Where(s => s.PayloadsDeletedAt == null && s.UpdatedAt < cutoff
                    && (s.CitizenStatus == CitizenStatus.Completed || s.Status == SubmissionStatus.Rejected)
                    // Finished means finished everywhere: every call final and none changed within the period ...
                    && !db.Deliveries.Any(d => d.SubmissionId == s.Id
                        && (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.AwaitingAcknowledgement || d.UpdatedAt >= cutoff))
                    // ... and nothing left for operations to put right.
                    && !db.FailedMessages.Any(f => f.SubmissionId == s.Id
                        && (f.Status == FailedMessageStatus.Unresolved || f.Status == FailedMessageStatus.RetryIssued)))
                .OrderBy(s => s.UpdatedAt).Select(s => s.Id).Take(BatchSize).ToListAsync(ct);
            if (batch.Count == 0) return (submissions, deletedBlobs);

            foreach (var submissionId in batch)
            {
                var count = await SubmissionBlobs.DeleteAllAsync(blobs, submissionId, ct);
                if (await ForgetPayloadsAsync(submissionId, count, now, ct))
                {
                    submissions++;
                    deletedBlobs += count;
                }
            }
            if (batch.Count < BatchSize) return (submissions, deletedBlobs);
        }
    }

    /// <summary>The ledger's side, in one transaction: references to the deleted blobs go, the row says when. False when another run did it.</summary>
    private async Task<bool> ForgetPayloadsAsync(Guid submissionId, int blobCount, DateTimeOffset now, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var marked = await db.Submissions.Where(s => s.Id == submissionId && s.PayloadsDeletedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.PayloadsDeletedAt, now), ct);
        if (marked == 0) return false;

        // A document's name may name the citizen; its type and the report itself stay for the timeline.
        await db.StatusReports.Where(r => r.SubmissionId == submissionId && r.DocumentBlob != null)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.DocumentBlob, (string?)null).SetProperty(r => r.DocumentName, (string?)null), ct);
        await db.MessageEdits.Where(e => e.SubmissionId == submissionId && e.EditedDataBlob != null)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.EditedDataBlob, (string?)null), ct);
        var prefix = SubmissionBlobs.Prefix(submissionId);
        foreach (var delivery in await db.Deliveries.Where(d => d.SubmissionId == submissionId && d.Payload != null).ToListAsync(ct))
        {
            var payload = DeliveryPayload.Parse(delivery.Payload);
            if (payload.DocumentBlob?.StartsWith(prefix, StringComparison.Ordinal) == true)
                delivery.Payload = (payload with { DocumentBlob = null, DocumentName = null }).ToJson();
        }
        db.AddHistory(submissionId, HistoryStep, detail: $"{blobCount} blobs");
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return true;
    }
}
