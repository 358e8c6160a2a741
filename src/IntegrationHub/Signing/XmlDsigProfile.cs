using System.Security.Cryptography.Xml;

namespace IntegrationHub.Signing;

/// <summary>The one XMLDSig profile the hub produces and accepts.</summary>
internal static class XmlDsigProfile
{
    public const string DsigNamespace = SignedXml.XmlDsigNamespaceUrl;
    public const string RsaSha256 = SignedXml.XmlDsigRSASHA256Url; // http://www.w3.org/2001/04/xmldsig-more#rsa-sha256
    public const string ExcC14N = SignedXml.XmlDsigExcC14NTransformUrl; // http://www.w3.org/2001/10/xml-exc-c14n#
    public const string Enveloped = SignedXml.XmlDsigEnvelopedSignatureTransformUrl;
    public const string Sha256 = SignedXml.XmlDsigSHA256Url;
    public const int MinimumRsaBits = 2048;
}
