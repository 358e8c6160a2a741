using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml;
using IntegrationHub.Adapters.Marius;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Signing;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Mailbox;
using IntegrationHub.Simulators.Marius;
using IntegrationHub.Validation;

namespace IntegrationHub.UnitTests.Adapters;

/// <summary>
/// The hub's mailbox client and the Marius-like procedure on the XTA-style mailbox simulator: what the adapter places
/// (signed handover with the FIM-shaped application, evidence messages) becomes one case and one signed
/// acknowledgement; status reports arrive signed and numbered; faults and bad keys come back as the right exceptions.
/// </summary>
public sealed class MariusMailboxTests : IAsyncLifetime
{
    private const string Ars = "064350014014";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly X509Certificate2 _municipality = Simulators.SimulatorTestSupport.CreateSigningCertificate("Stadt Musterstadt");
    private SimulatorServer _server = null!;
    private HttpClient _http = null!;
    private XtaMailboxClient _client = null!;
    private XtaMailboxOptions _options = null!;

    public async Task InitializeAsync()
    {
        _server = await SimulatorServer.StartAsync();
        await _server.Marius.StopPullingAsync(); // the tests pull themselves
        _server.Pins.Pin(Ars, _municipality);
        _http = new HttpClient();
        _client = new XtaMailboxClient(_http);
        var settings = _server.Marius.HubTargetSettings("marius", _server.BaseAddress);
        _options = new XtaMailboxOptions
        {
            BaseUrl = settings["Hub:Targets:marius:Mailbox:BaseUrl"],
            HubMailboxId = settings["Hub:Targets:marius:Mailbox:HubMailboxId"],
            ProcedureMailboxId = settings["Hub:Targets:marius:Mailbox:ProcedureMailboxId"],
            ApiKey = settings["Hub:Targets:marius:Mailbox:ApiKey"],
            ProcedureCertificate = settings["Hub:Targets:marius:Mailbox:ProcedureCertificate"],
        };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        _municipality.Dispose();
    }

