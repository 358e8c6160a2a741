using System.Text.Json.Nodes;
using IntegrationHub.Delivery;
using IntegrationHub.Intake;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.CaseStatus;

/// <summary>
/// Turns a case's milestones into the calls that follow them, all in the caller's unit of work: on acceptance the
/// handover to every procedure of the route and the Eingangsbestätigung (SUBMITTED) to the postbox; when a procedure
/// has its Aktenzeichen, RECEIVED and the filing in the DMS; on a procedure's report, its status, the Nachforderung or
/// the Bescheid to the postbox and the DMS. Every milestone goes into the timeline (history), the submission's citizen
/// status and the sender's event log. Returns the new deliveries; the caller requests them after saving.
/// </summary>
public sealed class CaseProgress(TenantDirectory tenants, CaseEventLog events, IOptions<HubOptions> options)
{
    /// <summary>The handovers of an accepted submission and its SUBMITTED milestone (once).</summary>
    public async Task<IReadOnlyList<TargetDelivery>> AcceptedAsync(HubDbContext db, Submission submission, CancellationToken ct)
    {
        var plan = await DeliveryPlan.LoadAsync(db, submission, options.Value.Outbox.StaleAfter, ct);
        foreach (var target in tenants.TargetsFor(submission.Ars, submission.LeikaKey))
            plan.Add(target, DeliverySteps.Handover, payload: null);
        if (submission.CitizenStatus is null)
            Milestone(db, plan, submission, CitizenStatus.Submitted, new DeliveryPayload
            {
                Status = CitizenStatus.Submitted,
                OccurredAt = submission.DecidedAt ?? DateTimeOffset.UtcNow,
                DocumentKind = DocumentKinds.Eingangsbestaetigung,
            });
        return plan.Added;
    }

    /// <summary>A procedure took the case and assigned its Aktenzeichen: RECEIVED, and the application is filed in the DMS.</summary>
    public async Task<IReadOnlyList<TargetDelivery>> HandedOverAsync(HubDbContext db, Submission submission, string procedure, string aktenzeichen,
        CancellationToken ct)
    {
        var plan = await DeliveryPlan.LoadAsync(db, submission, options.Value.Outbox.StaleAfter, ct);
        if (await db.History.AnyAsync(h => h.SubmissionId == submission.Id && h.Step == CitizenStatus.HistoryStep(CitizenStatus.Received), ct))
            return [];
        var tenant = tenants.FindTenant(submission.Ars);
        var now = DateTimeOffset.UtcNow;
        if (tenant?.Dms is { Length: > 0 } dms)
            plan.Add(dms, DeliverySteps.FilingPrefix + "antrag", new DeliveryPayload
            {
                DocumentKind = DocumentKinds.Antrag,
                Aktenzeichen = aktenzeichen,
                Procedure = procedure,
                OccurredAt = submission.SubmittedAt ?? submission.CreatedAt,
            });
        Milestone(db, plan, submission, CitizenStatus.Received, new DeliveryPayload
        {
            Status = CitizenStatus.Received,
            OccurredAt = now,
            Aktenzeichen = aktenzeichen,
            Procedure = procedure,
        });
        return plan.Added;
    }

    /// <summary>An applied procedure report: its milestone, and its document to the postbox and the DMS.</summary>
    public async Task<IReadOnlyList<TargetDelivery>> ReportedAsync(HubDbContext db, Submission submission, StatusReport report, string aktenzeichen,
        CancellationToken ct)
    {
        var plan = await DeliveryPlan.LoadAsync(db, submission, options.Value.Outbox.StaleAfter, ct);
        var kind = report.Status switch
        {
            CitizenStatus.ActionRequired => DocumentKinds.Nachforderung,
            CitizenStatus.Completed => DocumentKinds.Bescheid,
            _ => null,
        };
        var payload = new DeliveryPayload
        {
            Status = report.Status,
            OccurredAt = report.OccurredAt,
            Aktenzeichen = aktenzeichen,
            Procedure = report.Source,
            DocumentKind = kind,
            DocumentBlob = report.DocumentBlob,
            DocumentName = report.DocumentName,
            DocumentMimeType = report.DocumentMimeType,
            Deadline = report.Deadline,
        };
        if (report.DocumentBlob is not null && tenants.FindTenant(submission.Ars)?.Dms is { Length: > 0 } dms)
            plan.Add(dms, $"{DeliverySteps.FilingPrefix}{kind?.ToLowerInvariant() ?? "dokument"}-{report.Source}-{report.Sequence}", payload);
        Milestone(db, plan, submission, report.Status, payload, stepSuffix: $"{report.Source}-{report.Sequence}");
        return plan.Added;
    }

    private void Milestone(HubDbContext db, DeliveryPlan plan, Submission submission, string status, DeliveryPayload payload, string? stepSuffix = null)
    {
        var now = DateTimeOffset.UtcNow;
        submission.CitizenStatus = status;
        submission.UpdatedAt = now;
        db.AddHistory(submission.Id, CitizenStatus.HistoryStep(status), payload.Procedure, payload.Aktenzeichen);

        // The sender's event log shows each kind of milestone once (its unique index); the timeline has them all.
        var eventUri = CitizenStatus.EventUri(status);
        if (!db.CaseEvents.Local.Any(e => e.SubmissionId == submission.Id && e.EventUri == eventUri)
            && !db.CaseEvents.Any(e => e.SubmissionId == submission.Id && e.EventUri == eventUri))
        {
            var eventPayload = new JsonObject { ["status"] = status };
            if (payload.Aktenzeichen is not null) eventPayload["aktenzeichen"] = payload.Aktenzeichen;
            events.Append(db, submission, eventUri, eventPayload);
        }

        if (tenants.FindTenant(submission.Ars)?.Postbox is { Length: > 0 } postbox)
            plan.Add(postbox, $"{DeliverySteps.PostboxPrefix}{status}" + (stepSuffix is null ? "" : "-" + stepSuffix), payload);
    }
}
