using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Mailbox;
using IntegrationHub.Simulators.Procedures;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Marius;

/// <summary>The Marius-like procedure on its XTA-style mailbox: pulls handovers, acknowledges, reports on its cases.</summary>
public sealed partial class MariusSimulator
{
    /// <summary>The procedure's mailbox (XTA identifier of the Wohngeldstelle's procedure).</summary>
    public const string ProcedureMailboxId = "urn:de:xta:ebene:kommune:wohngeld:marius";

    /// <summary>The hub's mailbox at the same service, where acknowledgements and status reports go.</summary>
    public const string HubMailboxId = "urn:de:xta:ebene:kommune:integrationhub";

    public const string XtaService = "urn:integrationhub:xta:service:wohngeld";
    public const string ScenarioAntrag = "WOHNGELD_ANTRAG";
    public const string ScenarioStatus = "WOHNGELD_STATUS";
    public const string EvidenceMessageType = "anlage";

    /// <summary>How often the background loop looks into the mailbox.</summary>
    public static readonly TimeSpan DefaultPullInterval = TimeSpan.FromMilliseconds(250);

    private readonly SemaphoreSlim _pulling = new(1, 1);
    private readonly Dictionary<string, int> _reportSequence = new(StringComparer.Ordinal);
    private readonly ProcedureSigner _signer = new("Marius-Simulator Wohngeld");
    private XtaMailboxSimulator? _mailbox;
    private string? _hubKey;
    private CancellationTokenSource? _loop;
    private Task? _loopTask;

    /// <summary>After acknowledging a new case, report PROCESSING and then COMPLETED with a generated Bescheid.</summary>
    public bool AutoDecide { get; set; }

    /// <summary>The public certificate the procedure signs acknowledgements and reports with (the hub pins it).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2 SigningCertificate => _signer.PublicCertificate;

