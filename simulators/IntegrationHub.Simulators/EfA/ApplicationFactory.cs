using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace IntegrationHub.Simulators.EfA;

/// <summary>Which schema defect the invalid Wohngeld variant carries.</summary>
public enum SchemaDefect
{
    /// <summary>The applicant's Postleitzahl gets a letter (e.g. "6306A").</summary>
    InvalidPostleitzahl,

    /// <summary>The required wg:miete element is left out.</summary>
    MissingMiete,
}

/// <summary>
/// Builds realistic, fictitious applications (XÖV-style XML after xsd/ih-*.xsd) deterministically
/// from a seed: the same arguments always give the same bytes.
/// </summary>
public static class ApplicationFactory
{
    public const string CommonNamespace = "urn:integrationhub:xoev:common:1.0";
    public const string WohngeldNamespace = "urn:integrationhub:xoev:wohngeld:1.0";
    public const string SozialhilfeNamespace = "urn:integrationhub:xoev:sozialhilfe:1.0";
    public const string WohngeldRoot = "wohngeld.antrag.0001";
    public const string SozialhilfeRoot = "sozialhilfe.antrag.0001";

    /// <summary>Client id put into nachrichtenkopf/autor/kennung when none is given.</summary>
    public const string DefaultOnlineServiceId = "efa-onlinedienst-demo";

    private const string NachrichtentypList = "urn:integrationhub:xoev:codeliste:nachrichtentyp";
    private const string VerzeichnisdienstList = "urn:integrationhub:xoev:codeliste:verzeichnisdienst";

    private static readonly XNamespace Ihc = CommonNamespace;
    private static readonly XNamespace Wg = WohngeldNamespace;
    private static readonly XNamespace Sh = SozialhilfeNamespace;

    /// <summary>Municipalities used when a variant needs "another" one (ARS, PLZ, Ort).</summary>
    private static readonly (string Ars, string Plz, string Ort)[] OtherMunicipalities =
    [
        ("064120000000", "60311", "Frankfurt am Main"),
        ("064110000000", "64283", "Darmstadt"),
        ("064130000000", "63065", "Offenbach am Main"),
        ("064140000000", "65183", "Wiesbaden"),
    ];

    /// <summary>A valid Wohngeld (Mietzuschuss) application for the municipality.</summary>
    /// <param name="ars">12-digit ARS of the addressed municipality (nachrichtenkopf/leser and the applicant's address).</param>
    /// <param name="plz">Postleitzahl of the applicant's address.</param>
    /// <param name="ort">Ort of the applicant's address.</param>
    /// <param name="seed">Determines every generated value.</param>
    /// <param name="onlineServiceId">The sender's client id (nachrichtenkopf/autor/kennung).</param>
    /// <param name="createdAt">Creation time; by default a fixed time derived from the seed.</param>
    /// <param name="withAttachment">Attach a PDF; by default every even seed does.</param>
    public static DemoApplication Wohngeld(
        string ars,
        string plz,
        string ort,
        int seed,
        string onlineServiceId = DefaultOnlineServiceId,
        DateTimeOffset? createdAt = null,
        bool? withAttachment = null)
    {
        var doc = BuildWohngeld(ars, plz, ort, seed, onlineServiceId, createdAt, out var data);
        return new DemoApplication(
            $"wohngeld-valid-seed-{seed}",
            DemoServices.WohngeldLeikaKey,
            DemoServices.WohngeldName,
            DemoServices.WohngeldSchemaUri,
            Serialize(doc),
            Attachments(data, withAttachment ?? seed % 2 == 0, "Mietbescheinigung"),
            ExpectedValid: true,
            ExpectedProblem: null);
    }

    /// <summary>A Wohngeld application that violates the schema (by default PLZ "6306A").</summary>
    public static DemoApplication WohngeldSchemaInvalid(
        string ars,
        string plz,
        string ort,
        int seed,
        SchemaDefect defect = SchemaDefect.InvalidPostleitzahl,
        string onlineServiceId = DefaultOnlineServiceId,
        DateTimeOffset? createdAt = null)
    {
        var doc = BuildWohngeld(ars, plz, ort, seed, onlineServiceId, createdAt, out var data);
        var root = doc.Root!;
        switch (defect)
        {
            case SchemaDefect.InvalidPostleitzahl:
                var postleitzahl = root.Element(Ihc + "antragsteller")!.Element(Ihc + "anschrift")!.Element(Ihc + "postleitzahl")!;
                var digits = postleitzahl.Value;
                postleitzahl.Value = digits[..^1] + "A";
                break;
            case SchemaDefect.MissingMiete:
                root.Element(Wg + "miete")!.Remove();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(defect), defect, null);
        }

