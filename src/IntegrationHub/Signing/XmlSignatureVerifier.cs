using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace IntegrationHub.Signing;

/// <summary>Result of <see cref="XmlSignatureVerifier.Verify"/>; <see cref="Failure"/> is a short fixed reason, never document content.</summary>
public sealed record SignatureCheck(bool IsValid, string? Failure)
{
    public static SignatureCheck Valid { get; } = new(true, null);

    internal static SignatureCheck Fail(string failure) => new(false, failure);
}

/// <summary>
/// Verifies the hub's XMLDSig profile strictly against a pinned certificate. Anything the hub does not
/// produce is refused before the cryptographic check: a second signature, a signature outside the document
/// element, a Reference other than URI="", extra transforms, other algorithms, ds:Object, comments.
/// KeyInfo is never used for trust; a certificate in it must be the pinned one.
/// </summary>
public static class XmlSignatureVerifier
{
    public static SignatureCheck Verify(XmlDocument document, X509Certificate2 pinnedCertificate)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(pinnedCertificate);

        var root = document.DocumentElement;
        if (root is null)
        {
            return SignatureCheck.Fail("document has no root element");
        }

        if (document.DocumentType is not null)
        {
            return SignatureCheck.Fail("document type declarations are not allowed");
        }

        var signatures = document.GetElementsByTagName("Signature", XmlDsigProfile.DsigNamespace);
        if (signatures.Count == 0)
        {
            return SignatureCheck.Fail("signature missing");
        }

        if (signatures.Count > 1)
        {
            return SignatureCheck.Fail("more than one signature");
        }

        var signature = (XmlElement)signatures[0]!;
        if (!ReferenceEquals(signature.ParentNode, root))
        {
            return SignatureCheck.Fail("signature must be a direct child of the document element");
        }

        // Comments are outside exc-c14n (without comments) and would not be covered by the signature.
        if (document.SelectSingleNode("//comment()") is not null)
        {
            return SignatureCheck.Fail("comments are not allowed in signed documents");
        }

        var structure = CheckStructure(signature, out var digestValue);
        if (structure is not null)
        {
            return structure;
        }

        using var pinnedKey = pinnedCertificate.GetRSAPublicKey();
        if (pinnedKey is null)
        {
            return SignatureCheck.Fail("pinned certificate has no RSA public key");
        }

        if (pinnedKey.KeySize < XmlDsigProfile.MinimumRsaBits)
        {
            return SignatureCheck.Fail("pinned certificate key is too small");
        }

        var keyInfoCheck = CheckKeyInfo(signature, pinnedCertificate);
        if (keyInfoCheck is not null)
        {
            return keyInfoCheck;
        }

        bool valid;
        try
        {
            // Never fetch anything: external references must fail, not resolve.
            var signedXml = new SignedXml(document) { Resolver = XmlResolver.ThrowingResolver };
            signedXml.LoadXml(signature);
            valid = signedXml.CheckSignature(pinnedKey);
        }
        catch (CryptographicException)
        {
            return SignatureCheck.Fail("signature could not be processed");
        }

        if (valid)
        {
            return SignatureCheck.Valid;
        }

