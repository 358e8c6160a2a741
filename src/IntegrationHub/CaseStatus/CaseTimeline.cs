using IntegrationHub.Ledger;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.CaseStatus;

/// <summary>One line of a submission's timeline: when, what, at which target, with identifiers only.</summary>
public sealed record TimelineEntry(DateTimeOffset At, string Step, string? Target, string? Detail);

/// <summary>A submission's whole story across all targets, from receipt to Bescheid, as the ledger's history tells it.</summary>
public sealed record CaseTimeline(Guid SubmissionId, string? CitizenStatus, IReadOnlyList<TimelineEntry> Entries)
{
    /// <summary>The citizen-facing milestones in the order they happened (SUBMITTED, RECEIVED, …).</summary>
    public IReadOnlyList<string> CitizenTrail =>
        Entries.Where(e => e.Step.StartsWith("status:", StringComparison.Ordinal)).Select(e => e.Step["status:".Length..]).ToList();

    public static async Task<CaseTimeline?> LoadAsync(HubDbContext db, Guid submissionId, CancellationToken ct = default)
    {
        var submission = await db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == submissionId, ct);
        if (submission is null) return null;
        var entries = await db.History.AsNoTracking().Where(h => h.SubmissionId == submissionId).OrderBy(h => h.Id)
            .Select(h => new TimelineEntry(h.At, h.Step, h.Target, h.Detail)).ToListAsync(ct);
        return new CaseTimeline(submissionId, submission.CitizenStatus, entries);
    }
}