    [Fact]
    public async Task Placed_handover_with_its_evidence_becomes_one_case_and_a_signed_acknowledgement_with_the_WG_number()
    {
        var placed = await PlaceAsync(seed: 21, evidence: [RandomNumberGenerator.GetBytes(70_000), RandomNumberGenerator.GetBytes(10)]);

        (await _server.Marius.PullNowAsync()).Should().Be(1);

        var @case = _server.Marius.Cases.Should().ContainSingle(c => c.SubmissionId == placed.SubmissionId).Subject;
        @case.AttachmentCount.Should().Be(2);
        @case.Aktenzeichen.Should().MatchRegex(@"^WG-\d{4}-\d{6}$");
        _server.Mailbox.Messages(MariusSimulator.ProcedureMailboxId).Should().HaveCount(3).And.OnlyContain(m => m.Status == XtaMessageStatus.Closed);

        var answer = (await _client.ListOpenAsync("marius", _options, Timeout, default)).Should().ContainSingle().Subject;
        answer.MessageType.Should().Be("fall.quittung.0002");
        answer.RelatesTo.Should().Be(placed.HandoverId);
        answer.Author.Should().Be(MariusSimulator.ProcedureMailboxId);
        var quittung = SafeXml.Load(await _client.GetAsync("marius", _options, Timeout, answer.MessageId, 1024 * 1024, default), 1024 * 1024);
        XmlSignatureVerifier.Verify(quittung, _options.PinnedProcedureCertificate()).IsValid.Should().BeTrue();
        BusinessRules.Path(quittung.DocumentElement!, "ergebnis").Should().Be("ANGENOMMEN");
        BusinessRules.Path(quittung.DocumentElement!, "aktenzeichen").Should().Be(@case.Aktenzeichen);
        BusinessRules.Path(quittung.DocumentElement!, "submissionId").Should().Be(placed.SubmissionId.ToString());

        await _client.CloseAsync("marius", _options, Timeout, answer.MessageId, default);
        (await _client.ListOpenAsync("marius", _options, Timeout, default)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_handover_placed_twice_and_pulled_again_creates_one_case_and_one_acknowledgement()
    {
        var placed = await PlaceAsync(seed: 22, evidence: [RandomNumberGenerator.GetBytes(100)]);
        await _server.Marius.PullNowAsync();

        await PlaceAsync(seed: 22, evidence: [placed.Evidence[0]], submissionId: placed.SubmissionId, deliveryId: placed.DeliveryId); // a retried delivery
        _server.Mailbox.Reopen(placed.HandoverId).Should().BeTrue(); // as if the procedure's close had been lost
        await _server.Marius.PullNowAsync();

        _server.Marius.CaseCountFor(placed.SubmissionId).Should().Be(1);
        _server.Marius.Calls.Should().Contain(c => c.SubmissionId == placed.SubmissionId && c.Duplicate && c.Channel == "xta");
        _server.Mailbox.Messages(MariusSimulator.HubMailboxId).Should().ContainSingle();
        _server.Mailbox.Messages(MariusSimulator.ProcedureMailboxId).Should().HaveCount(2);
    }

    [Fact]
    public async Task Evidence_that_does_not_match_its_signed_hash_gets_no_case_but_a_signed_refusal()
    {
        var placed = await PlaceAsync(seed: 23, evidence: [RandomNumberGenerator.GetBytes(500)], tamperEvidence: true);

        await _server.Marius.PullNowAsync();

        _server.Marius.CaseCountFor(placed.SubmissionId).Should().Be(0);
        var refusal = _server.Mailbox.Messages(MariusSimulator.HubMailboxId).Should().ContainSingle().Subject;
        var quittung = SafeXml.Load(refusal.Content, 1024 * 1024);
        XmlSignatureVerifier.Verify(quittung, _options.PinnedProcedureCertificate()).IsValid.Should().BeTrue();
        BusinessRules.Path(quittung.DocumentElement!, "ergebnis").Should().Be("ABGELEHNT");
        quittung.DocumentElement!.InnerText.Should().Contain("urn:integrationhub:simulator:marius:attachment-mismatch");
        _server.Mailbox.Messages(MariusSimulator.ProcedureMailboxId).Should().OnlyContain(m => m.Status == XtaMessageStatus.Closed);
    }

    [Fact]
    public async Task Status_reports_arrive_signed_and_numbered_with_the_Nachforderung_deadline_and_the_Bescheid()
    {
        var placed = await PlaceAsync(seed: 24, evidence: []);
        await _server.Marius.PullNowAsync();
        var aktenzeichen = _server.Marius.Cases.Single(c => c.SubmissionId == placed.SubmissionId).Aktenzeichen;
        var deadline = DateTimeOffset.UtcNow.AddDays(14);

        await _server.Marius.ReportAsync(aktenzeichen, "ACTION_REQUIRED", deadline);
        await _server.Marius.ReportAsync(aktenzeichen, "COMPLETED");

        var reports = _server.Mailbox.Messages(MariusSimulator.HubMailboxId).Where(m => m.Metadata.MessageType == "statusmeldung")
            .Select(m => SafeXml.Load(m.Content, 16 * 1024 * 1024)).ToList();
        reports.Should().HaveCount(2);
        reports.Should().OnlyContain(r => XmlSignatureVerifier.Verify(r, _options.PinnedProcedureCertificate()).IsValid);
        var nachforderung = reports[0].DocumentElement!;
        BusinessRules.Path(nachforderung, "laufendeNummer").Should().Be("1");
        BusinessRules.Path(nachforderung, "status").Should().Be("ACTION_REQUIRED");
        DateTimeOffset.Parse(BusinessRules.Path(nachforderung, "frist")!, System.Globalization.CultureInfo.InvariantCulture)
            .Should().BeCloseTo(deadline, TimeSpan.FromMilliseconds(1));
        var bescheid = reports[1].DocumentElement!;
        BusinessRules.Path(bescheid, "laufendeNummer").Should().Be("2");
        BusinessRules.Path(bescheid, "aktenzeichen").Should().Be(aktenzeichen);
        var pdf = Convert.FromBase64String(BusinessRules.Path(bescheid, "dokument")!);
        System.Text.Encoding.ASCII.GetString(pdf, 0, 5).Should().Be("%PDF-");

        var report = () => _server.Marius.ReportAsync(aktenzeichen, "ACTION_REQUIRED");
        await report.Should().ThrowAsync<ArgumentException>().WithMessage("*deadline*");
    }

    [Fact]
    public async Task Auto_decide_reports_processing_and_a_Bescheid_after_the_acknowledgement()
    {
        _server.Marius.AutoDecide = true;
        var placed = await PlaceAsync(seed: 25, evidence: []);

        await _server.Marius.PullNowAsync();

        _server.Mailbox.Messages(MariusSimulator.HubMailboxId).Select(m => m.Metadata.MessageType)
            .Should().Equal("fall.quittung.0002", "statusmeldung", "statusmeldung");
        _server.Marius.CaseCountFor(placed.SubmissionId).Should().Be(1);
    }

    [Fact]
    public async Task Procedure_faults_apply_to_the_mailbox_a_5xx_is_transient_and_a_4xx_permanent()
    {
        _server.Marius.Faults.FailNext(1, 503);
        var transient = () => PlaceAsync(seed: 26, evidence: []);
        (await transient.Should().ThrowAsync<TransientDeliveryException>()).Which.Message.Should().Contain("503");

        _server.Marius.Faults.FailNext(1, 400);
        var permanent = () => PlaceAsync(seed: 27, evidence: []);
        (await permanent.Should().ThrowAsync<PermanentDeliveryException>()).Which.Message.Should().Contain("fault-injected");

        _server.Mailbox.Messages(MariusSimulator.ProcedureMailboxId).Should().BeEmpty();
    }

    [Fact]
    public void The_procedure_certificate_may_be_configured_as_PEM_text_or_as_the_path_of_a_PEM_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"marius-{Guid.NewGuid():N}.pem");
        File.WriteAllText(file, _options.ProcedureCertificate);
        try
        {
            var fromText = _options.PinnedProcedureCertificate();
            var fromFile = new XtaMailboxOptions { ProcedureCertificate = file }.PinnedProcedureCertificate();

            fromFile.Thumbprint.Should().Be(fromText.Thumbprint).And.Be(_server.Marius.SigningCertificate.Thumbprint);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_wrong_key_is_a_permanent_refusal_naming_the_target()
    {
        _options.ApiKey = "not-the-key";

        var list = () => _client.ListOpenAsync("marius", _options, Timeout, default);

        (await list.Should().ThrowAsync<PermanentDeliveryException>()).Which.Message.Should().Contain("marius").And.Contain("401");
    }

    [Fact]
    public async Task An_attachment_found_inauthentic_while_it_is_sent_fails_with_its_integrity_problem_not_as_a_transport_error()
    {
        var content = new StreamContent(new InauthenticStream());
        content.Headers.ContentLength = 1024 * 1024;

        var send = () => _client.SendAsync("marius", _options, Timeout, new XtaOutgoingMessage("urn:de:xta:messageid:test:" + Guid.NewGuid().ToString("N"),
            _options.ProcedureMailboxId, MariusAdapter.EvidenceMessageType, null, Guid.NewGuid().ToString("D"), content), default);

        // The consumer turns this into a SubmissionProblemException: failed for good, never retried.
        await send.Should().ThrowAsync<AttachmentIntegrityException>();
        _server.Mailbox.Messages(MariusSimulator.ProcedureMailboxId).Should().BeEmpty();
    }

    /// <summary>Gives 64 KiB, then fails as a decrypting attachment stream does on a broken tag.</summary>
    private sealed class InauthenticStream : Stream
    {
        private int _reads;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_reads++ > 0) throw new AttachmentIntegrityException(IntegrationHub.Problems.ProblemTypes.DecryptionFailed, "attachment not authentic", null);
            var n = Math.Min(count, 64 * 1024);
            Array.Clear(buffer, offset, n);
            return n;
        }
    }

