using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.OnceOnly.Protocol;

/// <summary>
/// A person's pseudonym in the access protocol: "p-" + lower-case hex HMAC-SHA256, keyed with the protocol key, over
/// "idnr:" + the IDNr (11 digits, spaces removed) when there is one, else over
/// "name:" + Familienname + "|" + Vorname + "|" + Geburtsdatum (yyyy-MM-dd), names in Unicode NFC, trimmed, inner
/// whitespace collapsed to one space, upper-cased invariantly (letters keep their identity: "ı" does not become "I").
/// Without the key, nobody can tell whose entries these are.
/// </summary>
public sealed class PersonPseudonyms(byte[] key)
{
    public const string Prefix = "p-";

    public string Of(PersonReference person)
    {
        ArgumentNullException.ThrowIfNull(person);
        return Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(Subject(person))));
    }

    /// <summary>Whether the reference names a person well enough for a pseudonym (an IDNr, or both names and the birth date).</summary>
    public static bool IsComplete(PersonReference person, out string? problem)
    {
        problem = null;
        if (!string.IsNullOrWhiteSpace(person.IdNr))
        {
            var digits = person.IdNr.Replace(" ", "", StringComparison.Ordinal);
            if (digits.Length != 11 || !digits.All(char.IsAsciiDigit)) problem = "An IDNr has 11 digits.";
        }
        else if (string.IsNullOrWhiteSpace(person.Familienname) || string.IsNullOrWhiteSpace(person.Vorname) || person.Geburtsdatum is null)
            problem = "Without an IDNr the person needs Familienname, Vorname and Geburtsdatum.";
        return problem is null;
    }

    private static string Subject(PersonReference person)
    {
        if (!IsComplete(person, out var problem)) throw new ArgumentException(problem, nameof(person));
        if (!string.IsNullOrWhiteSpace(person.IdNr)) return "idnr:" + person.IdNr.Replace(" ", "", StringComparison.Ordinal);
        return "name:" + Name(person.Familienname!) + "|" + Name(person.Vorname!) + "|"
            + person.Geburtsdatum!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private static string Name(string name) =>
        string.Join(' ', name.Normalize(NormalizationForm.FormC).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToUpperInvariant();
}
