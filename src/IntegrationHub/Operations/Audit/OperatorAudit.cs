using IntegrationHub.Ledger;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Operations.Audit;

/// <summary>
/// The audit log of operator actions, in the ledger. Written in its own unit of work so an entry is kept even when the
/// caller's own change fails afterwards; subjects name ids, groups and filters, never personal data.
/// </summary>
public sealed class OperatorAudit(HubDbContext db) : IOperatorAudit
{
    public const int SubjectLimit = 2000;

    public async Task WriteAsync(Operator who, string action, string subject, int count = 1, string? detail = null, CancellationToken ct = default)
    {
        db.OperatorAudit.Add(new OperatorAuditEntry
        {
            At = DateTimeOffset.UtcNow,
            Actor = who.Name,
            ActorId = who.Id,
            Role = who.Role.ToString().ToLowerInvariant(),
            Action = action,
            Subject = subject.Length > SubjectLimit ? subject[..SubjectLimit] + "…" : subject,
            Count = count,
            Detail = detail,
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Newest first. Readers and operators see their own entries; admins see everyone's, except an admin limited to
    /// municipalities: entries name other municipalities' ids, so they see their own (like their retry batches).
    /// </summary>
    public async Task<Page<OperatorAuditView>> ListAsync(Operator who, string? actor, string? action, DateTimeOffset? from, DateTimeOffset? to,
        int offset, int limit, CancellationToken ct)
    {
        var query = db.OperatorAudit.AsNoTracking().AsQueryable();
        if (!who.SeesSocialData || who.Municipalities is not null)
        {
            // Their own by identity, not by a display name another person may share.
            var (id, name) = (who.Id, who.Name);
            query = query.Where(e => e.ActorId == id || (e.ActorId == null && e.Actor == name));
        }
        if (actor is not null) query = query.Where(e => e.Actor == actor);
        if (action is not null) query = query.Where(e => e.Action == action);
        if (from is { } f) query = query.Where(e => e.At >= f);
        if (to is { } t) query = query.Where(e => e.At < t);
        limit = Math.Clamp(limit, 1, 500);
        var total = await query.CountAsync(ct);
        var items = await query.OrderByDescending(e => e.Id).Skip(Math.Max(0, offset)).Take(limit)
            .Select(e => new OperatorAuditView(e.Id, e.At, e.Actor, e.Role, e.Action, e.Subject, e.Count, e.Detail)).ToListAsync(ct);
        return new Page<OperatorAuditView>(items, total, offset, limit);
    }
}
