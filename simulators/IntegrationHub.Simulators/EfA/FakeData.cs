using System.Globalization;
using System.Text;

namespace IntegrationHub.Simulators.EfA;

/// <summary>Fictitious German personal data, drawn from a seeded <see cref="Random"/>.</summary>
internal sealed class FakeData
{
    private static readonly IReadOnlyList<string> FemaleNames = PersonalDataVocabulary.FemaleNames;
    private static readonly IReadOnlyList<string> MaleNames = PersonalDataVocabulary.MaleNames;
    private static readonly IReadOnlyList<string> Surnames = PersonalDataVocabulary.Surnames;
    private static readonly IReadOnlyList<string> Streets = PersonalDataVocabulary.Streets;

    private static readonly string[] Residences =
    [
        "Niederlassungserlaubnis", "Aufenthaltserlaubnis (§ 25 Abs. 5 AufenthG)", "Blaue Karte EU", "Daueraufenthalt-EU",
    ];

    private readonly Random _random;

    public FakeData(Random random) => _random = random;

    public Random Random => _random;

    public int Next(int minInclusive, int maxExclusive) => _random.Next(minInclusive, maxExclusive);

    public bool Chance(double probability) => _random.NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    public (string Vorname, string Geschlecht) FirstName()
    {
        var female = _random.Next(2) == 0;
        return female ? (Pick(FemaleNames), "w") : (Pick(MaleNames), "m");
    }

    public string FirstName(string geschlecht) => geschlecht == "w" ? Pick(FemaleNames) : Pick(MaleNames);

    public string Surname() => Pick(Surnames);

    public string Street() => Pick(Streets);

    public string ResidenceTitle() => Pick(Residences);

    public string HouseNumber()
    {
        var n = _random.Next(1, 120).ToString(CultureInfo.InvariantCulture);
        return _random.Next(6) == 0 ? n + (char)('a' + _random.Next(3)) : n;
    }

    public DateOnly BirthDate(DateOnly today, int minAge, int maxAge)
    {
        var latest = today.AddYears(-minAge);
        var earliest = today.AddYears(-maxAge - 1).AddDays(1);
        var span = latest.DayNumber - earliest.DayNumber;
        return DateOnly.FromDayNumber(earliest.DayNumber + _random.Next(span + 1));
    }

    public decimal Amount(decimal min, decimal max)
    {
        var cents = _random.NextInt64((long)(min * 100), (long)(max * 100) + 1);
        return cents / 100m;
    }

    public Guid Guid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        // RFC 9562 version 4 / variant bits, so it looks like any other random UUID.
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    /// <summary>A German IBAN with a valid ISO 7064 mod-97 check number (fictitious bank code and account).</summary>
    public string Iban()
    {
        var bankCode = new StringBuilder(8);
        bankCode.Append((char)('1' + _random.Next(8)));
        for (var i = 0; i < 7; i++)
        {
            bankCode.Append((char)('0' + _random.Next(10)));
        }

        var account = new StringBuilder(10);
        for (var i = 0; i < 10; i++)
        {
            account.Append((char)('0' + _random.Next(10)));
        }

        return Ibans.Create("DE", bankCode.ToString() + account);
    }

    /// <summary>An 11-digit tax identification number with a valid MOD 11,10 check digit.</summary>
    public string SteuerIdentifikationsnummer()
    {
        // Of the first ten digits exactly one occurs twice, one not at all, and the first is not 0.
        while (true)
        {
            var digits = Enumerable.Range(0, 10).OrderBy(_ => _random.Next()).ToList();
            digits[_random.Next(1, 10)] = digits[_random.Next(0, 10)];
            if (digits[0] == 0 || digits.Distinct().Count() != 9)
            {
                continue;
            }

            var check = SteuerIds.CheckDigit(string.Concat(digits));
            return string.Concat(digits) + check.ToString(CultureInfo.InvariantCulture);
        }
    }

    public string Phone()
    {
        var sb = new StringBuilder("+49 ");
        sb.Append(_random.Next(30, 990).ToString(CultureInfo.InvariantCulture));
        sb.Append(' ');
        for (var i = 0; i < 7; i++)
        {
            sb.Append((char)('0' + _random.Next(10)));
        }

        return sb.ToString();
    }

    /// <summary>E-mail address in the reserved example.org domain (never deliverable).</summary>
    public static string Email(string vorname, string familienname) =>
        $"{Ascii(vorname)}.{Ascii(familienname)}@example.org".ToLowerInvariant();

    private static string Ascii(string s)
    {
        var sb = new StringBuilder(s.Length + 4);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                'ä' or 'Ä' => "ae",
                'ö' or 'Ö' => "oe",
                'ü' or 'Ü' => "ue",
                'ß' => "ss",
                'ı' => "i",
                'ş' or 'Ş' => "s",
                'ć' => "c",
                _ when char.IsAsciiLetterOrDigit(c) => c.ToString(),
                _ => string.Empty,
            });
        }

        return sb.ToString();
    }
}

