using System.Xml;
using System.Xml.Serialization;
using IntegrationHub.Contracts;
using IntegrationHub.Contracts.Xoev.Common;
using IntegrationHub.Contracts.Xoev.Wohngeld;
using IntegrationHub.Contracts.Xoev.Wohngeldfim;
using IntegrationHub.Signing;

namespace IntegrationHub.Adapters.Marius;

/// <summary>
/// Maps the citizen's validated wohngeld.antrag.0001 to the FIM-shaped wohngeldfim.erstantrag.0001 a Wohngeld procedure
/// reads (xsd/ih-wohngeld-fim-1.0.xsd: person, address, household, income, flat, rent and bank details under their FIM
/// ids). The result is checked against its schema before it leaves: a mapping that does not validate is a hub fault.
/// </summary>
public static class WohngeldFimMapping
{
    private const long MaxBytes = 16 * 1024 * 1024;
    private static readonly XmlSerializer ApplicationSerializer = new(typeof(WohngeldAntrag0001));
    private static readonly XmlSerializer FimSerializer = new(typeof(WohngeldfimErstantrag0001));

    /// <param name="application">The application, already validated against its contract.</param>
    /// <param name="messageId">nachrichtUUID of the FIM document (stable per delivery).</param>
    /// <param name="author">The municipality (ARS and name) that passes the application on.</param>
    /// <param name="procedure">The procedure (target name) that reads it.</param>
    /// <exception cref="ArgumentException">The application is not a Wohngeld application.</exception>
    public static XmlDocument Map(XmlDocument application, Guid messageId, (string Ars, string Name) author, string procedure, DateTimeOffset createdAt)
    {
        var root = application.DocumentElement;
        if (root is null || root.LocalName != XoevSchemas.WohngeldAntragElement || root.NamespaceURI != XoevSchemas.WohngeldNamespace)
            throw new ArgumentException($"A Wohngeld procedure takes {XoevSchemas.WohngeldAntragElement} only, not {root?.LocalName}.", nameof(application));
        WohngeldAntrag0001 antrag;
        using (var reader = new XmlNodeReader(root)) antrag = (WohngeldAntrag0001)ApplicationSerializer.Deserialize(reader)!;

        var fim = new WohngeldfimErstantrag0001
        {
            Nachrichtenkopf = new NachrichtenkopfType
            {
                NachrichtUUID = messageId.ToString(),
                Nachrichtentyp = new CodeType
                {
                    Code = XoevSchemas.WohngeldFimErstantragElement,
                    ListURI = XoevSchemas.NachrichtentypListUri,
                    ListVersionID = XoevSchemas.NachrichtentypListVersion,
                },
                Erstellungszeitpunkt = createdAt.UtcDateTime,
                Autor = Behoerde("ARS", author.Ars, author.Name),
                Leser = Behoerde("FACHVERFAHREN", procedure, procedure),
            },
            F99000001 = antrag.Antragsdatum,
            G99000010 = Antragsteller(antrag.Antragsteller),
            G99000020 = new HaushaltType
            {
                F99000021 = 1 + antrag.Haushaltsmitglieder.Haushaltsmitglied.Count,
                G99000022 = antrag.Haushaltsmitglieder.Haushaltsmitglied.Select(Haushaltsmitglied).ToList(),
            },
            G99000030 = antrag.EinkommenAntragsteller.Select(Einkommen).ToList(),
            G99000040 = new Contracts.Xoev.Wohngeldfim.WohnungType
            {
                F99000041 = antrag.Wohnung.WohnflaecheQm,
                F99000042 = antrag.Wohnung.AnzahlRaeume,
                F99000043 = antrag.Wohnung.Bezugsdatum,
            },
            G99000050 = new Contracts.Xoev.Wohngeldfim.MieteType
            {
                F99000051 = antrag.Miete.Kaltmiete,
                F99000052 = antrag.Miete.Nebenkosten,
                F99000053 = antrag.Miete.Heizkosten,
                F99000054 = antrag.Miete.HeizkostenInMieteEnthalten,
                F99000055 = antrag.Miete.Kaltmiete + antrag.Miete.Nebenkosten + antrag.Miete.Heizkosten,
            },
            G99000060 = new Contracts.Xoev.Wohngeldfim.BankverbindungType
            {
                F99000061 = antrag.Bankverbindung.Kontoinhaber,
                F99000062 = antrag.Bankverbindung.Iban,
                F99000063 = antrag.Bankverbindung.Bic,
            },
            F99000002 = antrag.Einwilligung.NachweisabrufErteilt,
        };

        var bytes = Serialize(fim);
        var issues = XoevSchemas.Validate(new MemoryStream(bytes, writable: false));
        if (issues.Count > 0)
            // Line and position only: the message may quote a value, and values are social data.
            throw new InvalidOperationException($"The FIM-shaped Wohngeld application does not validate ({issues.Count} issue(s), first at line {issues[0].LineNumber}).");
        return SafeXml.Load(bytes, MaxBytes);
    }

    private static AntragstellendePersonType Antragsteller(AntragstellerType person) => new()
    {
        F60000227 = person.Familienname,
        F60000228 = person.Vorname,
        F60000230 = person.Geburtsname,
        G60000083 = Geburtsdatum(person.Geburtsdatum),
        F99000011 = person.Geschlecht,
        F99000012 = person.Staatsangehoerigkeit,
        F99000013 = person.Identifikationsnummer,
        G60000086 = new AnschriftInlandType
        {
            F60000243 = person.Anschrift.Strasse,
            F60000244 = person.Anschrift.Hausnummer,
            F60000246 = person.Anschrift.Postleitzahl,
            F60000247 = person.Anschrift.Ort,
            F60000248 = person.Anschrift.Adresszusatz,
        },
        G60000085 = person.Kontakt is { } kontakt && (kontakt.Telefon is not null || kontakt.Email is not null)
            ? new KommunikationType { F60000240 = kontakt.Telefon, F99000014 = kontakt.Email }
            : null,
    };

    private static Contracts.Xoev.Wohngeldfim.HaushaltsmitgliedType Haushaltsmitglied(Contracts.Xoev.Common.HaushaltsmitgliedType member) => new()
    {
        F60000227 = member.Person.Familienname,
        F60000228 = member.Person.Vorname,
        G60000083 = Geburtsdatum(member.Person.Geburtsdatum),
        F99000011 = member.Person.Geschlecht,
        F99000023 = member.Verwandtschaftsverhaeltnis,
        G99000030 = member.Einkommen.Select(Einkommen).ToList(),
    };

    private static Contracts.Xoev.Wohngeldfim.EinkommenType Einkommen(Contracts.Xoev.Common.EinkommenType income) =>
        new() { F99000031 = income.Art, F99000032 = income.BetragMonatlich };

    private static GeburtsdatumType Geburtsdatum(DateTime date) => new() { F60000231 = date.Day, F60000232 = date.Month, F60000233 = date.Year };

    private static BehoerdeType Behoerde(string directory, string id, string name) => new()
    {
        Verzeichnisdienst = new CodeType { Code = directory },
        Kennung = id,
        Name = name,
    };

    private static byte[] Serialize(WohngeldfimErstantrag0001 fim)
    {
        using var output = new MemoryStream();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { Encoding = new System.Text.UTF8Encoding(false) }))
            FimSerializer.Serialize(writer, fim, XoevSchemas.CreateSerializerNamespaces());
        return output.ToArray();
    }
}
