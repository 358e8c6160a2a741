using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;
using IntegrationHub.Contracts;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Signing;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Validation;
using static IntegrationHub.UnitTests.Validation.HubTestData;

namespace IntegrationHub.UnitTests.Delivery;

/// <summary>The municipality's signing certificate (2048 bit, for speed) and how a receiver pins it.</summary>
public sealed class HandoverCertificates : IDisposable
{
    public X509Certificate2 Municipality { get; } = SigningCertificates.CreateSelfSigned($"CN=IntegrationHub Signatur {Ars}, O=Kommune {Ars}, C=DE", 2048);

    public X509Certificate2 Stranger { get; } = SigningCertificates.CreateSelfSigned($"CN=IntegrationHub Signatur {Ars}, O=Kommune {Ars}, C=DE", 2048);

    /// <summary>Public part only, imported from PEM, as the procedure has it.</summary>
    public X509Certificate2 Pinned => _pinned ??= SigningCertificates.ImportPublicPem(SigningCertificates.ExportPublicPem(Municipality));

    private X509Certificate2? _pinned;

    public void Dispose()
    {
        Municipality.Dispose();
        Stranger.Dispose();
        _pinned?.Dispose();
    }
}

/// <summary>fall.uebergabe.0001: what a procedure receives, signed, and what it can check.</summary>
public sealed class CaseHandoverTests(HandoverCertificates certificates) : IClassFixture<HandoverCertificates>
{
    private const string Target = "marius";
    private static readonly DateTimeOffset CreatedAt = new(2026, 3, 2, 9, 30, 15, 123, TimeSpan.Zero);
    private static readonly XmlNamespaceManager Ns = Namespaces();

    private static XmlNamespaceManager Namespaces()
    {
        var ns = new XmlNamespaceManager(new NameTable());
        ns.AddNamespace("fall", XoevSchemas.FallNamespace);
        ns.AddNamespace("ihc", XoevSchemas.CommonNamespace);
        ns.AddNamespace("ds", XoevSchemas.XmlDsigNamespace);
        return ns;
    }

