using System.Text;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using System.Xml;
using System.Xml.Schema;
using IntegrationHub.Contracts;
using IntegrationHub.Problems;
using IntegrationHub.Signing;
using IntegrationHub.Tenancy;

namespace IntegrationHub.Validation;

/// <summary>
/// Parses untrusted XML safely (no DTD, no resolver, size-limited) and validates it against the
/// hub's XSD contracts in the same pass. Errors name the element and line, never the value, so
/// they can go back to the sender and into logs without carrying personal data.
/// </summary>
public static partial class XmlContractValidator
{
    private const int MaxReportedErrors = 10;

    /// <summary>
    /// A sender's application as intake takes it: first the hub's policy for untrusted XML, each breach with its own problem
    /// type (UTF-8 only: no other encoding declared or marked and no bytes that are not UTF-8; no DTD; no processing
    /// instruction; nesting, text nodes and attribute values within <paramref name="limits"/>; the root element in
    /// <paramref name="expectedNamespace"/>), then <see cref="LoadAndValidate"/>.
    /// </summary>
    public static XmlDocument LoadSubmission(byte[] xml, IntakeLimits limits, string expectedNamespace)
    {
        ArgumentNullException.ThrowIfNull(xml);
        ArgumentNullException.ThrowIfNull(limits);
        CheckEncoding(xml);
        CheckStructure(xml, limits, expectedNamespace);
        return LoadAndValidate(xml, limits.MaxXmlCharacters);
    }

