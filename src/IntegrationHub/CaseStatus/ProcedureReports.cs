using IntegrationHub.Contracts.Messages;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Security.AtRest;
using IntegrationHub.Storage;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.CaseStatus;

/// <summary>A procedure's report about a case it holds: a status change, possibly with a document (Nachforderung, Bescheid).</summary>
/// <param name="Sequence">The procedure's running number of reports about this case: 1, 2, 3, …</param>
public sealed record ProcedureReport(
    Guid SubmissionId,
    string Aktenzeichen,
    int Sequence,
    string Status,
    DateTimeOffset OccurredAt,
    DateTimeOffset? Deadline = null,
    ReportedDocument? Document = null);

/// <summary>A document that comes with a report; <see cref="Content"/> is read once and stored.</summary>
public sealed record ReportedDocument(string FileName, string MimeType, Stream Content);

public enum ReportOutcome
{
    /// <summary>Recorded and acted on.</summary>
    Applied,
    /// <summary>Recorded, but a later report had already been applied: kept for the protocol, not acted on.</summary>
    Outdated,
    /// <summary>This report was recorded before (same procedure and sequence): nothing changed.</summary>
    Duplicate,
    /// <summary>The hub has not given this procedure this case (unknown submission, or another Aktenzeichen).</summary>
    UnknownCase,
}

