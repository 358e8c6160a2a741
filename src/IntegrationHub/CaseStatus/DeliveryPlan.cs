using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.CaseStatus;

/// <summary>
/// The deliveries of one submission, to which new steps are added in order: each new step to a target gets the next
/// sequence number, so calls to one target run in the order their milestones happened. A step that exists is not added
/// twice.
/// </summary>
internal sealed class DeliveryPlan
{
    private readonly HubDbContext _db;
    private readonly Submission _submission;
    private readonly List<TargetDelivery> _all;
    private readonly TimeSpan _lease;

    private DeliveryPlan(HubDbContext db, Submission submission, List<TargetDelivery> all, TimeSpan lease)
    {
        _db = db;
        _submission = submission;
        _all = all;
        _lease = lease;
    }

    public List<TargetDelivery> Added { get; } = [];

    public static async Task<DeliveryPlan> LoadAsync(HubDbContext db, Submission submission, TimeSpan lease, CancellationToken ct)
    {
        var stored = await db.Deliveries.Where(d => d.SubmissionId == submission.Id).ToListAsync(ct);
        // Include steps added earlier in the same unit of work.
        var pending = db.Deliveries.Local.Where(d => d.SubmissionId == submission.Id && stored.All(s => s.Id != d.Id));
        return new DeliveryPlan(db, submission, [.. stored, .. pending], lease);
    }

    public void Add(string target, string step, DeliveryPayload? payload)
    {
        if (_all.Any(d => d.Target == target && d.Step == step)) return;
        var now = DateTimeOffset.UtcNow;
        var delivery = new TargetDelivery
        {
            Id = Guid.NewGuid(),
            SubmissionId = _submission.Id,
            Ars = _submission.Ars,
            Target = target,
            Step = step,
            Sequence = _all.Where(d => d.Target == target).Select(d => d.Sequence + 1).DefaultIfEmpty(0).Max(),
            Payload = payload?.ToJson(),
            Status = DeliveryStatus.Pending,
            IdempotencyKey = TargetDelivery.IdempotencyKeyFor(_submission.Id, target, step),
            CreatedAt = now,
            UpdatedAt = now,
            // A lease: should the request that follows the commit be lost, the ledger sweep requests it again after this.
            NextAttemptAt = now + _lease,
        };
        _db.Deliveries.Add(delivery);
        _all.Add(delivery);
        Added.Add(delivery);
    }
}
