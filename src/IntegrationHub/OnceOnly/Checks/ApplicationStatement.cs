using System.Globalization;
using System.Xml.Linq;
using IntegrationHub.Contracts;

namespace IntegrationHub.OnceOnly.Checks;

/// <summary>One income the applicant states: its kind (EinkommensartType) and the monthly amount in euro.</summary>
public sealed record StatedIncome(string Art, decimal BetragMonatlich);

/// <summary>
/// The residence status the applicant states (Sozialhilfe's <c>aufenthaltsstatus</c>): German, EU freedom of movement, or a
/// title of a kind valid until a date.
/// </summary>
public sealed record StatedResidence(bool NeedsNoTitle, string? Titelart, DateOnly? GueltigBis);

/// <summary>
/// What a validated application (any schema built on <c>AntragBasisType</c>) states that a register can confirm. Only the
/// applicant's own statements: household members' incomes are theirs, not the applicant's.
/// </summary>
/// <param name="Incomes">The applicant's incomes (Sozialhilfe <c>einkommen</c>, Wohngeld <c>einkommenAntragsteller</c>); none stated is a statement too.</param>
/// <param name="Residence">Null where the application's schema asks nothing about it (Wohngeld).</param>
/// <param name="Consent">The evidence types of the citizen's consent (<c>einwilligung</c>); empty without consent.</param>
public sealed record ApplicationStatement(
    PersonReference Applicant,
    DateOnly? Antragsdatum,
    IReadOnlyList<StatedIncome> Incomes,
    StatedResidence? Residence,
    IReadOnlyList<string> Consent)
{
    private static readonly XNamespace Ihc = XoevSchemas.CommonNamespace;

    /// <summary>Reads the application's root element; null without an applicant.</summary>
    public static ApplicationStatement? Read(XElement antrag)
    {
        var applicant = antrag.Element(Ihc + "antragsteller");
        if (applicant is null) return null;
        var own = antrag.Name.Namespace;
        var address = applicant.Element(Ihc + "anschrift");
        var person = new PersonReference(
            applicant.Element(Ihc + "identifikationsnummer")?.Value,
            applicant.Element(Ihc + "familienname")?.Value,
            applicant.Element(Ihc + "vorname")?.Value,
            Date(applicant.Element(Ihc + "geburtsdatum")?.Value),
            address?.Element(Ihc + "strasse")?.Value,
            address?.Element(Ihc + "hausnummer")?.Value,
            address?.Element(Ihc + "postleitzahl")?.Value,
            address?.Element(Ihc + "ort")?.Value);

        var incomes = antrag.Elements(own + "einkommen").Concat(antrag.Elements(own + "einkommenAntragsteller"))
            .Select(e => (Art: e.Element(Ihc + "art")?.Value, Betrag: Amount(e.Element(Ihc + "betragMonatlich")?.Value)))
            .Where(e => e.Art is not null && e.Betrag is not null)
            .Select(e => new StatedIncome(e.Art!, e.Betrag!.Value)).ToList();

        StatedResidence? residence = null;
        if (antrag.Element(own + "aufenthaltsstatus") is { } status)
        {
            var title = status.Element(own + "aufenthaltstitel");
            residence = title is null
                ? new StatedResidence(true, null, null)
                : new StatedResidence(false, title.Element(own + "titelart")?.Value, Date(title.Element(own + "gueltigBis")?.Value));
        }

        var consent = antrag.Element(Ihc + "einwilligung");
        IReadOnlyList<string> scope = consent?.Element(Ihc + "nachweisabrufErteilt")?.Value is "true" or "1"
            ? consent.Elements(Ihc + "umfang").Select(u => u.Value.Trim()).ToList()
            : [];
        return new ApplicationStatement(person, Date(antrag.Element(Ihc + "antragsdatum")?.Value), incomes, residence, scope);
    }

    /// <summary>An xs:date (a time zone suffix is ignored: a date is a calendar day to a caseworker).</summary>
    internal static DateOnly? Date(string? value) =>
        value is { Length: >= 10 } && DateOnly.TryParseExact(value[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date : null;

    internal static decimal? Amount(string? value) =>
        decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) ? amount : null;
}
