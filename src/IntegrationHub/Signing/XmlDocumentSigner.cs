using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace IntegrationHub.Signing;

/// <summary>
/// Enveloped XMLDSig over the whole document: rsa-sha256, exclusive C14N, one Reference URI="" with
/// enveloped-signature + exc-c14n, sha256 digest, KeyInfo/X509Data with the signing certificate.
/// The ds:Signature becomes the last child of the document element.
/// </summary>
public static class XmlDocumentSigner
{
    public static void SignEnveloped(XmlDocument document, X509Certificate2 certificateWithPrivateKey)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(certificateWithPrivateKey);
        var root = document.DocumentElement ?? throw new ArgumentException("Document has no root element.", nameof(document));

        if (document.GetElementsByTagName("Signature", XmlDsigProfile.DsigNamespace).Count > 0)
        {
            // The verifier accepts exactly one signature; signing twice would produce an unverifiable document.
            throw new InvalidOperationException("Document already contains an XML signature.");
        }

        using var key = certificateWithPrivateKey.GetRSAPrivateKey()
            ?? throw new ArgumentException("Certificate has no RSA private key.", nameof(certificateWithPrivateKey));
        if (key.KeySize < XmlDsigProfile.MinimumRsaBits)
        {
            throw new ArgumentException($"RSA key must have at least {XmlDsigProfile.MinimumRsaBits} bits.", nameof(certificateWithPrivateKey));
        }

        // exc-c14n without comments does not sign comments, so they could be altered unnoticed; the verifier
        // refuses documents with comments, hence they are removed before signing.
        RemoveComments(document);

        var signedXml = new SignedXml(document) { SigningKey = key };
        signedXml.SignedInfo!.CanonicalizationMethod = XmlDsigProfile.ExcC14N;
        signedXml.SignedInfo.SignatureMethod = XmlDsigProfile.RsaSha256;

        var reference = new Reference(string.Empty) { DigestMethod = XmlDsigProfile.Sha256 };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signedXml.AddReference(reference);

        var keyInfo = new KeyInfo();
        keyInfo.AddClause(new KeyInfoX509Data(certificateWithPrivateKey));
        signedXml.KeyInfo = keyInfo;

        signedXml.ComputeSignature();
        root.AppendChild(document.ImportNode(signedXml.GetXml(), deep: true));
    }

    private static void RemoveComments(XmlDocument document)
    {
        var comments = document.SelectNodes("//comment()");
        if (comments is null)
        {
            return;
        }

        foreach (var comment in comments.Cast<XmlNode>().ToList())
        {
            comment.ParentNode?.RemoveChild(comment);
        }
    }
}
