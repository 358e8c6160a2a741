using System.Text.Json;
using IntegrationHub.Ledger;
using IntegrationHub.Operations.Access;
using IntegrationHub.Problems;
using IntegrationHub.Security.AtRest;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Operations.FailedMessages;

/// <summary>
/// The operator side of the failed-message store: every rule is here (municipality scope, masking, roles, audit), so the
/// API, the console and hubctl behave alike. Retries are batches worked off by <see cref="RetryWorker"/>.
/// </summary>
public sealed class FailedMessageStore(HubDbContext db, IOperatorAudit audit, RetryQueue queue, TenantDirectory tenants, FailedMessageColumns columns)
    : IFailedMessages
{
    public const int MaxLimit = 500;

    public async Task<Page<FailedMessageSummary>> ListAsync(Operator who, FailedMessageFilter filter, int offset, int limit, CancellationToken ct)
    {
        var query = Visible(who).Filter(filter);
        limit = Math.Clamp(limit, 1, MaxLimit);
        offset = Math.Max(0, offset);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(f => f.LastFailedAt).ThenBy(f => f.Id).Skip(offset).Take(limit)
            .Select(f => new SummaryRow(f.Id, f.MessageType, f.Endpoint, f.Ars, f.Target, f.SubmissionId, f.ExceptionType, f.ExceptionMessage,
                f.Fingerprint, f.FirstFailedAt, f.LastFailedAt, f.FailureCount, f.Status)).ToListAsync(ct);
        var views = new List<FailedMessageSummary>(rows.Count);
        foreach (var r in rows)
            views.Add((r with { ExceptionMessage = await columns.ReadAsync(r.Id, r.Ars, FailedMessageColumns.ExceptionMessage, r.ExceptionMessage, ct) }).View(who));
        return new Page<FailedMessageSummary>(views, total, offset, limit);
    }

    public async Task<IReadOnlyList<FailureGroup>> GroupsAsync(Operator who, FailureGrouping by, FailedMessageFilter filter, CancellationToken ct)
    {
        var query = Visible(who).Filter(filter);
        var keyed = by switch
        {
            FailureGrouping.Fingerprint => query.Select(f => new { Key = f.Fingerprint, f.Status, f.FirstFailedAt, f.LastFailedAt }),
            FailureGrouping.MessageType => query.Select(f => new { Key = f.MessageType, f.Status, f.FirstFailedAt, f.LastFailedAt }),
            FailureGrouping.Endpoint => query.Select(f => new { Key = f.Endpoint, f.Status, f.FirstFailedAt, f.LastFailedAt }),
            FailureGrouping.Municipality => query.Select(f => new { Key = f.Ars ?? "", f.Status, f.FirstFailedAt, f.LastFailedAt }),
            FailureGrouping.Target => query.Select(f => new { Key = f.Target ?? "", f.Status, f.FirstFailedAt, f.LastFailedAt }),
            _ => throw new ArgumentOutOfRangeException(nameof(by)),
        };
        var groups = await keyed.GroupBy(f => f.Key).Select(g => new
        {
            g.Key,
            Count = g.Count(),
            Unresolved = g.Count(f => f.Status == FailedMessageStatus.Unresolved),
            RetryIssued = g.Count(f => f.Status == FailedMessageStatus.RetryIssued),
            First = g.Min(f => f.FirstFailedAt),
            Last = g.Max(f => f.LastFailedAt),
        }).ToListAsync(ct);

        var result = new List<FailureGroup>(groups.Count);
        foreach (var g in groups.OrderByDescending(g => g.Last))
        {
            string title = g.Key.Length == 0 ? "(none)" : g.Key;
            string? exceptionType = null;
            if (by == FailureGrouping.Fingerprint)
            {
                // The group's title from its latest member: the fingerprint is the same for all of them.
                var sample = await query.Where(f => f.Fingerprint == g.Key).OrderByDescending(f => f.LastFailedAt)
                    .Select(f => new { f.Id, f.Ars, f.ExceptionType, f.StackTrace }).FirstAsync(ct);
                title = FailureFingerprint.Title(sample.ExceptionType,
                    await columns.ReadAsync(sample.Id, sample.Ars, FailedMessageColumns.StackTrace, sample.StackTrace, ct));
                exceptionType = sample.ExceptionType;
            }
            result.Add(new FailureGroup(g.Key, title, exceptionType, g.Count, g.Unresolved, g.RetryIssued, g.First, g.Last));
        }
        return result;
    }

    public async Task<FailedMessageDetail?> GetAsync(Operator who, Guid id, CancellationToken ct)
    {
        var f = await Visible(who).FirstOrDefaultAsync(m => m.Id == id, ct);
        if (f is null) return null;
        await columns.ReadAsync(f, ct);
        var history = await db.FailedMessageEvents.AsNoTracking().Where(e => e.FailedMessageId == id).OrderBy(e => e.Id)
            .Select(e => new FailedMessageEventView(e.At, e.Action, e.Actor, e.Detail)).ToListAsync(ct);
        var edits = await db.MessageEdits.AsNoTracking().Where(e => e.FailedMessageId == id).OrderBy(e => e.ProposedAt).ToListAsync(ct);
        foreach (var e in edits) e.EditedHeaders = await columns.ReadEditedHeadersAsync(e.Id, f.Ars, e.EditedHeaders, ct);
        var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(f.Headers) ?? [];
        var masked = !who.SeesSocialData;
        if (!masked) await audit.WriteAsync(who, "view-social-data", $"failed-message {id}", 1, null, ct);
        var summary = new SummaryRow(f.Id, f.MessageType, f.Endpoint, f.Ars, f.Target, f.SubmissionId, f.ExceptionType, f.ExceptionMessage,
            f.Fingerprint, f.FirstFailedAt, f.LastFailedAt, f.FailureCount, f.Status).View(who);
        return new FailedMessageDetail(summary, f.Consumer, f.StackTrace,
            masked ? SocialDataMask.Hidden : f.Body,
            masked ? headers.ToDictionary(h => h.Key, _ => SocialDataMask.Hidden) : headers,
            masked, history,
            edits.Select(e => new MessageEditView(e.Id, e.FailedMessageId, e.SubmissionId, e.ProposedBy, e.ProposedAt, e.Reason, e.Status,
                e.DecidedBy, e.DecidedAt, e.DecisionNote, null, null,
                e.EditedHeaders is null ? null
                    : masked ? (JsonSerializer.Deserialize<Dictionary<string, string>>(e.EditedHeaders) ?? []).ToDictionary(h => h.Key, _ => SocialDataMask.Hidden)
                    : JsonSerializer.Deserialize<Dictionary<string, string>>(e.EditedHeaders), e.ProposedById)).ToList());
    }

    public async Task<RetryBatchView> RetryAsync(Operator who, FailedMessageSelection selection, string? redirectTo, CancellationToken ct)
    {
        MustAct(who, redirectTo is null ? "retry" : "redirect");
        // An unreadable message (a poison body) cannot be sent again: operations archive it once they have looked at it.
        var candidates = Selected(who, selection).Where(f => f.Status == FailedMessageStatus.Unresolved && f.MessageType != UnreadableMessages.MessageType);
        if (redirectTo is not null) await CheckRedirectAsync(who, candidates, redirectTo, ct);

        var now = DateTimeOffset.UtcNow;
        var batch = new RetryBatch
        {
            Id = Guid.NewGuid(),
            CreatedAt = now,
            UpdatedAt = now,
            RequestedBy = who.Name,
            RequestedById = who.Id,
            Selection = Describe(selection),
            RedirectTo = redirectTo,
            Status = RetryBatchStatus.Running,
        };
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            db.RetryBatches.Add(batch);
            await db.SaveChangesAsync(ct);
            // The batch's members are stamped now (a message another running batch holds stays with it); the worker
            // takes them page by page, so the selection survives a restart and costs no memory.
            var running = db.RetryBatches.Where(b => b.Status == RetryBatchStatus.Running && b.Id != batch.Id).Select(b => (Guid?)b.Id);
            batch.Total = await candidates.Where(f => f.RetryBatchId == null || !running.Contains(f.RetryBatchId))
                .ExecuteUpdateAsync(u => u.SetProperty(f => f.RetryBatchId, batch.Id), ct);
            if (batch.Total == 0)
            {
                batch.Status = RetryBatchStatus.Completed;
                batch.CompletedAt = now;
            }
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }
        await audit.WriteAsync(who, redirectTo is null ? "retry" : "redirect", batch.Selection, batch.Total,
            redirectTo is null ? $"batch {batch.Id}" : $"batch {batch.Id} to {redirectTo}", ct);
        if (batch.Status == RetryBatchStatus.Running) queue.Enqueue(batch.Id);
        return View(batch);
    }

    public async Task<RetryBatchView?> GetBatchAsync(Operator who, Guid batchId, CancellationToken ct)
    {
        var batch = await db.RetryBatches.AsNoTracking().FirstOrDefaultAsync(b => b.Id == batchId, ct);
        return batch is null || !MaySee(who, batch) ? null : View(batch);
    }

    public async Task<IReadOnlyList<RetryBatchView>> BatchesAsync(Operator who, bool runningOnly, CancellationToken ct)
    {
        var query = db.RetryBatches.AsNoTracking();
        if (runningOnly) query = query.Where(b => b.Status == RetryBatchStatus.Running);
        // A scoped operator's batches touch only their municipalities; other people's batches may not.
        if (who.Municipalities is not null)
        {
            var (id, name) = (who.Id, who.Name);
            query = query.Where(b => b.RequestedById == id || (b.RequestedById == null && b.RequestedBy == name));
        }
        var batches = await query.OrderByDescending(b => b.CreatedAt).Take(100).ToListAsync(ct);
        return batches.Select(View).ToList();
    }

    public Task<int> ArchiveAsync(Operator who, FailedMessageSelection selection, CancellationToken ct) =>
        MoveAsync(who, selection, FailedMessageStatus.Unresolved, FailedMessageStatus.Archived, FailedMessageActions.Archived, "archive", ct);

    public Task<int> RestoreAsync(Operator who, FailedMessageSelection selection, CancellationToken ct) =>
        MoveAsync(who, selection, FailedMessageStatus.Archived, FailedMessageStatus.Unresolved, FailedMessageActions.Restored, "restore", ct);

    private async Task<int> MoveAsync(Operator who, FailedMessageSelection selection, FailedMessageStatus from, FailedMessageStatus to, string action,
        string auditAction, CancellationToken ct)
    {
        MustAct(who, auditAction);
        var moved = 0;
        var subject = Describe(selection);
        // In pages: a whole group may be large; each page is one transaction (rows and their history together).
        while (true)
        {
            db.ChangeTracker.Clear();
            var ids = await Selected(who, selection).Where(f => f.Status == from).OrderBy(f => f.Id).Select(f => f.Id).Take(MaxLimit).ToListAsync(ct);
            if (ids.Count == 0) break;
            var now = DateTimeOffset.UtcNow;
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var changed = await db.FailedMessages.Where(f => ids.Contains(f.Id) && f.Status == from)
                .ExecuteUpdateAsync(u => u.SetProperty(f => f.Status, to).SetProperty(f => f.UpdatedAt, now), ct);
            db.FailedMessageEvents.AddRange(ids.Select(id => new FailedMessageEvent { FailedMessageId = id, At = now, Action = action, Actor = who.Name }));
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            moved += changed;
        }
        db.ChangeTracker.Clear();
        await audit.WriteAsync(who, auditAction, subject, moved, null, ct);
        return moved;
    }

    /// <summary>
    /// A redirect is for failed deliveries only, to another configured target of the same kind as each one's own, and either
    /// shared (Hub:Targets) or of the delivery's own municipality: another municipality's target is never anyone's to use.
    /// </summary>
    private async Task CheckRedirectAsync(Operator who, IQueryable<FailedMessage> candidates, string redirectTo, CancellationToken ct)
    {
        if (tenants.FindTarget(redirectTo)?.Options is not { } destination)
            throw new OperationRefusedException(ProblemTypes.RedirectTargetInvalid, $"'{redirectTo}' is not a configured target (Hub:Targets or a municipality file).");
        var kinds = await candidates.Select(f => new { f.MessageType, f.Target, f.Ars }).Distinct().ToListAsync(ct);
        if (kinds.FirstOrDefault(k => k.MessageType != FailedMessageResolution.DeliveryRequested) is { } other)
            throw new OperationRefusedException(ProblemTypes.RedirectTargetInvalid,
                $"Only failed deliveries can be redirected; the selection holds {other.MessageType} messages.");
        var owner = tenants.TargetMunicipality(redirectTo);
        if (owner is not null && !who.Covers(owner))
            throw new OperationRefusedException(ProblemTypes.RedirectTargetForeign, $"'{redirectTo}' belongs to a municipality this operator does not cover.");
        foreach (var k in kinds)
        {
            if (owner is not null && k.Ars != owner)
                throw new OperationRefusedException(ProblemTypes.RedirectTargetForeign,
                    $"'{redirectTo}' belongs to municipality {owner}; the selection holds deliveries of {k.Ars ?? "no municipality"}.");
            if (string.Equals(k.Target, redirectTo, StringComparison.OrdinalIgnoreCase))
                throw new OperationRefusedException(ProblemTypes.RedirectTargetInvalid, $"The selection's deliveries already go to '{redirectTo}'.");
            var kind = k.Target is not null ? tenants.FindTarget(k.Target)?.Options.Kind : null;
            if (!string.Equals(kind, destination.Kind, StringComparison.OrdinalIgnoreCase))
                throw new OperationRefusedException(ProblemTypes.RedirectTargetInvalid,
                    $"'{redirectTo}' is a {destination.Kind} target; deliveries to '{k.Target}' ({kind ?? "unknown kind"}) need one of kind {kind ?? "unknown"}.");
        }
    }

    private static void MustAct(Operator who, string action)
    {
        if (!who.MayAct)
            throw new OperationRefusedException(ProblemTypes.OperatorForbidden, $"A {who.Role.ToString().ToLowerInvariant()} may not {action} failed messages.");
    }

    private IQueryable<FailedMessage> Visible(Operator who)
    {
        var query = db.FailedMessages.AsNoTracking();
        if (who.Municipalities is { } scope)
        {
            var ars = scope.ToList();
            query = query.Where(f => f.Ars != null && ars.Contains(f.Ars));
        }
        return query;
    }

    private IQueryable<FailedMessage> Selected(Operator who, FailedMessageSelection selection)
    {
        var query = Visible(who);
        if (selection.Ids is { } ids)
        {
            var list = ids.ToList();
            query = query.Where(f => list.Contains(f.Id));
        }
        if (selection.Filter is { } filter) query = query.Filter(filter);
        if (selection.Ids is null && selection.Filter is null)
            throw new OperationRefusedException(ProblemTypes.InvalidRequest, "Select messages by id or by a filter (a group is a filter).");
        return query;
    }

    // Their own by identity: another person of the same display name (of another municipality, say) is someone else.
    private static bool MaySee(Operator who, RetryBatch batch) =>
        who.Municipalities is null || (batch.RequestedById is { } id ? id == who.Id : batch.RequestedBy == who.Name);

    public static string Describe(FailedMessageSelection selection)
    {
        var parts = new List<string>();
        if (selection.Ids is { } ids) parts.Add(ids.Count == 1 ? $"message {ids[0]}" : $"{ids.Count} messages: {string.Join(", ", ids)}");
        if (selection.Filter is { } f) parts.Add(Describe(f));
        return string.Join("; ", parts);
    }

    public static string Describe(FailedMessageFilter f)
    {
        var parts = new List<string>();
        if (f.Group is not null) parts.Add($"group {f.Group}");
        if (f.Ars is not null) parts.Add($"ars={f.Ars}");
        if (f.Target is not null) parts.Add($"target={f.Target}");
        if (f.ExceptionType is not null) parts.Add($"exception={f.ExceptionType}");
        if (f.MessageType is not null) parts.Add($"type={f.MessageType}");
        if (f.Endpoint is not null) parts.Add($"endpoint={f.Endpoint}");
        if (f.SubmissionId is not null) parts.Add($"submission={f.SubmissionId}");
        if (f.From is not null) parts.Add($"from {f.From:O}");
        if (f.To is not null) parts.Add($"to {f.To:O}");
        if (f.Statuses is { Count: > 0 } s) parts.Add($"status={string.Join(",", s)}");
        return parts.Count == 0 ? "all failed messages" : string.Join(" ", parts);
    }

    private static RetryBatchView View(RetryBatch b) =>
        new(b.Id, b.RequestedBy, b.Selection, b.RedirectTo, b.Total, b.Issued, b.Skipped, b.Status, b.Error, b.CreatedAt, b.CompletedAt);

    private sealed record SummaryRow(Guid Id, string MessageType, string Endpoint, string? Ars, string? Target, Guid? SubmissionId, string ExceptionType,
        string? ExceptionMessage, string Fingerprint, DateTimeOffset FirstFailedAt, DateTimeOffset LastFailedAt, int FailureCount, FailedMessageStatus Status)
    {
        public FailedMessageSummary View(Operator who) => new(Id, MessageType, Endpoint, Ars, Target, SubmissionId, ExceptionType,
            who.SeesExceptionMessages ? ExceptionMessage : SocialDataMask.MaskText(ExceptionMessage), Fingerprint, FirstFailedAt, LastFailedAt,
            FailureCount, Status);
    }
}

public static class FailedMessageQueries
{
    public static IQueryable<FailedMessage> Filter(this IQueryable<FailedMessage> query, FailedMessageFilter filter)
    {
        if (filter.Ars is { } ars) query = query.Where(f => f.Ars == ars);
        if (filter.Target is { } target) query = query.Where(f => f.Target == target);
        if (filter.Group is { } group) query = query.Where(f => f.Fingerprint == group);
        if (filter.ExceptionType is { } type) query = query.Where(f => f.ExceptionType == type || f.ExceptionType.EndsWith("." + type));
        if (filter.MessageType is { } messageType) query = query.Where(f => f.MessageType == messageType);
        if (filter.Endpoint is { } endpoint) query = query.Where(f => f.Endpoint == endpoint);
        if (filter.From is { } from) query = query.Where(f => f.LastFailedAt >= from);
        if (filter.To is { } to) query = query.Where(f => f.LastFailedAt < to);
        if (filter.SubmissionId is { } submission) query = query.Where(f => f.SubmissionId == submission);
        if (filter.Statuses is { Count: > 0 } statuses)
        {
            var list = statuses.ToList();
            query = query.Where(f => list.Contains(f.Status));
        }
        return query;
    }
}
