using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace IntegrationHub.OnceOnly.Checks;

/// <summary>Why a check compared nothing (<see cref="CheckOutcomes.NotChecked"/>); codes only, no personal data.</summary>
public static class NotCheckedReasons
{
    /// <summary>The application's schema states nothing to compare the evidence with (e.g. other benefits; a Wohngeld application's residence status).</summary>
    public const string AntragOhneAngabe = "ANTRAG_OHNE_ANGABE";
    /// <summary>The register's answer has no structured data the hub can compare (only a document, another currency, a malformed field).</summary>
    public const string NachweisNichtVergleichbar = "NACHWEIS_NICHT_VERGLEICHBAR";
}

/// <summary>
/// What the register says against what the application states, per evidence type; field names only, never values. A type
/// or an answer the hub cannot compare is <see cref="CheckOutcomes.NotChecked"/>, never a match.
/// <list type="bullet">
/// <item>MELDEDATEN: street, house number, postcode and town (lenient about case, blanks and "Straße"/"Str.").</item>
/// <item>EINKOMMEN: the registered amount per month (whole calendar months, else pro rata by days) against the applicant's
/// stated monthly income of the same kind, within the municipality's tolerance (<see cref="TenantEvidenceOptions.IncomeTolerancePercent"/>);
/// a registered kind the application does not state differs in <c>einkommen.art</c>.</item>
/// <item>AUFENTHALTSTITEL: the registered title must be valid on the application date (issued by then, not expired), of the
/// stated kind, and valid until the stated date; an application stating German or EU citizenship while the register holds
/// a title differs in <c>aufenthaltsstatus</c>.</item>
/// <item>LEISTUNGSBEZUG: no application schema states other benefits received, so it is never compared.</item>
/// </list>
/// </summary>
public static partial class EvidenceComparison
{
    /// <summary>Why this application cannot be compared with the evidence type at all (then the register is not asked); null if it can.</summary>
    public static string? NotComparable(string type, ApplicationStatement stated) => type switch
    {
        EvidenceTypes.Meldedaten or EvidenceTypes.Einkommen => null,
        EvidenceTypes.Aufenthaltstitel when stated.Residence is not null && stated.Antragsdatum is not null => null,
        _ => NotCheckedReasons.AntragOhneAngabe,
    };

    /// <summary>The check of one answer: match, discrepancy with the differing fields, or not checked with a reason.</summary>
    public static ApplicationCheck Compare(string type, JsonObject data, ApplicationStatement stated, decimal incomeTolerancePercent, string? provider)
    {
        var differences = new List<string>();
        var comparable = NotComparable(type, stated) is null && type switch
        {
            EvidenceTypes.Meldedaten => Address(data, stated.Applicant, differences),
            EvidenceTypes.Einkommen => Income(data, stated, incomeTolerancePercent, differences),
            EvidenceTypes.Aufenthaltstitel => Residence(data, stated, differences),
            _ => false,
        };
        if (!comparable)
            return new ApplicationCheck(type, CheckOutcomes.NotChecked, [], NotComparable(type, stated) ?? NotCheckedReasons.NachweisNichtVergleichbar, provider);
        return new ApplicationCheck(type, differences.Count == 0 ? CheckOutcomes.Match : CheckOutcomes.Discrepancy, differences, null, provider);
    }

    private static bool Address(JsonObject data, PersonReference applicant, List<string> differences)
    {
        if (data["anschrift"] is not JsonObject registered) return false;
        void Field(string name, string? stated)
        {
            if (!string.Equals(NormalizeStreet(Text(registered[name])), NormalizeStreet(stated), StringComparison.Ordinal))
                differences.Add("anschrift." + name);
        }
        Field("strasse", applicant.Strasse);
        Field("hausnummer", applicant.Hausnummer);
        Field("postleitzahl", applicant.Postleitzahl);
        Field("ort", applicant.Ort);
        return true;
    }

