using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace IntegrationHub.Simulators.Crypto;

/// <summary>
/// How a receiving Fachverfahren checks the hub's handover signature, written independently of the hub:
/// one enveloped ds:Signature under the root, one Reference URI="", enveloped + exc-c14n only, rsa-sha256/sha256,
/// no comments, no ds:Object, and the key of the PINNED certificate (KeyInfo is never trusted).
/// </summary>
public static class ReceivedSignature
{
    private const string Ds = SignedXml.XmlDsigNamespaceUrl;

    public static (bool Ok, string? Failure) Verify(XmlDocument doc, X509Certificate2 pinned)
    {
        ArgumentNullException.ThrowIfNull(doc);
        ArgumentNullException.ThrowIfNull(pinned);
        var root = doc.DocumentElement;
        if (root is null)
        {
            return (false, "no root element");
        }

        var ns = new XmlNamespaceManager(doc.NameTable);
        ns.AddNamespace("ds", Ds);

        var all = doc.SelectNodes("//ds:Signature", ns)!;
        if (all.Count != 1)
        {
            return (false, all.Count == 0 ? "signature missing" : "more than one signature");
        }

        var sig = (XmlElement)all[0]!;
        if (sig.ParentNode != root)
        {
            return (false, "signature not directly under the root element");
        }

        if (doc.SelectSingleNode("//comment()") is not null)
        {
            return (false, "comments not allowed");
        }

        string? Alg(string xpath) => (sig.SelectSingleNode(xpath, ns) as XmlElement)?.GetAttribute("Algorithm");

        var refs = sig.SelectNodes("ds:SignedInfo/ds:Reference", ns)!;
        if (refs.Count != 1)
        {
            return (false, "exactly one reference required");
        }

        var uri = ((XmlElement)refs[0]!).GetAttributeNode("URI");
        if (uri is null || uri.Value != string.Empty)
        {
            return (false, "reference must be URI=\"\"");
        }

        var transforms = sig.SelectNodes("ds:SignedInfo/ds:Reference/ds:Transforms/*", ns)!.Cast<XmlElement>().ToList();
        if (transforms.Count != 2
            || transforms[0].GetAttribute("Algorithm") != SignedXml.XmlDsigEnvelopedSignatureTransformUrl
            || transforms[1].GetAttribute("Algorithm") != SignedXml.XmlDsigExcC14NTransformUrl
            || transforms.Any(t => t.HasChildNodes))
        {
            return (false, "transforms not allowed");
        }

        if (Alg("ds:SignedInfo/ds:CanonicalizationMethod") != SignedXml.XmlDsigExcC14NTransformUrl
            || Alg("ds:SignedInfo/ds:SignatureMethod") != SignedXml.XmlDsigRSASHA256Url
            || Alg("ds:SignedInfo/ds:Reference/ds:DigestMethod") != SignedXml.XmlDsigSHA256Url
            || sig.SelectSingleNode("ds:SignedInfo/ds:SignatureMethod/*", ns) is not null)
        {
            return (false, "algorithm not allowed");
        }

        if (sig.SelectSingleNode("ds:Object", ns) is not null)
        {
            return (false, "ds:Object not allowed");
        }

        var pinnedDer = pinned.RawData;
        foreach (XmlNode c in sig.SelectNodes("ds:KeyInfo/ds:X509Data/ds:X509Certificate", ns)!)
        {
            byte[] der;
            try
            {
                der = Convert.FromBase64String(c.InnerText);
            }
            catch (FormatException)
            {
                return (false, "certificate not pinned");
            }

            if (!der.AsSpan().SequenceEqual(pinnedDer))
            {
                return (false, "certificate not pinned");
            }
        }

        using var key = pinned.GetRSAPublicKey();
        if (key is null)
        {
            return (false, "pinned certificate has no RSA key");
        }

        try
        {
            var signed = new SignedXml(doc) { Resolver = XmlResolver.ThrowingResolver };
            signed.LoadXml(sig);
            return signed.CheckSignature(key) ? (true, null) : (false, "signature or digest invalid");
        }
        catch (CryptographicException)
        {
            return (false, "signature could not be processed");
        }
    }
}