    /// <summary>
    /// Opens the procedure's and the hub's mailboxes at <paramref name="mailbox"/>, each with a fresh random key (no key
    /// lives in code or files) unless <paramref name="hubKey"/> gives the hub's (from configuration). The procedure's <see cref="FachverfahrenSimulator.Faults"/> apply to every message sent
    /// into its mailbox, as well as to the handling of each handover.
    /// </summary>
    public void UseMailbox(XtaMailboxSimulator mailbox, string? hubKey = null)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        var procedureKey = NewKey();
        _hubKey = string.IsNullOrWhiteSpace(hubKey) ? NewKey() : hubKey;
        mailbox.RegisterMailbox(ProcedureMailboxId, procedureKey, Faults);
        mailbox.RegisterMailbox(HubMailboxId, _hubKey);
        _mailbox = mailbox;
    }

    /// <summary>
    /// The hub settings that point a Marius target at this procedure's mailbox service (Hub:Targets:{target}:…): the
    /// service address, both mailbox identifiers, the hub's mailbox key and the procedure certificate to pin.
    /// </summary>
    public IReadOnlyDictionary<string, string> HubTargetSettings(string target, Uri simulatorBaseAddress) => new Dictionary<string, string>
    {
        [$"Hub:Targets:{target}:Mailbox:BaseUrl"] = new Uri(simulatorBaseAddress, "xta/").ToString(),
        [$"Hub:Targets:{target}:Mailbox:HubMailboxId"] = HubMailboxId,
        [$"Hub:Targets:{target}:Mailbox:ProcedureMailboxId"] = ProcedureMailboxId,
        [$"Hub:Targets:{target}:Mailbox:ApiKey"] = _hubKey ?? throw new InvalidOperationException("Call UseMailbox first."),
        [$"Hub:Targets:{target}:Mailbox:ProcedureCertificate"] = _signer.PublicCertificatePem,
    };

    /// <summary>Starts the background loop that pulls the mailbox every <paramref name="interval"/>.</summary>
    public void StartPulling(TimeSpan interval)
    {
        if (_mailbox is null || _loop is not null)
        {
            return;
        }

        _loop = new CancellationTokenSource();
        var ct = _loop.Token;
        _loopTask = Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await PullNowAsync(ct).ConfigureAwait(false);
                    await Task.Delay(interval, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    // The loop must outlive a bad round; the message stays open and is tried again.
                    Logger.LogWarning("{Simulator} mailbox round failed: {Error}", Name, e.GetType().Name);
                }
            }
        }, CancellationToken.None);
    }

    public async Task StopPullingAsync()
    {
        if (_loop is null)
        {
            return;
        }

        await _loop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loopTask!.ConfigureAwait(false);
        }
        finally
        {
            _loop.Dispose();
            _loop = null;
        }
    }

    /// <summary>
    /// One look into the mailbox: every open handover is checked by the same core as a pushed one (signature against
    /// the pinned certificate, schema, evidence messages against the signed hashes), gets its case (once per message
    /// id), and is answered with a signed fall.quittung.0002 in the hub's mailbox; then it and its evidence messages
    /// are closed. A handover the procedure could not handle for now (an injected 5xx) stays open. Returns how many
    /// handovers were answered.
    /// </summary>
    public async Task<int> PullNowAsync(CancellationToken ct = default)
    {
        var mailbox = _mailbox ?? throw new InvalidOperationException("Call UseMailbox first.");
        await _pulling.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var open = mailbox.StatusList(ProcedureMailboxId, ProcedureMailboxId, XtaMessageStatus.Open, 500);
            var evidence = open.Where(m => m.Metadata.MessageType == EvidenceMessageType && m.Metadata.RelatesTo is not null)
                .ToLookup(m => m.Metadata.RelatesTo!, m => m.Metadata.MessageId, StringComparer.Ordinal);
            var answered = 0;
            foreach (var (metadata, _, _) in open.Where(m => m.Metadata.MessageType == XoevNames.FallUebergabe))
            {
                try
                {
                    if (await HandleAsync(mailbox, metadata, evidence[metadata.MessageId].ToList(), ct).ConfigureAwait(false))
                    {
                        answered++;
                    }
                }
                catch (XtaException e)
                {
                    // E.g. the answer could not be sent: the handover stays open and is answered in a later round.
                    Logger.LogWarning("{Simulator} could not answer mailbox message {MessageId}: {Status} {Kind}", Name, metadata.MessageId, e.Status, e.Kind);
                }
            }

            return answered;
        }
        finally
        {
            _pulling.Release();
        }
    }

    /// <summary>
    /// Puts a signed status report about case <paramref name="aktenzeichen"/> into the hub's mailbox, numbered with the
    /// case's next sequence number. ACTION_REQUIRED needs a deadline and carries a Nachforderung, COMPLETED a Bescheid
    /// (generated PDFs unless <paramref name="document"/> is given). Returns the message id.
    /// </summary>
    public async Task<string> ReportAsync(string aktenzeichen, string status, DateTimeOffset? deadline = null, byte[]? document = null, CancellationToken ct = default)
    {
        var mailbox = _mailbox ?? throw new InvalidOperationException("Call UseMailbox first.");
        var @case = Cases.FirstOrDefault(c => c.Aktenzeichen == aktenzeichen)
            ?? throw new ArgumentException($"No case {aktenzeichen}.", nameof(aktenzeichen));
        if (status is not (Statusmeldung.Processing or Statusmeldung.ActionRequired or Statusmeldung.Completed))
        {
            throw new ArgumentException($"'{status}' is not a status the procedure reports.", nameof(status));
        }

        if (status == Statusmeldung.ActionRequired && deadline is null)
        {
            throw new ArgumentException("A Nachforderung needs a deadline.", nameof(deadline));
        }

        int sequence;
        lock (_reportSequence)
        {
            sequence = _reportSequence[aktenzeichen] = _reportSequence.GetValueOrDefault(aktenzeichen) + 1;
        }

        var attached = status switch
        {
            Statusmeldung.Completed => new Statusmeldung.Dokument("Bescheid", $"Wohngeldbescheid-{aktenzeichen}.pdf",
                document ?? MinimalPdf.Create($"Wohngeldbescheid {aktenzeichen}: Wohngeld wird bewilligt.")),
            Statusmeldung.ActionRequired => new Statusmeldung.Dokument("Nachforderung", $"Nachforderung-{aktenzeichen}.pdf",
                document ?? MinimalPdf.Create($"Nachforderung {aktenzeichen}: bitte reichen Sie die Mietbescheinigung nach.")),
            _ => null,
        };
        var report = Statusmeldung.Build(Guid.NewGuid(), @case.SubmissionId!.Value, aktenzeichen, sequence, status, Time.GetUtcNow(), deadline, attached);
        var messageId = $"urn:de:xta:messageid:marius:status:{aktenzeichen}:{sequence}";
        await mailbox.SendAsync(ProcedureMailboxId, new XtaMessageMetadata(
            messageId, ProcedureMailboxId, HubMailboxId, XtaService, ScenarioStatus, Statusmeldung.MessageType, Time.GetUtcNow(),
            null, null, "application/xml", 0), _signer.Sign(report), ct).ConfigureAwait(false);
        Logger.LogInformation("{Simulator} reported {Status} (#{Sequence}) on case {Aktenzeichen}", Name, status, sequence, aktenzeichen);
        return messageId;
    }

    private async Task<bool> HandleAsync(XtaMailboxSimulator mailbox, XtaMessageMetadata metadata, List<string> evidenceIds, CancellationToken ct)
    {
        var handover = mailbox.GetMessage(ProcedureMailboxId, ProcedureMailboxId, metadata.MessageId);
        var parts = evidenceIds.Select(id => mailbox.GetMessage(ProcedureMailboxId, ProcedureMailboxId, id)).ToList();
        var response = await ReceiveHandoverAsync(handover.Content, new EvidenceParts(parts), metadata.MessageId, "xta", ct).ConfigureAwait(false);
        if (response.StatusCode >= 500)
        {
            return false; // not handled for now: the message stays open and is pulled again
        }

        var answer = response.StatusCode < 300
            ? XDocument.Parse(response.BodyText)
            : Refusal(handover.Content, response);
        if (answer is null)
        {
            // Not even the submission could be read: nothing to answer to, so the message is set aside (closed) with a log line.
            Logger.LogWarning("{Simulator} set aside mailbox message {MessageId}: {Status}", Name, metadata.MessageId, response.StatusCode);
        }
        else
        {
            await mailbox.SendAsync(ProcedureMailboxId, new XtaMessageMetadata(
                "urn:de:xta:messageid:marius:quittung:" + Hash(metadata.MessageId), ProcedureMailboxId, metadata.Author, XtaService, ScenarioAntrag,
                XoevNames.FallQuittung, Time.GetUtcNow(), metadata.MessageId, null, "application/xml", 0), _signer.Sign(answer), ct).ConfigureAwait(false);
        }

        // Closed only after the answer is in the hub's mailbox: a failed send leaves it open, and the next round replays the receipt.
        mailbox.Close(ProcedureMailboxId, ProcedureMailboxId, metadata.MessageId);
        foreach (var id in evidenceIds)
        {
            mailbox.Close(ProcedureMailboxId, ProcedureMailboxId, id);
        }

        if (response.StatusCode == 201 && AutoDecide && response.Aktenzeichen is { } aktenzeichen)
        {
            await ReportAsync(aktenzeichen, Statusmeldung.Processing, ct: ct).ConfigureAwait(false);
            await ReportAsync(aktenzeichen, Statusmeldung.Completed, ct: ct).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>A fall.quittung.0002 with ergebnis ABGELEHNT and the problem's kind and title; null when the submission id cannot be read.</summary>
    private XDocument? Refusal(byte[] handoverXml, HandoverResponse response)
    {
        XElement root;
        try
        {
            root = XDocument.Load(System.Xml.XmlReader.Create(new MemoryStream(handoverXml),
                new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxHandoverBytes })).Root!;
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }

        var fall = XoevNames.Fall;
        var ihc = XoevNames.Ihc;
        var submissionId = root.Element(fall + "fall")?.Element(fall + "submissionId")?.Value;
        var nachrichtUuid = root.Element(fall + "nachrichtenkopf")?.Element(ihc + "nachrichtUUID")?.Value;
        if (!Guid.TryParse(submissionId, out var submission) || !Guid.TryParse(nachrichtUuid, out var bezug))
        {
            return null;
        }

        var problem = JsonNode.Parse(response.BodyText);
        var kind = problem?["type"]?.GetValue<string>() ?? "unknown";
        var title = problem?["title"]?.GetValue<string>() ?? "refused";
        var author = root.Element(fall + "nachrichtenkopf")?.Element(ihc + "autor");
        return new XDocument(Quittung(Time.GetUtcNow(), bezug, submission, author,
            new XElement(fall + "ergebnis", "ABGELEHNT"),
            new XElement(fall + "fehler", new XElement(fall + "code", kind), new XElement(fall + "text", title))));
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32];

    /// <summary>The evidence messages of a handover as the core's container parts (Content-ID from the message metadata).</summary>
    private sealed class EvidenceParts(List<XtaMessage> messages) : IHandoverPartReader
    {
        private int _next;

        public Task<HandoverPart?> ReadNextPartAsync(CancellationToken ct)
        {
            if (_next >= messages.Count)
            {
                return Task.FromResult<HandoverPart?>(null);
            }

            var m = messages[_next++];
            return Task.FromResult<HandoverPart?>(new HandoverPart(m.Metadata.ContentId, m.Metadata.ContentType, m.Content.LongLength, new MemoryStream(m.Content, writable: false)));
        }
    }
}
