using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using IntegrationHub.Signing;
using IntegrationHub.Simulators.Crypto;

namespace IntegrationHub.UnitTests.Signing;

public sealed class XmlSignatureTests(SigningFixture certs) : IClassFixture<SigningFixture>
{
    private const string Ds = SignedXml.XmlDsigNamespaceUrl;

    private const string Sample =
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <Antrag xmlns="urn:xoev-de:example:antrag" version="1.0">
          <Antragsteller Id="person">
            <Name>Erika Mustermann</Name>
            <Betrag waehrung="EUR">100.00</Betrag>
          </Antragsteller>
        </Antrag>
        """;

    private static XmlDocument Load(string xml) => SafeXml.Load(Encoding.UTF8.GetBytes(xml), 1024 * 1024);

    /// <summary>Signed by the hub and sent over the wire (serialized, parsed again by the receiver).</summary>
    private XmlDocument SignedAndTransported(string xml = Sample, X509Certificate2? signer = null)
    {
        var doc = Load(xml);
        XmlDocumentSigner.SignEnveloped(doc, signer ?? certs.Hub);
        return SafeXml.Load(SafeXml.ToBytes(doc), 1024 * 1024);
    }

    private static XmlElement Signature(XmlDocument doc) => (XmlElement)doc.GetElementsByTagName("Signature", Ds)[0]!;

    private static XmlNamespaceManager Ns(XmlDocument doc)
    {
        var ns = new XmlNamespaceManager(doc.NameTable);
        ns.AddNamespace("ds", Ds);
        ns.AddNamespace("a", "urn:xoev-de:example:antrag");
        return ns;
    }

    private SignatureCheck HubVerify(XmlDocument doc) => XmlSignatureVerifier.Verify(doc, certs.PinnedHub);

    private (bool Ok, string? Failure) ReceiverVerify(XmlDocument doc) => ReceivedSignature.Verify(doc, certs.PinnedHub);

    private void BothRefuse(XmlDocument doc, string hubFailure)
    {
        HubVerify(doc).Should().Be(new SignatureCheck(false, hubFailure));
        ReceiverVerify(doc).Ok.Should().BeFalse();
    }

    /// <summary>Signs like SignedXml users commonly do, with free choice of reference and algorithms (for attacks).</summary>
    private static void SignCustom(
        XmlDocument doc,
        X509Certificate2 cert,
        string referenceUri = "",
        string signatureMethod = SignedXml.XmlDsigRSASHA256Url,
        string digestMethod = SignedXml.XmlDsigSHA256Url,
        bool enveloped = true)
    {
        using var key = cert.GetRSAPrivateKey()!;
        var signedXml = new SignedXml(doc) { SigningKey = key };
        signedXml.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signedXml.SignedInfo.SignatureMethod = signatureMethod;
        var reference = new Reference(referenceUri) { DigestMethod = digestMethod };
        if (enveloped)
        {
            reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        }

        reference.AddTransform(new XmlDsigExcC14NTransform());
        signedXml.AddReference(reference);
        var keyInfo = new KeyInfo();
        keyInfo.AddClause(new KeyInfoX509Data(cert));
        signedXml.KeyInfo = keyInfo;
        signedXml.ComputeSignature();
        doc.DocumentElement!.AppendChild(doc.ImportNode(signedXml.GetXml(), true));
    }

    [Fact]
    public void Signed_document_verifies_in_the_hub_and_at_the_receiver()
    {
        var doc = SignedAndTransported();

        HubVerify(doc).Should().Be(SignatureCheck.Valid);
        ReceiverVerify(doc).Should().Be((true, (string?)null));
    }

    [Fact]
    public void Signature_uses_exactly_the_agreed_profile()
    {
        var doc = SignedAndTransported();
        var ns = Ns(doc);

        doc.DocumentElement!.LastChild.Should().BeSameAs(Signature(doc));
        doc.SelectSingleNode("//ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm", ns)!.Value.Should().Be("http://www.w3.org/2001/10/xml-exc-c14n#");
        doc.SelectSingleNode("//ds:SignedInfo/ds:SignatureMethod/@Algorithm", ns)!.Value.Should().Be("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
        doc.SelectNodes("//ds:Reference", ns)!.Count.Should().Be(1);
        doc.SelectSingleNode("//ds:Reference/@URI", ns)!.Value.Should().BeEmpty();
        doc.SelectNodes("//ds:Transform/@Algorithm", ns)!.Cast<XmlNode>().Select(a => a.Value).Should().Equal(
            "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
            "http://www.w3.org/2001/10/xml-exc-c14n#");
        doc.SelectSingleNode("//ds:DigestMethod/@Algorithm", ns)!.Value.Should().Be("http://www.w3.org/2001/04/xmlenc#sha256");
        var certText = doc.SelectSingleNode("//ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns)!.InnerText;
        Convert.FromBase64String(certText).Should().Equal(certs.Hub.RawData);
    }

    [Fact]
    public void Modified_text_node_is_a_digest_mismatch()
    {
        var doc = SignedAndTransported();
        doc.SelectSingleNode("//a:Name", Ns(doc))!.InnerText = "Max Mustermann";

        BothRefuse(doc, "digest mismatch");
    }

    [Fact]
    public void Modified_attribute_is_a_digest_mismatch()
    {
        var doc = SignedAndTransported();
        ((XmlElement)doc.SelectSingleNode("//a:Betrag", Ns(doc))!).SetAttribute("waehrung", "USD");

        BothRefuse(doc, "digest mismatch");
    }

    [Fact]
    public void Removed_signature_is_reported_missing()
    {
        var doc = SignedAndTransported();
        Signature(doc).ParentNode!.RemoveChild(Signature(doc));

        BothRefuse(doc, "signature missing");
    }

    [Fact]
    public void Signature_by_an_unpinned_certificate_is_refused()
    {
        var doc = SignedAndTransported(signer: certs.Attacker);

        BothRefuse(doc, "certificate not pinned");
    }

    [Fact]
    public void Unpinned_key_presenting_the_pinned_certificate_in_KeyInfo_is_refused()
    {
        // The forger copies the hub's public certificate into KeyInfo; only the pinned key counts.
        var doc = SignedAndTransported(signer: certs.Attacker);
        var ns = Ns(doc);
        doc.SelectSingleNode("//ds:X509Certificate", ns)!.InnerText = Convert.ToBase64String(certs.Hub.RawData);

        BothRefuse(doc, "signature value invalid");
    }

    [Fact]
    public void Unpinned_signature_without_KeyInfo_is_refused()
    {
        var doc = SignedAndTransported(signer: certs.Attacker);
        var keyInfo = doc.SelectSingleNode("//ds:KeyInfo", Ns(doc))!;
        keyInfo.ParentNode!.RemoveChild(keyInfo);

        BothRefuse(doc, "signature value invalid");
    }

    [Fact]
    public void Wrapping_the_signed_document_into_a_new_root_is_refused()
    {
        // Signature wrapping: the original signed tree moves below an attacker's root, next to forged content.
        var signed = SignedAndTransported();
        var wrapped = new XmlDocument { PreserveWhitespace = true };
        var wrapper = wrapped.CreateElement("Antrag", "urn:xoev-de:example:antrag");
        wrapped.AppendChild(wrapper);
        wrapper.AppendChild(wrapped.ImportNode(signed.DocumentElement!, true));
        var forged = (XmlElement)wrapped.ImportNode(Load(Sample).DocumentElement!, true);
        forged.SelectSingleNode("//*[local-name()='Name']")!.InnerText = "Mallory";
        wrapper.AppendChild(forged);
        var doc = SafeXml.Load(SafeXml.ToBytes(wrapped), 1024 * 1024);

        BothRefuse(doc, "signature must be a direct child of the document element");
    }

    [Fact]
    public void Second_element_with_the_same_content_is_a_digest_mismatch()
    {
        var doc = SignedAndTransported();
        var ns = Ns(doc);
        var copy = doc.SelectSingleNode("//a:Antragsteller", ns)!.CloneNode(true);
        copy.SelectSingleNode("*[local-name()='Name']")!.InnerText = "Mallory";
        doc.DocumentElement!.InsertBefore(copy, doc.DocumentElement.FirstChild);

        BothRefuse(doc, "digest mismatch");
    }

    [Fact]
    public void Reference_to_an_element_id_is_refused_even_though_SignedXml_would_accept_it()
    {
        // Signs only the element with Id="person"; the rest of the document could then be changed freely.
        var doc = Load(Sample);
        SignCustom(doc, certs.Hub, referenceUri: "#person", enveloped: false);
        doc = SafeXml.Load(SafeXml.ToBytes(doc), 1024 * 1024);
        doc.DocumentElement!.SetAttribute("version", "forged");

        using (var key = certs.PinnedHub.GetRSAPublicKey())
        {
            var plain = new SignedXml(doc);
            plain.LoadXml(Signature(doc));
            plain.CheckSignature(key!).Should().BeTrue("this is the wrapping risk the profile check closes");
        }

        BothRefuse(doc, "reference must be URI=\"\"");
    }

    [Fact]
    public void Two_signatures_are_refused()
    {
        var doc = SignedAndTransported();
        doc.DocumentElement!.AppendChild(Signature(doc).CloneNode(true));

        BothRefuse(doc, "more than one signature");
    }

    [Fact]
    public void Signing_an_already_signed_document_is_refused()
    {
        var doc = SignedAndTransported();

        ((Action)(() => XmlDocumentSigner.SignEnveloped(doc, certs.Hub))).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Comment_inserted_into_signed_content_is_refused_although_c14n_ignores_it()
    {
        // exc-c14n without comments does not cover comments, so SignedXml alone still says "valid";
        // a comment can split a text node ("Erika<!---->.evil") and confuse consumers, so the hub refuses comments.
        var doc = SignedAndTransported();
        var name = doc.SelectSingleNode("//a:Name", Ns(doc))!;
        name.InsertAfter(doc.CreateComment("inserted"), name.FirstChild);

        using (var key = certs.PinnedHub.GetRSAPublicKey())
        {
            var plain = new SignedXml(doc);
            plain.LoadXml(Signature(doc));
            plain.CheckSignature(key!).Should().BeTrue();
        }

        BothRefuse(doc, "comments are not allowed in signed documents");
    }

    [Fact]
    public void Signer_removes_comments_so_its_output_verifies()
    {
        var doc = SignedAndTransported(Sample.Replace("<Name>", "<!-- Kommentar --><Name>", StringComparison.Ordinal));

        doc.SelectSingleNode("//comment()").Should().BeNull();
        HubVerify(doc).IsValid.Should().BeTrue();
        ReceiverVerify(doc).Ok.Should().BeTrue();
    }

    [Theory]
    [InlineData("http://www.w3.org/2000/09/xmldsig#rsa-sha1", SignedXml.XmlDsigSHA256Url, "signature method must be rsa-sha256")]
    [InlineData(SignedXml.XmlDsigRSASHA256Url, "http://www.w3.org/2000/09/xmldsig#sha1", "digest method must be sha256")]
    [InlineData(SignedXml.XmlDsigRSASHA512Url, SignedXml.XmlDsigSHA512Url, "signature method must be rsa-sha256")]
    public void Other_algorithms_are_refused(string signatureMethod, string digestMethod, string failure)
    {
        var doc = Load(Sample);
        SignCustom(doc, certs.Hub, signatureMethod: signatureMethod, digestMethod: digestMethod);

        BothRefuse(doc, failure);
    }

    [Fact]
    public void Additional_transform_is_refused()
    {
        var doc = SignedAndTransported();
        var transforms = doc.SelectSingleNode("//ds:Transforms", Ns(doc))!;
        var extra = doc.CreateElement("Transform", Ds);
        extra.SetAttribute("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116");
        transforms.AppendChild(extra);

        BothRefuse(doc, "transforms must be enveloped-signature and exc-c14n");
    }

    [Fact]
    public void Object_element_inside_the_signature_is_refused()
    {
        var doc = SignedAndTransported();
        var obj = doc.CreateElement("Object", Ds);
        obj.InnerText = "unsigned";
        Signature(doc).AppendChild(obj);

        BothRefuse(doc, "unexpected signature structure");
    }

    [Fact]
    public void Verification_survives_whitespace_preserving_round_trips_but_not_reindentation()
    {
        var doc = SignedAndTransported();
        var reindented = new XmlDocument(); // PreserveWhitespace = false: formatting is dropped and re-added
        reindented.LoadXml(doc.OuterXml);
        using var writer = new StringWriter();
        reindented.Save(writer);

        HubVerify(SafeXml.Load(SafeXml.ToBytes(doc), 1 << 20)).IsValid.Should().BeTrue();
        HubVerify(Load(writer.ToString().Replace("utf-16", "utf-8", StringComparison.Ordinal))).IsValid.Should().BeFalse();
    }
}