        // SignedXml only says "invalid"; tell digest and signature value apart for the operator.
        return DigestMatches(document, signature, digestValue)
            ? SignatureCheck.Fail("signature value invalid")
            : SignatureCheck.Fail("digest mismatch");
    }

    private static SignatureCheck? CheckStructure(XmlElement signature, out byte[] digestValue)
    {
        digestValue = [];
        var children = DsigChildren(signature, out var foreign);
        if (foreign)
        {
            return SignatureCheck.Fail("unexpected content in signature");
        }

        // Signature = SignedInfo, SignatureValue, KeyInfo? and nothing else (no ds:Object: unsigned content carrier).
        if (children.Count is < 2 or > 3
            || children[0].LocalName != "SignedInfo"
            || children[1].LocalName != "SignatureValue"
            || (children.Count == 3 && children[2].LocalName != "KeyInfo"))
        {
            return SignatureCheck.Fail("unexpected signature structure");
        }

        var signedInfo = DsigChildren(children[0], out foreign);
        if (foreign || signedInfo.Count < 3 || signedInfo[0].LocalName != "CanonicalizationMethod" || signedInfo[1].LocalName != "SignatureMethod")
        {
            return SignatureCheck.Fail("unexpected SignedInfo structure");
        }

        if (signedInfo[0].GetAttribute("Algorithm") != XmlDsigProfile.ExcC14N || signedInfo[0].HasChildNodes)
        {
            return SignatureCheck.Fail("canonicalization method must be exclusive c14n");
        }

        // No child elements: also excludes HMACOutputLength tricks.
        if (signedInfo[1].GetAttribute("Algorithm") != XmlDsigProfile.RsaSha256 || signedInfo[1].HasChildNodes)
        {
            return SignatureCheck.Fail("signature method must be rsa-sha256");
        }

        if (signedInfo.Count != 3 || signedInfo[2].LocalName != "Reference")
        {
            return SignatureCheck.Fail("exactly one reference required");
        }

        var reference = signedInfo[2];
        var uri = reference.GetAttributeNode("URI");
        if (uri is null || uri.Value.Length != 0)
        {
            return SignatureCheck.Fail("reference must be URI=\"\"");
        }

        var referenceChildren = DsigChildren(reference, out foreign);
        if (foreign || referenceChildren.Count != 3
            || referenceChildren[0].LocalName != "Transforms"
            || referenceChildren[1].LocalName != "DigestMethod"
            || referenceChildren[2].LocalName != "DigestValue")
        {
            return SignatureCheck.Fail("transforms must be enveloped-signature and exc-c14n");
        }

        var transforms = DsigChildren(referenceChildren[0], out foreign);
        if (foreign || transforms.Count != 2
            || transforms.Any(t => t.LocalName != "Transform" || t.HasChildNodes)
            || transforms[0].GetAttribute("Algorithm") != XmlDsigProfile.Enveloped
            || transforms[1].GetAttribute("Algorithm") != XmlDsigProfile.ExcC14N)
        {
            return SignatureCheck.Fail("transforms must be enveloped-signature and exc-c14n");
        }

        if (referenceChildren[1].GetAttribute("Algorithm") != XmlDsigProfile.Sha256 || referenceChildren[1].HasChildNodes)
        {
            return SignatureCheck.Fail("digest method must be sha256");
        }

        try
        {
            digestValue = Convert.FromBase64String(referenceChildren[2].InnerText);
        }
        catch (FormatException)
        {
            return SignatureCheck.Fail("digest value is not base64");
        }

        return digestValue.Length == 32 ? null : SignatureCheck.Fail("digest mismatch");
    }

    private static SignatureCheck? CheckKeyInfo(XmlElement signature, X509Certificate2 pinned)
    {
        var children = DsigChildren(signature, out _);
        if (children.Count < 3)
        {
            return null;
        }

        var keyInfo = DsigChildren(children[2], out var foreign);
        if (foreign || keyInfo.Any(k => k.LocalName != "X509Data"))
        {
            return SignatureCheck.Fail("KeyInfo may only contain X509Data");
        }

        var pinnedHash = pinned.GetCertHash(HashAlgorithmName.SHA256);
        foreach (var x509Data in keyInfo)
        {
            foreach (var item in DsigChildren(x509Data, out _).Where(e => e.LocalName == "X509Certificate"))
            {
                byte[] der;
                try
                {
                    der = Convert.FromBase64String(item.InnerText);
                }
                catch (FormatException)
                {
                    return SignatureCheck.Fail("certificate not pinned");
                }

                if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(der), pinnedHash))
                {
                    return SignatureCheck.Fail("certificate not pinned");
                }
            }
        }

        return null;
    }

    private static bool DigestMatches(XmlDocument document, XmlElement signature, byte[] expected)
    {
        try
        {
            // Enveloped-signature transform by hand: copy, drop the one signature, exc-c14n, SHA-256.
            var copy = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
            copy.LoadXml(document.OuterXml);
            var sig = copy.GetElementsByTagName("Signature", XmlDsigProfile.DsigNamespace)[0]!;
            sig.ParentNode!.RemoveChild(sig);

            var c14n = new XmlDsigExcC14NTransform();
            c14n.LoadInput(copy);
            using var canonical = (Stream)c14n.GetOutput(typeof(Stream));
            return CryptographicOperations.FixedTimeEquals(SHA256.HashData(canonical), expected);
        }
        catch (Exception ex) when (ex is XmlException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Element children in the dsig namespace; <paramref name="foreign"/> flags any other element or non-whitespace text.</summary>
    private static List<XmlElement> DsigChildren(XmlElement parent, out bool foreign)
    {
        foreign = false;
        var result = new List<XmlElement>();
        foreach (XmlNode node in parent.ChildNodes)
        {
            switch (node)
            {
                case XmlElement e when e.NamespaceURI == XmlDsigProfile.DsigNamespace:
                    result.Add(e);
                    break;
                case XmlWhitespace or XmlSignificantWhitespace:
                    break;
                case XmlText when parent.LocalName is "SignatureValue" or "DigestValue" or "X509Certificate":
                    break;
                default:
                    foreign = true;
                    break;
            }
        }

        return result;
    }
}
