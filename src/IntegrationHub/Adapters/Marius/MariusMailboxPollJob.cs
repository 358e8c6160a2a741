using System.Globalization;
using System.Xml;
using IntegrationHub.CaseStatus;
using IntegrationHub.Contracts;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Signing;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace IntegrationHub.Adapters.Marius;

/// <summary>
/// Reads the hub's own mailbox at the mailbox service of every Marius-like target: acknowledgements (fall.quittung.0002)
/// complete the handover with the procedure's case number, status reports go to <see cref="ProcedureReports"/>. Each
/// message must be signed with the pinned procedure certificate. A message is closed only after it is recorded, so a
/// crash in between means it is read again; recording is idempotent. One run per interval across all hub processes.
/// </summary>
[DisallowConcurrentExecution]
public sealed class MariusMailboxPollJob(
    TenantDirectory tenants, XtaMailboxClient mailbox, ProcedureReports reports, HubDbContext db,
    ILogger<MariusMailboxPollJob> logger) : IJob
{
    public const string Name = "marius-mailbox-poll";
    private const long MaxMessageBytes = 32 * 1024 * 1024;
    private const string StatusMessageType = "statusmeldung";
    private const string StatusNamespace = "urn:integrationhub:xta:statusmeldung:1.0";
    /// <summary>The handover is not yet recorded as placed: the message stays open for the next run.</summary>
    private const string NotYet = "not yet: the handover is still being placed";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct = default)
    {
        // The settings' Marius-like targets and those of onboarded municipalities' files.
        foreach (var (target, options, section) in tenants.TargetsOfKind(MariusAdapter.KindName))
        {
            var settings = MariusOptions.From(section).Mailbox;
            if (!settings.IsConfigured) continue;
            try
            {
                settings.EnsureComplete(target);
                await PollAsync(target, settings, options.Timeout, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // The next run tries again; the messages stay open.
                logger.LogWarning("Mailbox of target {Target} could not be read: {Error}: {Message}", target, e.GetType().Name, e.Message);
            }
        }
    }

    /// <summary>The smallest poll interval of the configured Marius-like targets (the job's trigger interval).</summary>
    public static TimeSpan Interval(IConfiguration configuration)
    {
        var intervals = configuration.GetSection($"{HubOptions.Section}:Targets").GetChildren()
            .Where(t => t["Kind"] == MariusAdapter.KindName)
            .Select(t => MariusOptions.From(t))
            .Where(o => o.Mailbox.IsConfigured)
            .Select(o => o.PollInterval)
            .Where(i => i > TimeSpan.Zero)
            .ToList();
        return intervals.Count == 0 ? new MariusOptions().PollInterval : intervals.Min();
    }

    private async Task PollAsync(string target, XtaMailboxOptions settings, TimeSpan timeout, CancellationToken ct)
    {
        var pinned = settings.PinnedProcedureCertificate();
        foreach (var message in await mailbox.ListOpenAsync(target, settings, timeout, ct))
        {
            try
            {
                var content = await mailbox.GetAsync(target, settings, timeout, message.MessageId, MaxMessageBytes, ct);
                var outcome = await RecordAsync(target, message, content, pinned, ct);
                logger.LogInformation("Mailbox message {MessageId} ({MessageType}) of target {Target}: {Outcome}", message.MessageId, message.MessageType, target, outcome);
                if (outcome != NotYet) await mailbox.CloseAsync(target, settings, timeout, message.MessageId, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is not DbUpdateException)
            {
                // One message that cannot be read now must not hold up the others; it stays open for the next run.
                logger.LogWarning("Mailbox message {MessageId} of target {Target} not processed: {Error}", message.MessageId, target, e.GetType().Name);
            }
        }
    }

    /// <summary>Acts on one message; what cannot ever be acted on (wrong sender, bad signature, unknown kind) is set aside with a log line.</summary>
    private async Task<string> RecordAsync(string target, XtaListedMessage message, byte[] content, System.Security.Cryptography.X509Certificates.X509Certificate2 pinned, CancellationToken ct)
    {
        XmlDocument document;
        try
        {
            document = SafeXml.Load(content, MaxMessageBytes);
        }
        catch (XmlException)
        {
            return "set aside: not well-formed XML";
        }

        var signature = XmlSignatureVerifier.Verify(document, pinned);
        if (!signature.IsValid) return $"set aside: signature invalid ({signature.Failure})";
        var root = document.DocumentElement!;
        if (root.LocalName == XoevSchemas.FallQuittungElement && root.NamespaceURI == XoevSchemas.FallNamespace)
            return await AcknowledgementAsync(target, root, ct);
        if (root.LocalName == StatusMessageType && root.NamespaceURI == StatusNamespace)
            return await StatusAsync(target, root, ct);
        return $"set aside: unknown message {root.LocalName}";
    }

    private async Task<string> AcknowledgementAsync(string target, XmlElement quittung, CancellationToken ct)
    {
        if (!Guid.TryParse(Child(quittung, "submissionId"), out var submissionId)) return "set aside: acknowledgement without submissionId";
        if (await StillPlacingAsync(target, submissionId, ct)) return NotYet;
        var ergebnis = Child(quittung, "ergebnis");
        var aktenzeichen = Child(quittung, "aktenzeichen");
        if (ergebnis == "ANGENOMMEN" && !string.IsNullOrEmpty(aktenzeichen))
            return "acknowledged: " + await reports.AcknowledgeAsync(target, submissionId, aktenzeichen, ct);

        // Refused by the procedure (e.g. its checks failed): the handover cannot succeed by trying again.
        var fehler = quittung.GetElementsByTagName("fehler", XoevSchemas.FallNamespace).OfType<XmlElement>().FirstOrDefault();
        var reason = $"{target} refused the case: {Child(fehler, "code") ?? "no reason"} ({Child(fehler, "text")})";
        var now = DateTimeOffset.UtcNow;
        var failed = await db.Deliveries
            .Where(d => d.SubmissionId == submissionId && d.Target == target && d.Step == DeliverySteps.Handover && d.Status == DeliveryStatus.AwaitingAcknowledgement)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeliveryStatus.Failed).SetProperty(d => d.LastError, reason)
                .SetProperty(d => d.UpdatedAt, now).SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null), ct);
        if (failed == 0) return "refusal of an unknown or settled handover";
        db.AddHistory(submissionId, HistorySteps.DeliveryFailed, target, reason.Length > 500 ? reason[..500] : reason);
        await db.SaveChangesAsync(ct);
        return "refused";
    }

    private async Task<string> StatusAsync(string target, XmlElement meldung, CancellationToken ct)
    {
        if (!Guid.TryParse(Child(meldung, "submissionId"), out var submissionId)
            || Child(meldung, "aktenzeichen") is not { Length: > 0 } aktenzeichen
            || !int.TryParse(Child(meldung, "laufendeNummer"), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence < 1
            || Child(meldung, "status") is not { } status || !CitizenStatus.Reportable.Contains(status)
            || !DateTimeOffset.TryParse(Child(meldung, "zeitpunkt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var occurredAt))
            return "set aside: incomplete status report";
        DateTimeOffset? deadline = DateTimeOffset.TryParse(Child(meldung, "frist"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var frist) ? frist : null;
        if (status == CitizenStatus.ActionRequired && deadline is null) return "set aside: Nachforderung without deadline";
        if (await StillPlacingAsync(target, submissionId, ct)) return NotYet;

        ReportedDocument? document = null;
        if (meldung.GetElementsByTagName("dokument", StatusNamespace).OfType<XmlElement>().FirstOrDefault() is { } dokument)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(dokument.InnerText);
            }
            catch (FormatException)
            {
                return "set aside: document not base64";
            }
            var name = Path.GetFileName(dokument.GetAttribute("dateiname"));
            document = new ReportedDocument(string.IsNullOrEmpty(name) ? $"{status}.pdf" : name,
                dokument.GetAttribute("mimeType") is { Length: > 0 } mime ? mime : "application/pdf", new MemoryStream(bytes, writable: false));
        }

        var outcome = await reports.ReportAsync(target, new ProcedureReport(submissionId, aktenzeichen, sequence, status, occurredAt, deadline, document), ct);
        return $"status {status} #{sequence}: {outcome}";
    }

    /// <summary>
    /// An answer can overtake the delivery consumer that placed the handover (it records "placed" after the last send);
    /// acting on it before then would let the consumer's write undo the acknowledgement, so it waits one run.
    /// </summary>
    private Task<bool> StillPlacingAsync(string target, Guid submissionId, CancellationToken ct) =>
        db.Deliveries.AnyAsync(d => d.SubmissionId == submissionId && d.Target == target && d.Step == DeliverySteps.Handover
            && d.Status == DeliveryStatus.Pending, ct);

    private static string? Child(XmlElement? parent, string localName) =>
        parent?.ChildNodes.OfType<XmlElement>().FirstOrDefault(e => e.LocalName == localName)?.InnerText.Trim();
}
