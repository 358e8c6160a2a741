using IntegrationHub.Ledger;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace IntegrationHub.Intake.Expiry;

/// <summary>
/// Submissions created but never submitted within Hub:Limits:IncompleteSubmissionLifetime expire: the row becomes
/// the tombstone (status Expired, history step "expired"; ids and timestamps only, no personal data), its uploaded
/// attachments go from the blob store and the ledger. Later uploads and submits answer 410 submission-expired.
/// A submit that claimed the submission within the last minute is left alone. Runs on the hub's Quartz scheduler,
/// once per <see cref="Interval"/> across all hubs; logs counts only.
/// </summary>
[DisallowConcurrentExecution]
public sealed class IncompleteSubmissionExpiry(HubDbContext db, IBlobStore blobs, IOptions<HubOptions> options,
    ILogger<IncompleteSubmissionExpiry> logger) : IJob
{
    public const string Name = "intake-incomplete-expiry";
    public const int BatchSize = 100;

    /// <summary>A quarter of the lifetime, between 1 second and 15 minutes: an expired submission lingers at most that much longer.</summary>
    public static TimeSpan Interval(TimeSpan lifetime) =>
        TimeSpan.FromTicks(Math.Clamp(lifetime.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.FromMinutes(15).Ticks));

    /// <summary>Whether a submission still incomplete is past its lifetime (the API answers so even before the job ran).</summary>
    public static bool IsPast(Submission submission, TimeSpan lifetime, DateTimeOffset now) =>
        submission.Status == SubmissionStatus.Incomplete && submission.CreatedAt < now - lifetime;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct = default) => await RunAsync(ct);

    /// <summary>Expires what is due; returns how many submissions expired.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var cutoff = now - options.Value.Limits.IncompleteSubmissionLifetime;
        var claimedSince = now - TimeSpan.FromMinutes(1);
        var (expired, deletedBlobs) = (0, 0);
        while (true)
        {
            var ids = await db.Submissions.AsNoTracking()
                .Where(s => s.Status == SubmissionStatus.Incomplete && s.CreatedAt < cutoff && (s.SubmittedAt == null || s.SubmittedAt < claimedSince))
                .OrderBy(s => s.CreatedAt).Select(s => s.Id).Take(BatchSize).ToListAsync(ct);
            foreach (var id in ids)
            {
                // The conditions again, in the update: a submit that claimed it since it was listed wins.
                var won = await db.Submissions
                    .Where(s => s.Id == id && s.Status == SubmissionStatus.Incomplete && (s.SubmittedAt == null || s.SubmittedAt < claimedSince))
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, SubmissionStatus.Expired).SetProperty(s => s.UpdatedAt, now), ct);
                if (won == 0) continue;
                deletedBlobs += await ForgetAttachmentsAsync(id, ct);
                expired++;
            }
            if (ids.Count < BatchSize) break;
        }
        // Tombstones that still list attachments: a run that crashed half-way, or an upload that ended after the expiry.
        var leftovers = await db.Submissions.AsNoTracking()
            .Where(s => s.Status == SubmissionStatus.Expired && db.SubmissionAttachments.Any(a => a.SubmissionId == s.Id))
            .Select(s => s.Id).Take(BatchSize).ToListAsync(ct);
        foreach (var id in leftovers) deletedBlobs += await ForgetAttachmentsAsync(id, ct);
        if (expired > 0)
            logger.LogInformation("{Count} incomplete submissions expired ({Blobs} blobs removed)", expired, deletedBlobs);
        return expired;
    }

    // Blobs first, then the rows: after a crash in between, the tombstone still lists its attachments and is done again.
    private async Task<int> ForgetAttachmentsAsync(Guid submissionId, CancellationToken ct)
    {
        var count = await SubmissionBlobs.DeleteAllAsync(blobs, submissionId, ct);
        await db.SubmissionAttachments.Where(a => a.SubmissionId == submissionId).ExecuteDeleteAsync(ct);
        db.AddHistory(submissionId, HistorySteps.Expired, detail: $"{count} blobs");
        await db.SaveChangesAsync(ct);
        return count;
    }
}

public static class IncompleteSubmissionExpiryRegistration
{
    public static IServiceCollection AddIncompleteSubmissionExpiry(this IServiceCollection services, HubOptions hub)
    {
        var lifetime = hub.Limits.IncompleteSubmissionLifetime;
        if (lifetime <= TimeSpan.Zero) throw new InvalidOperationException("Hub:Limits:IncompleteSubmissionLifetime must be positive.");
        services.AddQuartz(q => q.ScheduleJob<IncompleteSubmissionExpiry>(
            t => t.WithIdentity(IncompleteSubmissionExpiry.Name).StartNow()
                .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(IncompleteSubmissionExpiry.Interval(lifetime)).RepeatForever()),
            j => j.WithIdentity(IncompleteSubmissionExpiry.Name).DisallowConcurrentExecution()));
        return services;
    }
}