    private static Submission SubmissionFor(DemoApplication application) => new()
    {
        Id = Guid.NewGuid(),
        CaseId = Guid.NewGuid(),
        DestinationId = Guid.NewGuid(),
        Ars = Ars,
        LeikaKey = application.LeikaKey,
        ServiceName = application.ServiceName,
        CreatedAt = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero),
        SubmittedAt = new DateTimeOffset(2026, 3, 2, 9, 1, 0, TimeSpan.Zero),
    };

    private static List<VerifiedAttachment> Attachments(DemoApplication application) =>
        application.Attachments.Select(a => new VerifiedAttachment(a.AttachmentId, a.FileName, a.MimeType, Sha512.Hex(a.Content), a.Content.Length)).ToList();

    private sealed record Signed(byte[] Bytes, Guid MessageId, Submission Submission, XmlDocument Application);

    private Signed BuildAndSign(DemoApplication application, byte[]? xml = null, IReadOnlyList<VerifiedAttachment>? attachments = null)
    {
        var messageId = Guid.NewGuid();
        var submission = SubmissionFor(application);
        var document = XmlContractValidator.LoadAndValidate(xml ?? application.Xml, MaxXmlCharacters);
        var handover = CaseHandover.Build(messageId, submission, document, attachments ?? Attachments(application), Target, "Musterstadt", CreatedAt);
        XmlDocumentSigner.SignEnveloped(handover, certificates.Municipality);
        return new Signed(SafeXml.ToBytes(handover), messageId, submission, document);
    }

    /// <summary>What the receiving procedure does with the bytes: hardened load.</summary>
    private static XmlDocument Receive(byte[] bytes) => SafeXml.Load(bytes, 64L * 1024 * 1024);

    private static string Value(XmlDocument doc, string xpath) => doc.SelectSingleNode(xpath, Ns)!.InnerText;

    [Fact]
    public void Signed_handover_of_a_Wohngeld_with_attachment_validates_against_the_schemas()
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2, withAttachment: true);

        var signed = BuildAndSign(application);

        XoevSchemas.Validate(new MemoryStream(signed.Bytes)).Should().BeEmpty();
        Receive(signed.Bytes).DocumentElement!.LocalName.Should().Be(XoevSchemas.FallUebergabeElement);
    }

    [Fact]
    public void Signed_handover_of_a_Sozialhilfe_without_attachment_validates_against_the_schemas()
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 4, withAttachment: false);

        var signed = BuildAndSign(application);

        XoevSchemas.Validate(new MemoryStream(signed.Bytes)).Should().BeEmpty();
        Receive(signed.Bytes).SelectNodes("/fall:fall.uebergabe.0001/fall:anlagen/fall:anlage", Ns)!.Count.Should().Be(0);
    }

    [Theory]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void Application_is_carried_unchanged(int seed, bool wohngeld)
    {
        var application = wohngeld ? ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed, withAttachment: true) : ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, seed);

        var signed = BuildAndSign(application);

        var antrag = (XmlElement)Receive(signed.Bytes).SelectSingleNode("/fall:fall.uebergabe.0001/fall:antrag/*", Ns)!;
        antrag.OuterXml.Should().Be(signed.Application.DocumentElement!.OuterXml);
        antrag.OuterXml.Should().Be(SafeXml.Load(application.Xml, MaxXmlCharacters).DocumentElement!.OuterXml, "the citizen's bytes, whitespace included");
    }

    [Fact]
    public void Header_and_case_data_name_message_submission_and_target()
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2, withAttachment: true);

        var signed = BuildAndSign(application);

        var doc = Receive(signed.Bytes);
        const string kopf = "/fall:fall.uebergabe.0001/fall:nachrichtenkopf";
        const string fall = "/fall:fall.uebergabe.0001/fall:fall";
        Value(doc, $"{kopf}/ihc:nachrichtUUID").Should().Be(signed.MessageId.ToString());
        Value(doc, $"{kopf}/ihc:nachrichtentyp/ihc:code").Should().Be(XoevSchemas.FallUebergabeElement);
        Value(doc, $"{kopf}/ihc:erstellungszeitpunkt").Should().Be("2026-03-02T09:30:15.123Z");
        Value(doc, $"{kopf}/ihc:autor/ihc:kennung").Should().Be(Ars);
        Value(doc, $"{kopf}/ihc:autor/ihc:name").Should().Be("Musterstadt");
        Value(doc, $"{kopf}/ihc:leser/ihc:kennung").Should().Be(Target);
        Value(doc, $"{fall}/fall:submissionId").Should().Be(signed.Submission.Id.ToString());
        Value(doc, $"{fall}/fall:caseId").Should().Be(signed.Submission.CaseId.ToString());
        Value(doc, $"{fall}/fall:eingangszeitpunkt").Should().Be("2026-03-02T09:01:00.000Z");
        Value(doc, $"{fall}/fall:leikaSchluessel").Should().Be(DemoServices.WohngeldLeikaKey);
        Value(doc, $"{fall}/fall:ars").Should().Be(Ars);
        Value(doc, $"{fall}/fall:zielsystem").Should().Be(Target);
    }

    [Fact]
    public void Attachment_carries_id_name_type_hash_size_and_a_reference_instead_of_the_content()
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2, withAttachment: true);
        var expected = application.Attachments.Single();

        var signed = BuildAndSign(application);

        var doc = Receive(signed.Bytes);
        const string anlage = "/fall:fall.uebergabe.0001/fall:anlagen/fall:anlage";
        doc.SelectNodes(anlage, Ns)!.Count.Should().Be(1);
        Value(doc, $"{anlage}/fall:anlageId").Should().Be(expected.AttachmentId.ToString());
        Value(doc, $"{anlage}/fall:dateiname").Should().Be(expected.FileName);
        Value(doc, $"{anlage}/fall:mimeType").Should().Be(expected.MimeType);
        Value(doc, $"{anlage}/fall:hashSha512").Should().Be(Sha512.Hex(expected.Content));
        Value(doc, $"{anlage}/fall:groesseBytes").Should().Be(expected.Content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Value(doc, $"{anlage}/fall:inhaltReferenz").Should().Be($"cid:{expected.AttachmentId}");
        doc.SelectNodes($"{anlage}/fall:inhalt", Ns)!.Count.Should().Be(0);
        CaseHandover.ContentReference(expected.AttachmentId).Should().Be($"cid:{expected.AttachmentId}");
        CaseHandover.ContentId(expected.AttachmentId).Should().Be($"<{expected.AttachmentId}>");
    }

    [Fact]
    public void Handover_size_does_not_grow_with_the_attachments()
    {
        // Three attachments of 100 MB each: only their metadata is in the signed XML.
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2, withAttachment: false);
        var attachments = Enumerable.Range(1, 3)
            .Select(i => new VerifiedAttachment(Guid.NewGuid(), $"scan-{i}.pdf", "application/pdf", new string('a', 128), 100L * 1024 * 1024)).ToList();

        var signed = BuildAndSign(application, attachments: attachments);

        XoevSchemas.Validate(new MemoryStream(signed.Bytes)).Should().BeEmpty();
        signed.Bytes.Length.Should().BeLessThan(application.Xml.Length + 8 * 1024);
        var doc = Receive(signed.Bytes);
        doc.SelectNodes("//fall:anlage/fall:inhaltReferenz", Ns)!.Cast<XmlElement>().Select(e => e.InnerText)
            .Should().Equal(attachments.Select(a => $"cid:{a.AttachmentId}"), "in the order of the attachments, which is also the order of the parts");
        doc.SelectNodes("//fall:anlage/fall:groesseBytes", Ns)!.Cast<XmlElement>().Select(e => e.InnerText).Should().AllBe("104857600");
        XmlSignatureVerifier.Verify(doc, certificates.Pinned).Should().Be(SignatureCheck.Valid);
        ReceivedSignature.Verify(Receive(signed.Bytes), certificates.Pinned).Should().Be((true, (string?)null));
    }

    [Fact]
    public void Signed_bytes_verify_with_the_hub_verifier_and_the_receivers_check()
    {
        var signed = BuildAndSign(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2, withAttachment: true));

        XmlSignatureVerifier.Verify(Receive(signed.Bytes), certificates.Pinned).Should().Be(SignatureCheck.Valid);
        ReceivedSignature.Verify(Receive(signed.Bytes), certificates.Pinned).Should().Be((true, (string?)null));
    }

    [Fact]
    public void Signature_is_the_last_child_of_the_handover()
    {
        var signed = BuildAndSign(ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 5));

        var root = Receive(signed.Bytes).DocumentElement!;
        var last = root.ChildNodes.OfType<XmlElement>().Last();
        last.LocalName.Should().Be("Signature");
        last.NamespaceURI.Should().Be(XoevSchemas.XmlDsigNamespace);
    }

    [Theory]
    [InlineData("<fall:hashSha512>", 40)]
    [InlineData("<fall:groesseBytes>", 0)]
    [InlineData("<fall:inhaltReferenz>", 10)]
    public void One_changed_character_of_the_attachment_hash_size_or_reference_breaks_the_signature(string element, int offset)
    {
        // The hash and size bind the separately sent bytes to the signature; the reference binds the part.
        var signed = BuildAndSign(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2, withAttachment: true));
        var text = Encoding.UTF8.GetString(signed.Bytes);
        var at = text.IndexOf(element, StringComparison.Ordinal) + element.Length + offset;
        var tampered = text[..at] + (text[at] == '1' ? '2' : '1') + text[(at + 1)..];
        tampered.Length.Should().Be(text.Length);

        var doc = Receive(Encoding.UTF8.GetBytes(tampered));

        XmlSignatureVerifier.Verify(doc, certificates.Pinned).Should().Be(new SignatureCheck(false, "digest mismatch"));
        ReceivedSignature.Verify(Receive(Encoding.UTF8.GetBytes(tampered)), certificates.Pinned).Ok.Should().BeFalse();
    }

    [Fact]
    public void One_changed_character_in_the_application_breaks_the_signature()
    {
        var signed = BuildAndSign(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2, withAttachment: true));
        var text = Encoding.UTF8.GetString(signed.Bytes);
        var iban = text.IndexOf("<ihc:iban>", StringComparison.Ordinal) + "<ihc:iban>".Length + 6;
        var tampered = text[..iban] + (text[iban] == '1' ? '2' : '1') + text[(iban + 1)..];

        XmlSignatureVerifier.Verify(Receive(Encoding.UTF8.GetBytes(tampered)), certificates.Pinned).IsValid.Should().BeFalse();
        ReceivedSignature.Verify(Receive(Encoding.UTF8.GetBytes(tampered)), certificates.Pinned).Ok.Should().BeFalse();
    }

    [Fact]
    public void Handover_signed_by_another_certificate_is_refused_by_the_receiver()
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 6);
        var document = XmlContractValidator.LoadAndValidate(application.Xml, MaxXmlCharacters);
        var handover = CaseHandover.Build(Guid.NewGuid(), SubmissionFor(application), document, [], Target, "Musterstadt", CreatedAt);
        XmlDocumentSigner.SignEnveloped(handover, certificates.Stranger);
        var bytes = SafeXml.ToBytes(handover);

        XmlSignatureVerifier.Verify(Receive(bytes), certificates.Pinned).IsValid.Should().BeFalse();
        ReceivedSignature.Verify(Receive(bytes), certificates.Pinned).Ok.Should().BeFalse();
    }

    [Fact]
    public void Application_with_comment_and_escaped_characters_still_verifies()
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, "Bad Soden & Neuenhain", 2, withAttachment: true);
        var xml = Bytes(Text(application.Xml).Replace("<ihc:antragsdatum>", "<!-- vom Onlinedienst --><ihc:antragsdatum>", StringComparison.Ordinal));

        var signed = BuildAndSign(application, xml);

        XmlSignatureVerifier.Verify(Receive(signed.Bytes), certificates.Pinned).Should().Be(SignatureCheck.Valid);
        ReceivedSignature.Verify(Receive(signed.Bytes), certificates.Pinned).Ok.Should().BeTrue();
        Receive(signed.Bytes).SelectNodes("//comment()")!.Count.Should().Be(0, "comments are outside the signature, so the signer drops them");
    }

    [Fact]
    public void Same_message_id_gives_the_same_handover_content()
    {
        // A retry sends the same message: same id, same case data.
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2, withAttachment: true);
        var submission = SubmissionFor(application);
        var document = XmlContractValidator.LoadAndValidate(application.Xml, MaxXmlCharacters);
        var messageId = Guid.NewGuid();

        var first = CaseHandover.Build(messageId, submission, document, Attachments(application), Target, "Musterstadt", CreatedAt);
        var second = CaseHandover.Build(messageId, submission, document, Attachments(application), Target, "Musterstadt", CreatedAt);

        SafeXml.ToBytes(second).Should().Equal(SafeXml.ToBytes(first));
    }
}
