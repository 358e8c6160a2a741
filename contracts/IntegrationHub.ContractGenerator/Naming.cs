using System.Text;

namespace IntegrationHub.ContractGenerator;

/// <summary>Turns XML names into C# identifiers.</summary>
internal static class Naming
{
    /// <summary>Splits at every character that cannot appear in a C# identifier.</summary>
    public static IEnumerable<string> SplitWords(string name)
    {
        var current = new StringBuilder();
        foreach (var ch in name)
        {
            if (char.IsLetterOrDigit(ch))
            {
                current.Append(ch);
            }
            else if (current.Length > 0)
            {
                yield return current.ToString();
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    /// <summary><c>nachrichtUUID</c> → <c>NachrichtUUID</c>, <c>wohngeld.antrag.0001</c> → <c>WohngeldAntrag0001</c>.</summary>
    public static string ToPascal(string name)
    {
        var sb = new StringBuilder();
        foreach (var word in SplitWords(name))
        {
            sb.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
        }

        return FixStart(sb.ToString(), "Item");
    }

    /// <summary>Enumeration literal → member name: <c>HILFE_ZUM_LEBENSUNTERHALT</c> → <c>HilfeZumLebensunterhalt</c>, <c>m</c> → <c>M</c>.</summary>
    public static string ToEnumMember(string literal)
    {
        var sb = new StringBuilder();
        foreach (var word in SplitWords(literal))
        {
            var allUpper = word.Length > 1 && word.Any(char.IsLetter) && !word.Any(char.IsLower);
            var rest = allUpper ? word[1..].ToLowerInvariant() : word[1..];
            sb.Append(char.ToUpperInvariant(word[0])).Append(rest);
        }

        return sb.Length == 0 ? "Empty" : FixStart(sb.ToString(), "Item");
    }

    private static string FixStart(string identifier, string prefix)
    {
        if (identifier.Length == 0)
        {
            return prefix;
        }

        return char.IsDigit(identifier[0]) ? prefix + identifier : identifier;
    }

    /// <summary>Returns <paramref name="candidate"/>, or it with the first free numeric suffix, and records it as used.</summary>
    public static string MakeUnique(string candidate, ISet<string> used)
    {
        var name = candidate;
        for (var i = 2; used.Contains(name); i++)
        {
            name = candidate + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        used.Add(name);
        return name;
    }
}