    private sealed record Placed(Guid SubmissionId, Guid DeliveryId, string HandoverId, IReadOnlyList<byte[]> Evidence);

    /// <summary>What the adapter does: FIM mapping, signed handover, evidence messages first, then the handover.</summary>
    private async Task<Placed> PlaceAsync(int seed, byte[][] evidence, bool tamperEvidence = false, Guid? submissionId = null, Guid? deliveryId = null)
    {
        var application = ApplicationFactory.Wohngeld(Ars, "63067", "Musterstadt", seed);
        var submission = new Submission
        {
            Id = submissionId ?? Guid.NewGuid(), CaseId = Guid.NewGuid(), Ars = Ars, LeikaKey = DemoServices.WohngeldLeikaKey,
            CreatedAt = DateTimeOffset.UtcNow, SubmittedAt = DateTimeOffset.UtcNow,
        };
        // Attachment ids are stable per seed, as a submission's are across retries.
        var attachments = evidence.Select((e, i) => new VerifiedAttachment(new Guid(SHA256.HashData(BitConverter.GetBytes(seed * 100 + i))[..16]), $"nachweis-{i}.pdf", "application/pdf",
            Convert.ToHexStringLower(SHA512.HashData(e)), e.Length)).ToList();
        var delivery = deliveryId ?? Guid.NewGuid();
        var fim = WohngeldFimMapping.Map(SafeXml.Load(application.Xml, long.MaxValue), delivery, (Ars, "Stadt Musterstadt"), "marius", DateTimeOffset.UtcNow);
        var handover = CaseHandover.Build(delivery, submission, fim, attachments, "marius", "Stadt Musterstadt", DateTimeOffset.UtcNow);
        XmlDocumentSigner.SignEnveloped(handover, _municipality);

        var key = TargetDelivery.IdempotencyKeyFor(submission.Id, "marius");
        var handoverId = MessageIds.Handover(key);
        for (var i = 0; i < evidence.Length; i++)
        {
            var bytes = tamperEvidence ? evidence[i].Select(b => (byte)(b ^ 1)).ToArray() : evidence[i];
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
            await _client.SendAsync("marius", _options, Timeout, new XtaOutgoingMessage(MessageIds.Evidence(key, attachments[i].AttachmentId),
                _options.ProcedureMailboxId, MariusAdapter.EvidenceMessageType, handoverId, attachments[i].AttachmentId.ToString("D"), content), default);
        }

        var xml = new ByteArrayContent(SafeXml.ToBytes(handover));
        xml.Headers.ContentType = new MediaTypeHeaderValue("application/xml");
        await _client.SendAsync("marius", _options, Timeout,
            new XtaOutgoingMessage(handoverId, _options.ProcedureMailboxId, MariusAdapter.HandoverMessageType, null, null, xml), default);
        return new Placed(submission.Id, delivery, handoverId, evidence);
    }
}
