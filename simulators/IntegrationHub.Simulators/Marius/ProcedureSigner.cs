using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace IntegrationHub.Simulators.Marius;

/// <summary>
/// The procedure's own signing key: what it puts into the hub's mailbox (acknowledgements, status reports) is signed
/// with it, in the profile the hub verifies (enveloped XMLDSig over the whole document, Reference URI="", rsa-sha256,
/// exclusive C14N, the certificate in KeyInfo). The hub pins the public certificate.
/// </summary>
public sealed class ProcedureSigner
{
    private readonly Lazy<X509Certificate2> _certificate;

    public ProcedureSigner(string subject)
    {
        _certificate = new Lazy<X509Certificate2>(() => Create(subject), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The public certificate to pin (no private key).</summary>
    public X509Certificate2 PublicCertificate => X509CertificateLoader.LoadCertificate(_certificate.Value.RawData);

    /// <summary>The public certificate as PEM, e.g. for the hub's configuration.</summary>
    public string PublicCertificatePem => _certificate.Value.ExportCertificatePem();

    /// <summary>Serialises <paramref name="document"/> and signs what travels.</summary>
    public byte[] Sign(XDocument document)
    {
        // Signed after serialising: a DOM built in memory canonicalises differently from its serialised form.
        var xml = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        using (var reader = XmlReader.Create(new MemoryStream(Serialize(document)), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null }))
        {
            xml.Load(reader);
        }

        using var key = _certificate.Value.GetRSAPrivateKey()!;
        var signed = new SignedXml(xml) { SigningKey = key };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = SignedXml.XmlDsigRSASHA256Url;
        var reference = new Reference(string.Empty) { DigestMethod = SignedXml.XmlDsigSHA256Url };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signed.AddReference(reference);
        var keyInfo = new KeyInfo();
        keyInfo.AddClause(new KeyInfoX509Data(_certificate.Value));
        signed.KeyInfo = keyInfo;
        signed.ComputeSignature();
        xml.DocumentElement!.AppendChild(xml.ImportNode(signed.GetXml(), deep: true));

        using var output = new MemoryStream();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { Encoding = new UTF8Encoding(false) }))
        {
            xml.Save(writer);
        }

        return output.ToArray();
    }

    private static byte[] Serialize(XDocument document)
    {
        using var output = new MemoryStream();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
        {
            document.Save(writer);
        }

        return output.ToArray();
    }

    private static X509Certificate2 Create(string subject)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={subject}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, critical: true));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(2));
    }
}