    private static void CheckEncoding(byte[] xml)
    {
        ReadOnlySpan<byte> text = xml;
        if (text.StartsWith("\uFEFF"u8)) text = text[3..];
        else if (text.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || text.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
            throw new SubmissionProblemException(ProblemTypes.XmlEncodingInvalid, "The data starts with a UTF-16 or UTF-32 byte order mark; applications are UTF-8.");
        // NUL is never allowed in XML; a UTF-16 or UTF-32 document without byte order mark is full of them.
        if (!Utf8.IsValid(text) || text.Contains((byte)0))
            throw new SubmissionProblemException(ProblemTypes.XmlEncodingInvalid, "The data contains bytes that are not valid UTF-8 characters of an XML document.");
        // The XML declaration, not a processing instruction whose name starts with "xml" (those are refused below).
        if (text.StartsWith("<?xml"u8) && text.Length > 5 && text[5] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            var end = text.IndexOf("?>"u8);
            var declaration = Encoding.UTF8.GetString(end < 0 ? text[..Math.Min(text.Length, 200)] : text[..end]);
            if (DeclaredEncoding().Match(declaration) is { Success: true } declared
                && !declared.Groups[1].Value.Equals("UTF-8", StringComparison.OrdinalIgnoreCase))
                throw new SubmissionProblemException(ProblemTypes.XmlEncodingInvalid, "The XML declaration names an encoding other than UTF-8.");
        }
    }

    // A pass with a plain safe reader before the validating one: the validator would report these as schema errors or not at all.
    private static void CheckStructure(byte[] xml, IntakeLimits limits, string expectedNamespace)
    {
        var rootSeen = false;
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(xml, writable: false), SafeXml.CreateReaderSettings(limits.MaxXmlCharacters));
            var lines = (IXmlLineInfo)reader;
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.ProcessingInstruction:
                        throw new SubmissionProblemException(ProblemTypes.XmlProcessingInstruction,
                            $"Line {lines.LineNumber}: processing instructions are not allowed in an application.");
                    case XmlNodeType.Element:
                        if (reader.Depth >= limits.MaxXmlDepth)
                            throw new SubmissionProblemException(ProblemTypes.XmlLimitExceeded,
                                $"Line {lines.LineNumber}: elements are nested deeper than {limits.MaxXmlDepth} levels.");
                        if (!rootSeen && reader.NamespaceURI != expectedNamespace)
                            throw new SubmissionProblemException(ProblemTypes.XmlNamespaceInvalid,
                                $"The root element ({reader.LocalName}) is not in the namespace '{expectedNamespace}' of the announced schema.");
                        rootSeen = true;
                        for (var more = reader.MoveToFirstAttribute(); more; more = reader.MoveToNextAttribute())
                            CheckLength(reader, limits, lines);
                        reader.MoveToElement();
                        break;
                    case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace or XmlNodeType.Comment:
                        CheckLength(reader, limits, lines);
                        break;
                }
            }
        }
        catch (XmlException e)
        {
            var reason = SafeReason(e);
            throw new SubmissionProblemException(
                reason == DtdReason ? ProblemTypes.XmlDtdProhibited : reason == SizeReason ? ProblemTypes.XmlLimitExceeded : ProblemTypes.XmlMalformed,
                $"The XML is not well-formed or not allowed (line {e.LineNumber}): {reason}");
        }
    }

    private static void CheckLength(XmlReader reader, IntakeLimits limits, IXmlLineInfo lines)
    {
        if (reader.Value.Length > limits.MaxXmlValueCharacters)
            throw new SubmissionProblemException(ProblemTypes.XmlLimitExceeded,
                $"Line {lines.LineNumber}: {(reader.NodeType == XmlNodeType.Attribute ? $"the value of attribute {reader.LocalName}" : "a text node")} is longer than {limits.MaxXmlValueCharacters} characters.");
    }

    [GeneratedRegex("""encoding\s*=\s*["']([^"']*)["']""")]
    private static partial Regex DeclaredEncoding();

    public static XmlDocument LoadAndValidate(byte[] xml, long maxCharacters)
    {
        var errors = new List<string>();
        var settings = SafeXml.CreateReaderSettings(maxCharacters);
        settings.IgnoreProcessingInstructions = true;
        settings.ValidationType = ValidationType.Schema;
        settings.Schemas = XoevSchemas.Load();
        settings.ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings;
        settings.ValidationEventHandler += (sender, e) =>
        {
            if (errors.Count < MaxReportedErrors) errors.Add(Describe(e, (sender as XmlReader)?.LocalName));
        };

        var document = new XmlDocument { XmlResolver = null, PreserveWhitespace = true };
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(xml), settings);
            document.Load(reader);
        }
        catch (XmlException e)
        {
            throw new SubmissionProblemException(ProblemTypes.XmlMalformed, $"The XML is not well-formed or not allowed (line {e.LineNumber}): {SafeReason(e)}");
        }
        if (document.DocumentElement is null)
            throw new SubmissionProblemException(ProblemTypes.XmlMalformed, "The XML has no root element.");
        if (errors.Count > 0)
            throw new SubmissionProblemException(ProblemTypes.SchemaInvalid, string.Join("; ", errors));
        return document;
    }

    // XmlSchemaException messages quote the offending value; keep only where and which rule.
    private static string Describe(ValidationEventArgs e, string? element)
    {
        var at = $"line {e.Exception.LineNumber}, position {e.Exception.LinePosition}";
        var rule = e.Message.Contains("has invalid child element", StringComparison.Ordinal) ? "unexpected child element"
            : e.Message.Contains("incomplete content", StringComparison.Ordinal) ? "required element missing"
            : e.Message.Contains("Pattern constraint", StringComparison.Ordinal) ? "value does not match the pattern"
            : e.Message.Contains("Enumeration constraint", StringComparison.Ordinal) ? "value not in the code list"
            : e.Message.Contains("not declared", StringComparison.Ordinal) || e.Message.Contains("Could not find schema information", StringComparison.Ordinal)
                ? "element or attribute not declared in the schema"
            : e.Message.Contains("is invalid", StringComparison.Ordinal) ? "invalid value for its type"
            : "does not match the schema";
        return string.IsNullOrEmpty(element) ? $"{at}: {rule}" : $"{at} ({element}): {rule}";
    }

    private const string DtdReason = "DTDs are prohibited";
    private const string SizeReason = "the document exceeds the size limit";

    private static string SafeReason(XmlException e) =>
        e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase) ? DtdReason
        : e.Message.Contains("MaxCharactersInDocument", StringComparison.Ordinal) ? SizeReason
        : "not well-formed";
}
