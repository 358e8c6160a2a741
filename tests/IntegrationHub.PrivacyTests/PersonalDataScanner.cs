using System.Globalization;
using System.Text.RegularExpressions;
using IntegrationHub.Simulators.EfA;

namespace IntegrationHub.PrivacyTests;

/// <summary>A piece of personal data found in a text: its kind and the value (shown only masked).</summary>
public sealed record PersonalDataFinding(string Kind, string Value)
{
    /// <summary>The value with all but its first and last two characters hidden.</summary>
    public string Masked => Value.Length <= 6 ? new string('*', Value.Length) : Value[..2] + new string('*', Value.Length - 4) + Value[^2..];
}

/// <summary>
/// Recognises the personal data of the simulators' applications (<see cref="ApplicationFactory"/>, drawn by FakeData) without
/// knowing the seeds: every full name "Vorname Familienname" (or "Familienname, Vorname") of FakeData's vocabulary, the
/// e-mail addresses made of them, street and house number, IBANs with a valid check number, IdNr (11 digits with a valid check
/// digit and the digit rule), phone numbers, dates of birth (a date before this year, not a timestamp), and application XML
/// elements or JSON fields that carry them. Identifiers the hub logs (ARS, LeiKa keys, GUIDs, thumbprints, municipality and service names)
/// do not match: numbers must stand alone, checksums must hold.
/// </summary>
public static class PersonalDataScanner
{
    private const string Alone = @"(?<![\p{L}\p{N}])";
    private const string End = @"(?![\p{L}\p{N}])";

    private static readonly string FirstNames = Alternation(PersonalDataVocabulary.FemaleNames.Concat(PersonalDataVocabulary.MaleNames));
    private static readonly string Surnames = Alternation(PersonalDataVocabulary.Surnames);

    private static readonly Regex FullName = new($"{Alone}(?:{FirstNames})[ \\t]+(?:{Surnames}){End}", RegexOptions.Compiled);
    private static readonly Regex SurnameFirst = new($"{Alone}(?:{Surnames}),[ \\t]*(?:{FirstNames}){End}", RegexOptions.Compiled);
    private static readonly Regex StreetAddress = new(
        $"{Alone}(?:{Alternation(PersonalDataVocabulary.Streets)})[ \\t]+\\d{{1,3}}[a-c]?{End}", RegexOptions.Compiled);
    private static readonly Regex IbanCandidate = new(@"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])", RegexOptions.Compiled);
    private static readonly Regex IdNrCandidate = new($"{Alone}[1-9]\\d{{10}}{End}", RegexOptions.Compiled);
    private static readonly Regex Phone = new(@"\+49 \d{2,3} \d{7}(?!\d)", RegexOptions.Compiled);
    private static readonly Regex EmailCandidate = new(@"(?<![\w.+-])([a-z]+)\.([a-z]+)@example\.org", RegexOptions.Compiled | RegexOptions.IgnoreCase);
    // A date that is no timestamp: not followed by a time ("T08:00", " 08:00").
    private static readonly Regex IsoDate = new(@"(?<![\d-])(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?![\d-])(?!T\d|\s\d{1,2}:\d)", RegexOptions.Compiled);
    private static readonly Regex GermanDate = new(@"(?<![\d.])(0[1-9]|[12]\d|3[01])\.(0[1-9]|1[0-2])\.(\d{4})(?![\d.])(?!\s\d{1,2}:\d)", RegexOptions.Compiled);
    // How .NET renders a DateOnly/DateTime property with the invariant culture (the hub runs with invariant globalization).
    private static readonly Regex InvariantDate = new(@"(?<![\d/])(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])/(\d{4})(?![\d/])(?!\s\d{1,2}:\d)", RegexOptions.Compiled);
    private static readonly Regex PersonalElement = new(
        @"<(?:[\w-]+:)?(familienname|vorname|geburtsname|geburtsdatum|strasse|hausnummer|kontoinhaber|iban|identifikationsnummer|telefon|email)>[^<\s][^<]*<",
        RegexOptions.Compiled);

    private static readonly Regex PersonalJsonField = new(
        @"""(familienname|vorname|geburtsname|geburtsdatum|strasse|hausnummer|kontoinhaber|iban|identifikationsnummer|idNr|telefon|email)""\s*:\s*""[^""]+""",
        RegexOptions.Compiled | RegexOptions.IgnoreCase);

    // IBAN countries and lengths the check accepts (a hex token of another length never counts, whatever its checksum).
    private static readonly Dictionary<string, int> IbanLengths = new()
    {
        ["DE"] = 22, ["AT"] = 20, ["CH"] = 21, ["FR"] = 27, ["NL"] = 18, ["IT"] = 27, ["ES"] = 24, ["PL"] = 28, ["GB"] = 22, ["LU"] = 20,
    };

    private static readonly HashSet<string> Emails = (
        from f in PersonalDataVocabulary.FemaleNames.Concat(PersonalDataVocabulary.MaleNames)
        from s in PersonalDataVocabulary.Surnames
        select PersonalDataVocabulary.Email(f, s)).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every piece of personal data in the text.</summary>
    public static IReadOnlyList<PersonalDataFinding> Scan(string text)
    {
        var findings = new List<PersonalDataFinding>();
        void Add(string kind, IEnumerable<string> values) => findings.AddRange(values.Select(v => new PersonalDataFinding(kind, v)));

        Add("name", FullName.Matches(text).Concat(SurnameFirst.Matches(text)).Select(m => m.Value));
        Add("street address", StreetAddress.Matches(text).Select(m => m.Value));
        Add("IBAN", IbanCandidate.Matches(text).Select(m => m.Value).Where(IsIban));
        Add("IdNr", IdNrCandidate.Matches(text).Select(m => m.Value).Where(SteuerIds.IsValid));
        Add("phone number", Phone.Matches(text).Select(m => m.Value));
        Add("e-mail address", EmailCandidate.Matches(text).Select(m => m.Value).Where(Emails.Contains));
        Add("date of birth", IsoDate.Matches(text).Where(m => IsPastYear(m.Groups[1].Value)).Select(m => m.Value));
        Add("date of birth", GermanDate.Matches(text).Where(m => IsPastYear(m.Groups[3].Value)).Select(m => m.Value));
        Add("date of birth", InvariantDate.Matches(text).Where(m => IsPastYear(m.Groups[3].Value)).Select(m => m.Value));
        Add("application XML", PersonalElement.Matches(text).Select(m => m.Value.TrimEnd('<')));
        Add("application JSON", PersonalJsonField.Matches(text).Select(m => m.Value));
        return findings;
    }

    private static bool IsIban(string candidate)
    {
        var compact = candidate.Replace(" ", "", StringComparison.Ordinal);
        return IbanLengths.TryGetValue(compact[..2], out var length) && compact.Length == length && Ibans.IsValid(compact);
    }

    // Birth dates lie before this year; the hub's own dates (timestamps, today's dates, expiries) do not.
    private static bool IsPastYear(string year)
    {
        var y = int.Parse(year, CultureInfo.InvariantCulture);
        return y >= 1900 && y < DateTime.UtcNow.Year;
    }

    private static string Alternation(IEnumerable<string> words) =>
        string.Join("|", words.Distinct().OrderByDescending(w => w.Length).Select(Regex.Escape));
}