/// <summary>
/// What procedures tell the hub about their cases, by callback or mailbox: acknowledgements (the Aktenzeichen of a case
/// placed in a mailbox) and status reports. Both are idempotent: a duplicate changes nothing, an older report arriving
/// after a newer one is kept but not acted on, so the citizen's status never goes back.
/// </summary>
public sealed class ProcedureReports(HubDbContext db, CaseProgress progress, IBlobStore blobs, AtRestProtector atRest, IPublishEndpoint bus,
    ILogger<ProcedureReports> logger)
{
    /// <summary>The procedure took the case placed for it and assigned <paramref name="aktenzeichen"/>.</summary>
    public Task<ReportOutcome> AcknowledgeAsync(string procedure, Guid submissionId, string aktenzeichen, CancellationToken ct) =>
        OnFreshStateAsync(() => AcknowledgeOnceAsync(procedure, submissionId, aktenzeichen, ct));

    /// <summary>Records a status report and, unless it is a duplicate or outdated, acts on it.</summary>
    public Task<ReportOutcome> ReportAsync(string procedure, ProcedureReport report, CancellationToken ct)
    {
        if (!CitizenStatus.Reportable.Contains(report.Status)) throw new ArgumentException($"'{report.Status}' is not a status a procedure reports.", nameof(report));
        return OnFreshStateAsync(() => ReportOnceAsync(procedure, report, ct));
    }

    /// <summary>
    /// Runs one recording on a fresh read of the ledger. The delivery consumer, an acknowledgement and reports about the
    /// same case may write at once (the handover row, the steps that follow it): the one that writes second gets a
    /// conflict and looks again, and then finds the work done or does what is left. Never answers "duplicate" for a
    /// conflict it did not check.
    /// </summary>
    private async Task<ReportOutcome> OnFreshStateAsync(Func<Task<ReportOutcome>> once)
    {
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            try
            {
                return await once();
            }
            catch (DbUpdateException) when (attempt < 4)
            {
            }
        }
    }

    private async Task<ReportOutcome> AcknowledgeOnceAsync(string procedure, Guid submissionId, string aktenzeichen, CancellationToken ct)
    {
        var handover = await HandoverAsync(procedure, submissionId, ct);
        if (handover is null) return ReportOutcome.UnknownCase;
        if (handover.Status == DeliveryStatus.Delivered)
            return handover.Aktenzeichen == aktenzeichen ? ReportOutcome.Duplicate : ReportOutcome.UnknownCase;
        if (handover.Status == DeliveryStatus.Failed) return ReportOutcome.UnknownCase;

        var submission = await db.Submissions.FirstAsync(s => s.Id == submissionId, ct);
        var added = await CompleteHandoverAsync(db, progress, submission, handover, aktenzeichen, ct);
        await db.SaveChangesAsync(ct);
        await RequestAsync(bus, added, ct);
        await bus.Publish(new DeliveryCompleted(handover.Id, submission.Id, submission.Ars, handover.Target, aktenzeichen), ct);
        return ReportOutcome.Applied;
    }

    private async Task<ReportOutcome> ReportOnceAsync(string procedure, ProcedureReport report, CancellationToken ct)
    {
        var handover = await HandoverAsync(procedure, report.SubmissionId, ct);
        if (handover is null || handover.Status == DeliveryStatus.Failed
            || handover.Aktenzeichen is not null && handover.Aktenzeichen != report.Aktenzeichen)
            return ReportOutcome.UnknownCase;
        if (await db.StatusReports.AnyAsync(r => r.SubmissionId == report.SubmissionId && r.Source == procedure && r.Sequence == report.Sequence, ct))
            return ReportOutcome.Duplicate;

        var submission = await db.Submissions.FirstAsync(s => s.Id == report.SubmissionId, ct);
        var added = new List<TargetDelivery>();
        // A report before the acknowledgement (a callback overtaking the answer): it proves the case exists.
        var handedOverNow = handover.Status != DeliveryStatus.Delivered;
        if (handedOverNow)
            added.AddRange(await CompleteHandoverAsync(db, progress, submission, handover, report.Aktenzeichen, ct));

        var lastApplied = await db.StatusReports
            .Where(r => r.SubmissionId == report.SubmissionId && r.Source == procedure && r.Applied)
            .MaxAsync(r => (int?)r.Sequence, ct) ?? 0;
        var entry = new StatusReport
        {
            SubmissionId = report.SubmissionId,
            Source = procedure,
            Sequence = report.Sequence,
            Status = report.Status,
            OccurredAt = report.OccurredAt,
            ReceivedAt = DateTimeOffset.UtcNow,
            Applied = report.Sequence > lastApplied,
            Deadline = report.Deadline,
        };
        if (report.Document is { } document && entry.Applied)
        {
            entry.DocumentBlob = SubmissionBlobs.Document(report.SubmissionId, procedure, report.Sequence);
            // A procedure names its documents as it likes ("Bescheid Mustermann.pdf"): the name is personal data, too.
            entry.DocumentName = await atRest.ProtectTextAsync(submission.Ars, document.FileName, DocumentNameContext(entry.DocumentBlob), ct);
            entry.DocumentMimeType = document.MimeType;
            // Before the row: a row never points at nothing. A second try writes the same bytes again. Encrypted at rest
            // with the municipality's data key, streamed (a Bescheid may be large); DeliveryCall.OpenDocumentAsync decrypts.
            if (document.Content.CanSeek) document.Content.Position = 0;
            await atRest.PutBlobAsync(blobs, submission.Ars, entry.DocumentBlob, document.Content, ct);
        }
        db.StatusReports.Add(entry);
        if (entry.Applied) added.AddRange(await progress.ReportedAsync(db, submission, entry, report.Aktenzeichen, ct));
        else db.AddHistory(submission.Id, HistorySteps.ReportOutdated, procedure, $"{report.Status} #{report.Sequence}");
        await db.SaveChangesAsync(ct);

        await RequestAsync(bus, added, ct);
        if (handedOverNow)
            await bus.Publish(new DeliveryCompleted(handover.Id, submission.Id, submission.Ars, handover.Target, report.Aktenzeichen), ct);
        var outcome = entry.Applied ? ReportOutcome.Applied : ReportOutcome.Outdated;
        logger.LogInformation("Procedure {Procedure} reported {Status} (#{Sequence}): {Outcome}", procedure, report.Status, report.Sequence, outcome);
        return outcome;
    }

    /// <summary>Marks the handover delivered with the procedure's Aktenzeichen and adds what follows (RECEIVED, DMS).</summary>
    internal static async Task<IReadOnlyList<TargetDelivery>> CompleteHandoverAsync(HubDbContext db, CaseProgress progress, Submission submission,
        TargetDelivery handover, string aktenzeichen, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        handover.Status = DeliveryStatus.Delivered;
        handover.Aktenzeichen = aktenzeichen;
        handover.DeliveredAt = now;
        handover.UpdatedAt = now;
        handover.NextAttemptAt = null;
        handover.LastError = null;
        db.AddHistory(submission.Id, HistorySteps.Delivered, handover.Target, aktenzeichen);
        return await progress.HandedOverAsync(db, submission, handover.Target, aktenzeichen, ct);
    }

    /// <summary>Requests each delivery (after the commit that created it); a lost request is repeated by the ledger sweep.</summary>
    internal static async Task RequestAsync(IPublishEndpoint bus, IEnumerable<TargetDelivery> deliveries, CancellationToken ct)
    {
        foreach (var d in deliveries.Where(d => d.Status == DeliveryStatus.Pending))
            await bus.Publish(new DeliveryRequested(d.Id, d.SubmissionId, d.Ars, d.Target), ct);
    }

    private Task<TargetDelivery?> HandoverAsync(string procedure, Guid submissionId, CancellationToken ct) =>
        db.Deliveries.FirstOrDefaultAsync(d => d.SubmissionId == submissionId && d.Target == procedure && d.Step == DeliverySteps.Handover, ct);

    /// <summary>The associated data of a document's encrypted name: bound to its blob (the report row and the calls carrying it share it).</summary>
    public static string DocumentNameContext(string documentBlob) => "document-name:" + documentBlob;
}