/// <summary>
/// Every name and street <see cref="FakeData"/> draws from: lets a check (e.g. the scan of captured hub logs) recognise
/// the personal data of any seeded application without knowing the seeds.
/// </summary>
public static class PersonalDataVocabulary
{
    public static readonly IReadOnlyList<string> FemaleNames =
    [
        "Anna", "Emma", "Sophie", "Marie", "Lena", "Hannah", "Laura", "Julia", "Katharina", "Sabine",
        "Petra", "Monika", "Ursula", "Renate", "Ingrid", "Gisela", "Heike", "Birgit", "Claudia", "Ayşe",
        "Fatma", "Olga", "Jana", "Leonie", "Marta",
    ];

    public static readonly IReadOnlyList<string> MaleNames =
    [
        "Lukas", "Jonas", "Leon", "Felix", "Paul", "Maximilian", "Thomas", "Michael", "Andreas", "Stefan",
        "Jürgen", "Klaus", "Wolfgang", "Dieter", "Uwe", "Frank", "Markus", "Tobias", "Mehmet", "Ali",
        "Piotr", "Sergej", "Jan", "Niklas", "Tim",
    ];

    public static readonly IReadOnlyList<string> Surnames =
    [
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler", "Yılmaz",
        "Kaya", "Nowak", "Kowalski", "Popović", "Öztürk",
    ];

    public static readonly IReadOnlyList<string> Streets =
    [
        "Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße", "Bergstraße", "Birkenweg",
        "Lindenstraße", "Kirchstraße", "Waldstraße", "Ringstraße", "Am Anger", "Wiesenweg", "Goethestraße",
        "Schillerstraße", "Mühlenweg", "Friedrich-Ebert-Straße", "Rosenstraße", "Parkstraße", "Eichendorffweg",
    ];

    /// <summary>The e-mail address FakeData gives a person of that name.</summary>
    public static string Email(string vorname, string familienname) => FakeData.Email(vorname, familienname);
}

/// <summary>The tax identification number (IdNr, Steuer-ID): 11 digits, MOD 11,10 check digit.</summary>
public static class SteuerIds
{
    /// <summary>True for 11 digits, the first not 0, of the first ten one digit twice or thrice, and a valid check digit.</summary>
    public static bool IsValid(string? idNr)
    {
        if (idNr is not { Length: 11 } || !idNr.All(char.IsAsciiDigit) || idNr[0] == '0')
        {
            return false;
        }

        var counts = idNr[..10].GroupBy(c => c).Select(g => g.Count()).ToList();
        if (counts.Count(c => c > 1) != 1 || counts.Max() > 3)
        {
            return false;
        }

        return CheckDigit(idNr[..10]) == idNr[10] - '0';
    }

    /// <summary>The MOD 11,10 check digit of the first ten digits.</summary>
    public static int CheckDigit(string tenDigits)
    {
        var product = 10;
        foreach (var c in tenDigits)
        {
            var sum = (c - '0' + product) % 10;
            if (sum == 0)
            {
                sum = 10;
            }

            product = sum * 2 % 11;
        }

        var check = 11 - product;
        return check == 10 ? 0 : check;
    }
}

/// <summary>IBAN helpers (ISO 13616 / ISO 7064 mod 97-10).</summary>
public static class Ibans
{
    /// <summary>Builds an IBAN from country code and BBAN, computing the two check digits.</summary>
    public static string Create(string countryCode, string bban)
    {
        var remainder = Mod97(bban + countryCode + "00");
        var check = 98 - remainder;
        return countryCode + check.ToString("00", CultureInfo.InvariantCulture) + bban;
    }

    /// <summary>True when the IBAN's structure is plausible and its mod-97 remainder is 1.</summary>
    public static bool IsValid(string? iban)
    {
        if (string.IsNullOrWhiteSpace(iban))
        {
            return false;
        }

        var compact = iban.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        if (compact.Length is < 15 or > 34 || !compact.All(char.IsAsciiLetterOrDigit)
            || !char.IsAsciiLetter(compact[0]) || !char.IsAsciiLetter(compact[1])
            || !char.IsAsciiDigit(compact[2]) || !char.IsAsciiDigit(compact[3]))
        {
            return false;
        }

        return Mod97(compact[4..] + compact[..4]) == 1;
    }

    private static int Mod97(string text)
    {
        var remainder = 0;
        foreach (var c in text)
        {
            var value = char.IsAsciiDigit(c) ? c - '0' : char.ToUpperInvariant(c) - 'A' + 10;
            remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
        }

        return remainder;
    }
}
