using IntegrationHub.CaseStatus;
using IntegrationHub.Ledger;
using IntegrationHub.Operations.Access;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Operations.Overview;

/// <summary>
/// The console's dashboard and submission search over the ledger, limited to the operator's municipalities. Hourly
/// figures are grouped in memory over a bounded projection: SQLite stores DateTimeOffset as a binary number, which SQL
/// cannot truncate to the hour, and the same code then holds on PostgreSQL.
/// </summary>
public sealed class OperationsOverview(HubDbContext db, Security.AtRest.FailedMessageColumns columns) : IOperationsOverview
{
    /// <summary>The longest window the dashboard covers (hourly rows beyond that say little and cost much).</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(31);
    /// <summary>Rows read for one hourly figure at most; the dashboard is an overview, not an export.</summary>
    public const int MaxRowsPerFigure = 200_000;
    public const int MaxMatches = 50;

    public async Task<Dashboard> DashboardAsync(Operator who, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (to <= from) (from, to) = (to, from);
        if (to - from > MaxWindow) from = to - MaxWindow;

        var submissions = Scoped(who, db.Submissions.AsNoTracking()).Where(s => s.CreatedAt >= from && s.CreatedAt < to);
        var created = await submissions.Select(s => new { s.CreatedAt, s.Status }).Take(MaxRowsPerFigure).ToListAsync(ct);
        var perHour = created.GroupBy(s => Hour(s.CreatedAt))
            .Select(g => new CountInHour(g.Key, "submissions", g.Count())).OrderBy(c => c.Hour).ToList();
        var accepted = created.Count(s => s.Status == SubmissionStatus.Accepted);
        var rejected = created.Count(s => s.Status == SubmissionStatus.Rejected);

        var deliveries = Scoped(who, db.Deliveries.AsNoTracking()).Where(d => d.CreatedAt >= from && d.CreatedAt < to);
        var perTarget = await deliveries.GroupBy(d => d.Target).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var perMunicipality = await deliveries.GroupBy(d => d.Ars).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);

        var failures = Scoped(who, db.FailedMessages.AsNoTracking());
        var failed = await failures.Where(f => f.LastFailedAt >= from && f.LastFailedAt < to)
            .Select(f => new { f.Fingerprint, f.LastFailedAt }).Take(MaxRowsPerFigure).ToListAsync(ct);
        var failuresPerHour = failed.GroupBy(f => (Hour: Hour(f.LastFailedAt), f.Fingerprint))
            .Select(g => new CountInHour(g.Key.Hour, g.Key.Fingerprint, g.Count())).OrderBy(c => c.Hour).ThenBy(c => c.Key).ToList();

        return new Dashboard(from, to, perHour, accepted, rejected, created.Count - accepted - rejected,
            perTarget.Select(t => new CountByKey(t.Key, t.Count)).OrderByDescending(c => c.Count).ThenBy(c => c.Key).ToList(),
            perMunicipality.Select(t => new CountByKey(t.Key, t.Count)).OrderByDescending(c => c.Count).ThenBy(c => c.Key).ToList(),
            failuresPerHour,
            await failures.CountAsync(f => f.Status == FailedMessageStatus.Unresolved, ct),
            await failures.CountAsync(f => f.Status == FailedMessageStatus.RetryIssued, ct));
    }

    /// <summary>Exact matches only: a submission id, a case id, or an Aktenzeichen a procedure answered with.</summary>
    public async Task<IReadOnlyList<SubmissionMatch>> FindSubmissionsAsync(Operator who, string query, CancellationToken ct)
    {
        query = query.Trim();
        if (query.Length == 0) return [];
        var submissions = Scoped(who, db.Submissions.AsNoTracking());
        List<Submission> found;
        if (Guid.TryParse(query, out var id))
            found = await submissions.Where(s => s.Id == id || s.CaseId == id).Take(MaxMatches).ToListAsync(ct);
        else
        {
            var ids = db.Deliveries.Where(d => d.Aktenzeichen == query).Select(d => d.SubmissionId);
            found = await submissions.Where(s => ids.Contains(s.Id)).Take(MaxMatches).ToListAsync(ct);
        }
        var matches = new List<SubmissionMatch>();
        foreach (var submission in found.OrderByDescending(s => s.CreatedAt)) matches.Add(await MatchAsync(submission, ct));
        return matches;
    }

    public async Task<SubmissionView?> SubmissionAsync(Operator who, Guid submissionId, CancellationToken ct)
    {
        var submission = await Scoped(who, db.Submissions.AsNoTracking()).FirstOrDefaultAsync(s => s.Id == submissionId, ct);
        if (submission is null) return null;
        var timeline = await CaseTimeline.LoadAsync(db, submissionId, ct);
        var failures = await db.FailedMessages.AsNoTracking().Where(f => f.SubmissionId == submissionId).ToListAsync(ct);
        foreach (var failure in failures) await columns.ReadAsync(failure, ct);
        return new SubmissionView(
            await MatchAsync(submission, ct),
            (timeline?.Entries ?? []).Select(e => new TimelineEntryView(e.At, e.Step, e.Target, e.Detail)).ToList(),
            failures.OrderByDescending(f => f.LastFailedAt).Select(f => Summary(who, f)).ToList(),
            submission.PayloadsDeletedAt is not null);
    }

    /// <summary>A failed message as a list row; the exception message may quote a target's answer, so readers get it masked.</summary>
    public static FailedMessageSummary Summary(Operator who, FailedMessage f) => new(
        f.Id, f.MessageType, f.Endpoint, f.Ars, f.Target, f.SubmissionId, f.ExceptionType,
        who.SeesExceptionMessages ? f.ExceptionMessage : SocialDataMask.MaskText(f.ExceptionMessage),
        f.Fingerprint, f.FirstFailedAt, f.LastFailedAt, f.FailureCount, f.Status);

    private async Task<SubmissionMatch> MatchAsync(Submission s, CancellationToken ct)
    {
        var aktenzeichen = await db.Deliveries.AsNoTracking().Where(d => d.SubmissionId == s.Id && d.Aktenzeichen != null)
            .Select(d => d.Aktenzeichen!).Distinct().ToListAsync(ct);
        return new SubmissionMatch(s.Id, s.CaseId, s.Ars, s.ServiceName, s.Status.ToString(), s.CitizenStatus, aktenzeichen, s.CreatedAt);
    }

    private static DateTimeOffset Hour(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    private static IQueryable<Submission> Scoped(Operator who, IQueryable<Submission> query) =>
        who.Municipalities is { } ars ? query.Where(s => ars.Contains(s.Ars)) : query;

    private static IQueryable<TargetDelivery> Scoped(Operator who, IQueryable<TargetDelivery> query) =>
        who.Municipalities is { } ars ? query.Where(d => ars.Contains(d.Ars)) : query;

    private static IQueryable<FailedMessage> Scoped(Operator who, IQueryable<FailedMessage> query) =>
        who.Municipalities is { } ars ? query.Where(f => f.Ars != null && ars.Contains(f.Ars)) : query;
}
