using System.Xml;
using System.Xml.Schema;
using IntegrationHub.Contracts;
using IntegrationHub.Problems;
using IntegrationHub.Signing;

namespace IntegrationHub.Validation;

/// <summary>
/// Parses untrusted XML safely (no DTD, no resolver, size-limited) and validates it against the
/// hub's XSD contracts in the same pass. Errors name the element and line, never the value, so
/// they can go back to the sender and into logs without carrying personal data.
/// </summary>
public static class XmlContractValidator
{
    private const int MaxReportedErrors = 10;

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

    private static string SafeReason(XmlException e) =>
        e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase) ? "DTDs are prohibited"
        : e.Message.Contains("MaxCharactersInDocument", StringComparison.Ordinal) ? "the document exceeds the size limit"
        : "not well-formed";
}
