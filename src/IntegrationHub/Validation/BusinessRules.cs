using System.Xml;
using IntegrationHub.Problems;
using IntegrationHub.Tenancy;

namespace IntegrationHub.Validation;

/// <summary>Checks beyond the schema that decide whether this municipality can take the application.</summary>
public static class BusinessRules
{
    public static void Check(XmlDocument application, string schemaUri, ServiceOptions service, string ars, DateTimeOffset now)
    {
        var root = application.DocumentElement!;
        if (!string.Equals(service.SchemaUri, schemaUri, StringComparison.Ordinal))
            throw new SubmissionProblemException(ProblemTypes.SchemaUnsupported, $"Service {service.LeikaKey} accepts '{service.SchemaUri}', not '{schemaUri}'.");
        if (root.NamespaceURI != schemaUri)
            throw new SubmissionProblemException(ProblemTypes.SchemaUnsupported, $"The root element's namespace does not match the announced schema '{schemaUri}'.");

        var reader = Path(root, "nachrichtenkopf", "leser", "kennung");
        if (reader != ars)
            throw new SubmissionProblemException(ProblemTypes.MunicipalityMismatch, "nachrichtenkopf/leser/kennung does not name the destination's municipality.");
        var applicantArs = Path(root, "antragsteller", "anschrift", "ars");
        if (applicantArs is not null && applicantArs != ars)
            throw new SubmissionProblemException(ProblemTypes.MunicipalityMismatch, "The applicant's address (antragsteller/anschrift/ars) lies outside the destination's municipality.");

        // xs:date may carry a time zone ("2026-05-01+02:00"); the calendar date is the first ten characters.
        if (Path(root, "antragsdatum") is { } date)
        {
            if (date.Length < 10 || !DateOnly.TryParseExact(date[..10], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.None, out var applied))
                throw new SubmissionProblemException(ProblemTypes.BusinessRuleViolated, "antragsdatum is not a calendar date.");
            if (applied > DateOnly.FromDateTime(now.UtcDateTime.AddDays(1)))
                throw new SubmissionProblemException(ProblemTypes.BusinessRuleViolated, "antragsdatum lies in the future.");
        }
    }

    /// <summary>The text of the first element along a path of local names (the schema already fixed the structure).</summary>
    public static string? Path(XmlElement start, params string[] localNames)
    {
        XmlElement? current = start;
        foreach (var name in localNames)
            current = current?.ChildNodes.OfType<XmlElement>().FirstOrDefault(e => e.LocalName == name);
        return current?.InnerText.Trim();
    }
}