    private static bool Income(JsonObject data, ApplicationStatement stated, decimal tolerancePercent, List<string> differences)
    {
        var amount = ApplicationStatement.Amount(Text(data["betrag"]));
        var art = Text(data["art"]);
        var von = ApplicationStatement.Date(Text(data["zeitraum"]?["von"]));
        var bis = ApplicationStatement.Date(Text(data["zeitraum"]?["bis"]));
        // The application states euro; another currency would need a rate the hub does not have.
        if (amount is null || art is null || von is null || bis is null || bis < von || Text(data["waehrung"]) != "EUR") return false;

        var monthly = amount.Value / Months(von.Value, bis.Value);
        var same = stated.Incomes.Where(i => i.Art == art).ToList();
        if (same.Count == 0)
            differences.Add("einkommen.art");
        else if (Math.Abs(same.Sum(i => i.BetragMonatlich) - monthly) > monthly * tolerancePercent / 100m)
            differences.Add("einkommen.betragMonatlich");
        return true;
    }

    // Whole calendar months where the period is made of them (the usual register extract), else pro rata by days.
    private static decimal Months(DateOnly von, DateOnly bis) =>
        von.Day == 1 && bis.AddDays(1).Day == 1
            ? (bis.Year - von.Year) * 12 + bis.Month - von.Month + 1
            : (bis.DayNumber - von.DayNumber + 1) * 12m / 365.25m;

    private static bool Residence(JsonObject data, ApplicationStatement stated, List<string> differences)
    {
        var titelart = Text(data["titelart"]);
        if (string.IsNullOrWhiteSpace(titelart)) return false;
        var erteiltAm = ApplicationStatement.Date(Text(data["erteiltAm"]));
        var gueltigBis = ApplicationStatement.Date(Text(data["gueltigBis"]));
        // A date that is there but unreadable is not "unbefristet".
        if ((data["erteiltAm"] is not null && erteiltAm is null) || (data["gueltigBis"] is not null && gueltigBis is null)) return false;

        var residence = stated.Residence!;
        if (residence.NeedsNoTitle)
        {
            differences.Add("aufenthaltsstatus");
            return true;
        }
        var antragsdatum = stated.Antragsdatum!.Value;
        if (erteiltAm > antragsdatum || gueltigBis < antragsdatum)
            differences.Add("aufenthaltstitel.gueltigkeit");
        if (!SameTitle(residence.Titelart, titelart))
            differences.Add("aufenthaltstitel.titelart");
        if (residence.GueltigBis != gueltigBis)
            differences.Add("aufenthaltstitel.gueltigBis");
        return true;
    }

    // "Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG)": the kind, and the legal basis in brackets where both sides name one.
    private static bool SameTitle(string? stated, string registered)
    {
        var (statedKind, statedBasis) = SplitTitle(stated ?? string.Empty);
        var (registeredKind, registeredBasis) = SplitTitle(registered);
        return statedKind.Length > 0 && statedKind == registeredKind
            && (statedBasis is null || registeredBasis is null || statedBasis == registeredBasis);
    }

    private static (string Kind, string? Basis) SplitTitle(string title)
    {
        var open = title.IndexOf('(', StringComparison.Ordinal);
        var kind = Collapse(open < 0 ? title : title[..open]);
        var basis = open < 0 ? null : Collapse(title[(open + 1)..].TrimEnd(')', ' ')).Replace("§ ", "§", StringComparison.Ordinal);
        return (kind, string.IsNullOrEmpty(basis) ? null : basis);
    }

    private static string Collapse(string value) => Whitespace().Replace(value.Trim(), " ").ToLowerInvariant();

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    // "Heidestr. 17" and "Heidestraße 17" are the same street to a caseworker: compare lenient about case, space and "str.".
    private static string NormalizeStreet(string? value) =>
        string.Join(' ', (value ?? string.Empty).ToLowerInvariant().Replace("straße", "str.", StringComparison.Ordinal)
            .Replace("strasse", "str.", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries));

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
