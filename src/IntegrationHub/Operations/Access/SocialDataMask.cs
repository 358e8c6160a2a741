using System.Xml;
using System.Xml.Linq;
using IntegrationHub.Signing;

namespace IntegrationHub.Operations.Access;

/// <summary>
/// What an operator without the right sees of social data: the structure (element and attribute names) but none of the
/// values. Applied by the services, so the API, the console and hubctl mask alike.
/// </summary>
public static class SocialDataMask
{
    public const string Hidden = "•••";

    /// <summary>Every text value and attribute value replaced; namespace declarations kept. Unparseable input is hidden whole.</summary>
    public static string MaskXml(string xml)
    {
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), SafeXml.CreateReaderSettings(16 * 1024 * 1024));
            document = XDocument.Load(reader);
        }
        catch (XmlException)
        {
            return Hidden;
        }
        foreach (var text in document.DescendantNodes().OfType<XText>().Where(t => !string.IsNullOrWhiteSpace(t.Value)).ToList())
            text.Value = Hidden;
        foreach (var attribute in document.Descendants().Attributes().Where(a => !a.IsNamespaceDeclaration))
            attribute.Value = Hidden;
        return document.ToString();
    }

    /// <summary>Free text (an exception message, a header value) that may quote personal data.</summary>
    public static string MaskText(string? text) => string.IsNullOrEmpty(text) ? string.Empty : Hidden;
}