        return new DemoApplication(
            $"wohngeld-schema-invalid-{defect}-seed-{seed}",
            DemoServices.WohngeldLeikaKey,
            DemoServices.WohngeldName,
            DemoServices.WohngeldSchemaUri,
            Serialize(doc),
            Attachments(data, false, "Mietbescheinigung"),
            ExpectedValid: false,
            ExpectedProblem: "schema-invalid");
    }

    /// <summary>A valid SGB XII application (Grundsicherung or Hilfe zum Lebensunterhalt) for the municipality.</summary>
    public static DemoApplication Sozialhilfe(
        string ars,
        string plz,
        string ort,
        int seed,
        string onlineServiceId = DefaultOnlineServiceId,
        DateTimeOffset? createdAt = null,
        bool? withAttachment = null)
    {
        var doc = BuildSozialhilfe(ars, ort, ars, plz, ort, seed, onlineServiceId, createdAt, out var data);
        return new DemoApplication(
            $"sozialhilfe-valid-seed-{seed}",
            DemoServices.SozialhilfeLeikaKey,
            DemoServices.SozialhilfeName,
            DemoServices.SozialhilfeSchemaUri,
            Serialize(doc),
            Attachments(data, withAttachment ?? seed % 2 == 1, "Kontoauszug"),
            ExpectedValid: true,
            ExpectedProblem: null);
    }

    /// <summary>
    /// A schema-valid SGB XII application addressed to <paramref name="ars"/> (nachrichtenkopf/leser)
    /// whose applicant lives in another municipality (anschrift/ars, PLZ and Ort of that one).
    /// </summary>
    public static DemoApplication SozialhilfeWrongMunicipality(
        string ars,
        string plz,
        string ort,
        int seed,
        string? otherArs = null,
        string onlineServiceId = DefaultOnlineServiceId,
        DateTimeOffset? createdAt = null)
    {
        (string Ars, string Plz, string Ort) other = otherArs is null
            ? OtherMunicipalities.First(m => m.Ars != ars)
            : OtherMunicipalities.FirstOrDefault(m => m.Ars == otherArs) is { Ars: not null } known
                ? known
                : (otherArs, "99999", "Andere Gemeinde");
        if (other.Ars == ars)
        {
            throw new ArgumentException("The other municipality must differ from the addressed one.", nameof(otherArs));
        }

        CheckMunicipality(ars, plz);
        var doc = BuildSozialhilfe(ars, ort, other.Ars, other.Plz, other.Ort, seed, onlineServiceId, createdAt, out var data);
        return new DemoApplication(
            $"sozialhilfe-wrong-municipality-seed-{seed}",
            DemoServices.SozialhilfeLeikaKey,
            DemoServices.SozialhilfeName,
            DemoServices.SozialhilfeSchemaUri,
            Serialize(doc),
            Attachments(data, false, "Kontoauszug"),
            ExpectedValid: false,
            ExpectedProblem: "wrong-municipality");
    }

    /// <summary>The default creation time for a seed: fixed, so the bytes are reproducible.</summary>
    public static DateTimeOffset DefaultCreatedAt(int seed)
    {
        var s = (uint)seed;
        return new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero)
            .AddDays(s % 280)
            .AddMinutes(s % 600);
    }

    private static XDocument BuildWohngeld(
        string ars,
        string plz,
        string ort,
        int seed,
        string onlineServiceId,
        DateTimeOffset? createdAt,
        out FakeData data)
    {
        CheckMunicipality(ars, plz);
        data = new FakeData(new Random(Mix(seed, 0x5747)));
        var created = (createdAt ?? DefaultCreatedAt(seed)).ToUniversalTime();
        var today = DateOnly.FromDateTime(created.UtcDateTime);

        var (vorname, geschlecht) = data.FirstName();
        var familienname = data.Surname();
        var geburtsdatum = data.BirthDate(today, 21, 78);
        var head = Nachrichtenkopf(data, WohngeldRoot, created, onlineServiceId, "EfA-Onlinedienst Wohngeld", ars, $"Wohngeldbehörde {ort}");

        var members = new List<XElement>();
        var partner = data.Chance(0.45);
        if (partner)
        {
            var partnerSex = geschlecht == "w" ? "m" : "w";
            members.Add(Haushaltsmitglied(
                data.FirstName(partnerSex),
                familienname,
                data.BirthDate(today, 21, 78),
                partnerSex,
                "EHEGATTE",
                data.Chance(0.6) ? ("ERWERBSEINKOMMEN", data.Amount(450, 2400)) : null));
        }

        var children = data.Next(0, 4);
        for (var i = 0; i < children; i++)
        {
            var (kidName, kidSex) = data.FirstName();
            members.Add(Haushaltsmitglied(kidName, familienname, data.BirthDate(today, 0, 17), kidSex, "KIND", null));
        }

        var incomes = new List<XElement>
        {
            Einkommen(Wg + "einkommenAntragsteller", data.Chance(0.7) ? "ERWERBSEINKOMMEN" : "RENTE", data.Amount(600, 2200)),
        };
        if (children > 0)
        {
            incomes.Add(Einkommen(Wg + "einkommenAntragsteller", "KINDERGELD", 255m * children));
        }

        var persons = 1 + (partner ? 1 : 0) + children;
        var flaeche = Math.Round(data.Amount(30, 40) + persons * data.Amount(10, 18), 1);
        var kaltmiete = Math.Round(flaeche * data.Amount(7.5m, 13.5m), 2);

        var root = new XElement(
            Wg + WohngeldRoot,
            new XAttribute("version", "1.0"),
            new XAttribute(XNamespace.Xmlns + "wg", Wg),
            new XAttribute(XNamespace.Xmlns + "ihc", Ihc),
            head,
            Antragsteller(data, vorname, familienname, geburtsdatum, geschlecht, "DEU", data.SteuerIdentifikationsnummer, plz, ort, ars),
            Bankverbindung(data, $"{vorname} {familienname}"),
            Einwilligung(created, "MELDEDATEN", "EINKOMMEN"),
            new XElement(Ihc + "antragsdatum", Date(today)),
            new XElement(Wg + "haushaltsmitglieder", members),
            incomes,
            new XElement(
                Wg + "wohnung",
                new XElement(Wg + "wohnflaecheQm", Money(flaeche)),
                new XElement(Wg + "anzahlRaeume", Math.Max(1, persons - (children > 1 ? 1 : 0)).ToString(CultureInfo.InvariantCulture)),
                new XElement(Wg + "bezugsdatum", Date(today.AddDays(-data.Next(60, 5000))))),
            new XElement(
                Wg + "miete",
                new XElement(Wg + "kaltmiete", Money(kaltmiete)),
                new XElement(Wg + "nebenkosten", Money(Math.Round(flaeche * data.Amount(1.8m, 3.2m), 2))),
                new XElement(Wg + "heizkosten", Money(Math.Round(flaeche * data.Amount(0.9m, 1.9m), 2))),
                new XElement(Wg + "heizkostenInMieteEnthalten", "false")));

        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    private static XDocument BuildSozialhilfe(
        string leserArs,
        string leserOrt,
        string addressArs,
        string plz,
        string ort,
        int seed,
        string onlineServiceId,
        DateTimeOffset? createdAt,
        out FakeData data)
    {
        CheckMunicipality(addressArs, plz);
        data = new FakeData(new Random(Mix(seed, 0x5348)));
        var created = (createdAt ?? DefaultCreatedAt(seed)).ToUniversalTime();
        var today = DateOnly.FromDateTime(created.UtcDateTime);

        var grundsicherung = data.Chance(0.55);
        var leistungsart = grundsicherung ? "GRUNDSICHERUNG_ALTER_ERWERBSMINDERUNG" : "HILFE_ZUM_LEBENSUNTERHALT";
        var (vorname, geschlecht) = data.FirstName();
        var familienname = data.Surname();
        var geburtsdatum = grundsicherung ? data.BirthDate(today, 67, 92) : data.BirthDate(today, 18, 64);

        // Residence status: one of the three alternatives of the schema's choice.
        var statusKind = data.Next(0, 10);
        XElement aufenthalt;
        string staat;
        if (statusKind < 6)
        {
            aufenthalt = new XElement(Sh + "deutsch", "true");
            staat = "DEU";
        }
        else if (statusKind < 8)
        {
            aufenthalt = new XElement(Sh + "euFreizuegigkeit", "true");
            staat = data.Pick(new[] { "POL", "ROU", "ITA", "GRC", "HRV" });
        }
        else
        {
            aufenthalt = new XElement(
                Sh + "aufenthaltstitel",
                new XElement(Sh + "titelart", data.ResidenceTitle()),
                new XElement(Sh + "gueltigBis", Date(today.AddDays(data.Next(200, 2500)))));
            staat = data.Pick(new[] { "TUR", "SYR", "UKR", "AFG", "SRB" });
        }

        // The IdNr comes from its own generator, so every other value of a seed stays what it was before applications carried one.
        var taxId = () => new FakeData(new Random(Mix(seed, 0x4944))).SteuerIdentifikationsnummer();
        var head = Nachrichtenkopf(data, SozialhilfeRoot, created, onlineServiceId, "EfA-Onlinedienst Sozialhilfe", leserArs, $"Sozialamt {leserOrt}");

        var members = new List<XElement>();
        if (data.Chance(0.3))
        {
            var partnerSex = geschlecht == "w" ? "m" : "w";
            members.Add(Haushaltsmitglied(
                data.FirstName(partnerSex),
                familienname,
                grundsicherung ? data.BirthDate(today, 60, 92) : data.BirthDate(today, 18, 64),
                partnerSex,
                "EHEGATTE",
                data.Chance(0.5) ? ("RENTE", data.Amount(300, 900)) : null));
        }

        var incomes = new List<XElement>();
        if (grundsicherung)
        {
            incomes.Add(Einkommen(Sh + "einkommen", "RENTE", data.Amount(250, 780)));
        }
        else if (data.Chance(0.4))
        {
            incomes.Add(Einkommen(Sh + "einkommen", "SONSTIGES", data.Amount(50, 400)));
        }

        var assets = new List<XElement>
        {
            new(Sh + "vermoegen", new XElement(Sh + "art", "BANKGUTHABEN"), new XElement(Sh + "wert", Money(data.Amount(0, 4800)))),
        };
        if (data.Chance(0.2))
        {
            assets.Add(new XElement(Sh + "vermoegen", new XElement(Sh + "art", "BARGELD"), new XElement(Sh + "wert", Money(data.Amount(0, 300)))));
        }

        var root = new XElement(
            Sh + SozialhilfeRoot,
            new XAttribute(XNamespace.Xmlns + "sh", Sh),
            new XAttribute(XNamespace.Xmlns + "ihc", Ihc),
            head,
            Antragsteller(data, vorname, familienname, geburtsdatum, geschlecht, staat, taxId, plz, ort, addressArs),
            Bankverbindung(data, $"{vorname} {familienname}"),
            Einwilligung(created, "MELDEDATEN", "LEISTUNGSBEZUG"),
            new XElement(Ihc + "antragsdatum", Date(today)),
            new XElement(Sh + "leistungsart", leistungsart),
            new XElement(Sh + "aufenthaltsstatus", aufenthalt),
            new XElement(Sh + "haushaltsmitglieder", members),
            incomes,
            assets,
            new XElement(
                Sh + "unterkunftskosten",
                new XElement(Sh + "kaltmiete", Money(data.Amount(280, 560))),
                new XElement(Sh + "nebenkosten", Money(data.Amount(60, 140))),
                new XElement(Sh + "heizkosten", Money(data.Amount(40, 110)))));

        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    private static XElement Nachrichtenkopf(
        FakeData data,
        string nachrichtentyp,
        DateTimeOffset created,
        string onlineServiceId,
        string autorName,
        string leserArs,
        string leserName) =>
        new(
            Ihc + "nachrichtenkopf",
            new XElement(Ihc + "nachrichtUUID", data.Guid().ToString()),
            new XElement(
                Ihc + "nachrichtentyp",
                new XAttribute("listURI", NachrichtentypList),
                new XAttribute("listVersionID", "1.0"),
                new XElement(Ihc + "code", nachrichtentyp)),
            new XElement(Ihc + "erstellungszeitpunkt", created.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
            Behoerde("autor", "EFA", onlineServiceId, autorName),
            Behoerde("leser", "ARS", leserArs, leserName));

    private static XElement Behoerde(string element, string verzeichnisdienst, string kennung, string name) =>
        new(
            Ihc + element,
            new XElement(
                Ihc + "verzeichnisdienst",
                new XAttribute("listURI", VerzeichnisdienstList),
                new XAttribute("listVersionID", "1.0"),
                new XElement(Ihc + "code", verzeichnisdienst)),
            new XElement(Ihc + "kennung", kennung),
            new XElement(Ihc + "name", name));

    private static XElement Antragsteller(
        FakeData data,
        string vorname,
        string familienname,
        DateOnly geburtsdatum,
        string geschlecht,
        string staat,
        Func<string> taxId,
        string plz,
        string ort,
        string ars)
    {
        var street = data.Street();
        var number = data.HouseNumber();
        var zusatz = data.Chance(0.25) ? $"{data.Next(1, 6)}. OG" : null;
        return new XElement(
            Ihc + "antragsteller",
            new XElement(Ihc + "familienname", familienname),
            new XElement(Ihc + "vorname", vorname),
            new XElement(Ihc + "geburtsdatum", Date(geburtsdatum)),
            new XElement(Ihc + "geschlecht", geschlecht),
            new XElement(Ihc + "staatsangehoerigkeit", staat),
            new XElement(Ihc + "identifikationsnummer", taxId()),
            new XElement(
                Ihc + "anschrift",
                new XElement(Ihc + "strasse", street),
                new XElement(Ihc + "hausnummer", number),
                zusatz is null ? null : new XElement(Ihc + "adresszusatz", zusatz),
                new XElement(Ihc + "postleitzahl", plz),
                new XElement(Ihc + "ort", ort),
                new XElement(Ihc + "ars", ars)),
            new XElement(
                Ihc + "kontakt",
                new XElement(Ihc + "telefon", data.Phone()),
                new XElement(Ihc + "email", FakeData.Email(vorname, familienname))));
    }

    private static XElement Bankverbindung(FakeData data, string inhaber) =>
        new(
            Ihc + "bankverbindung",
            new XElement(Ihc + "kontoinhaber", inhaber),
            new XElement(Ihc + "iban", data.Iban()));

    private static XElement Einwilligung(DateTimeOffset created, params string[] umfang) =>
        new(
            Ihc + "einwilligung",
            new XElement(Ihc + "nachweisabrufErteilt", "true"),
            umfang.Select(u => new XElement(Ihc + "umfang", u)),
            new XElement(Ihc + "erteiltAm", created.AddMinutes(-4).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)));

    private static XElement Haushaltsmitglied(
        string vorname,
        string familienname,
        DateOnly geburtsdatum,
        string geschlecht,
        string verhaeltnis,
        (string Art, decimal Betrag)? einkommen)
    {
        return new XElement(
            Ihc + "haushaltsmitglied",
            new XElement(
                Ihc + "person",
                new XElement(Ihc + "familienname", familienname),
                new XElement(Ihc + "vorname", vorname),
                new XElement(Ihc + "geburtsdatum", Date(geburtsdatum)),
                new XElement(Ihc + "geschlecht", geschlecht)),
            new XElement(Ihc + "verwandtschaftsverhaeltnis", verhaeltnis),
            einkommen is { } e ? Einkommen(Ihc + "einkommen", e.Art, e.Betrag) : null);
    }

    private static XElement Einkommen(XName name, string art, decimal betrag) =>
        new(name, new XElement(Ihc + "art", art), new XElement(Ihc + "betragMonatlich", Money(betrag)));

    private static IReadOnlyList<DemoAttachment> Attachments(FakeData data, bool withAttachment, string kind)
    {
        // Drawn in any case so the id of a seed does not depend on the switch.
        var id = data.Guid();
        if (!withAttachment)
        {
            return [];
        }

        var pdf = MinimalPdf.Create($"{kind} (fiktives Testdokument) {id}");
        return [new DemoAttachment(id, $"{kind}.pdf", "application/pdf", pdf)];
    }

    private static void CheckMunicipality(string ars, string plz)
    {
        if (ars is null || ars.Length != 12 || !ars.All(char.IsAsciiDigit))
        {
            throw new ArgumentException("ARS must have 12 digits.", nameof(ars));
        }

        if (plz is null || plz.Length != 5 || !plz.All(char.IsAsciiDigit))
        {
            throw new ArgumentException("PLZ must have 5 digits.", nameof(plz));
        }
    }

    private static int Mix(int seed, int salt) => unchecked((seed * 397) ^ salt);

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Money(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static byte[] Serialize(XDocument doc)
    {
        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
        };
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, settings))
        {
            doc.Save(writer);
        }

        return stream.ToArray();
    }
}
