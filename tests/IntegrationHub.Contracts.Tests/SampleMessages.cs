using System.Xml;
using IntegrationHub.Contracts.Xoev.Common;
using IntegrationHub.Contracts.Xoev.Fall;
using IntegrationHub.Contracts.Xoev.Sozialhilfe;
using IntegrationHub.Contracts.Xoev.Wohngeld;

namespace IntegrationHub.Contracts.Tests;

/// <summary>Fully populated messages (every optional element set, every repeated element twice). Fictitious data.</summary>
internal static class SampleMessages
{
    public const string Ars = "064350014014";

    public static NachrichtenkopfType Kopf(string nachrichtentyp, string uuid) => new()
    {
        NachrichtUUID = uuid,
        Nachrichtentyp = new CodeType
        {
            Code = nachrichtentyp,
            ListURI = XoevSchemas.NachrichtentypListUri,
            ListVersionID = XoevSchemas.NachrichtentypListVersion,
        },
        Erstellungszeitpunkt = new DateTime(2025, 3, 14, 9, 26, 53, DateTimeKind.Utc),
        Autor = Behoerde("EfA-Onlinedienst"),
        Leser = Behoerde("Wohngeldstelle Musterstadt"),
    };

    public static BehoerdeType Behoerde(string name) => new()
    {
        Verzeichnisdienst = new CodeType { Code = "ARS", ListURI = "urn:integrationhub:xoev:codeliste:verzeichnisdienst", ListVersionID = "1.0" },
        Kennung = Ars,
        Name = name,
    };

    public static NatuerlichePersonType Person(string vorname, DateTime geburtsdatum, GeschlechtType geschlecht) => new()
    {
        Familienname = "Mustermann",
        Vorname = vorname,
        Geburtsname = "Gabler",
        Geburtsdatum = geburtsdatum,
        Geschlecht = geschlecht,
        Staatsangehoerigkeit = "DEU",
        Identifikationsnummer = "65929970489",
    };

    public static EinkommenType Einkommen(EinkommensartType art, decimal betrag) => new() { Art = art, BetragMonatlich = betrag };

    public static HaushaltsmitgliederType Haushalt() => new()
    {
        Haushaltsmitglied =
        {
            new HaushaltsmitgliedType
            {
                Person = Person("Max", new DateTime(1962, 1, 25), GeschlechtType.M),
                Verwandtschaftsverhaeltnis = VerwandtschaftsverhaeltnisType.Ehegatte,
                Einkommen = { Einkommen(EinkommensartType.Rente, 1134.50m), Einkommen(EinkommensartType.Sonstiges, 40.00m) },
            },
            new HaushaltsmitgliedType
            {
                Person = Person("Lena", new DateTime(2009, 5, 3), GeschlechtType.D),
                Verwandtschaftsverhaeltnis = VerwandtschaftsverhaeltnisType.Kind,
                Einkommen = { Einkommen(EinkommensartType.Unterhalt, 250m), Einkommen(EinkommensartType.Kindergeld, 255.00m) },
            },
        },
    };

    private static void FillBasis(AntragBasisType antrag, string nachrichtentyp, string uuid)
    {
        antrag.Nachrichtenkopf = Kopf(nachrichtentyp, uuid);
        antrag.Antragsteller = new AntragstellerType
        {
            Familienname = "Mustermann",
            Vorname = "Erika",
            Geburtsname = "Gabler",
            Geburtsdatum = new DateTime(1964, 8, 12),
            Geschlecht = GeschlechtType.W,
            Staatsangehoerigkeit = "DEU",
            Identifikationsnummer = "65929970489",
            Anschrift = new AnschriftType
            {
                Strasse = "Heidestraße",
                Hausnummer = "17",
                Adresszusatz = "2. OG links",
                Postleitzahl = "63067",
                Ort = "Musterstadt",
                Ars = Ars,
            },
            Kontakt = new KontaktType { Telefon = "+49 69 12345678", Email = "erika.mustermann@example.org" },
        };
        antrag.Bankverbindung = new BankverbindungType { Kontoinhaber = "Erika Mustermann", Iban = "DE02120300000000202051", Bic = "BYLADEM1001" };
        antrag.Einwilligung = new EinwilligungType
        {
            NachweisabrufErteilt = true,
            Umfang = { NachweisartType.Meldedaten, NachweisartType.Einkommen },
            ErteiltAm = new DateTime(2025, 3, 14, 9, 20, 0, DateTimeKind.Utc),
        };
        antrag.Antragsdatum = new DateTime(2025, 3, 14);
    }

    public static WohngeldAntrag0001 Wohngeld()
    {
        var antrag = new WohngeldAntrag0001
        {
            Version = "1.0",
            Haushaltsmitglieder = Haushalt(),
            EinkommenAntragsteller = { Einkommen(EinkommensartType.Erwerbseinkommen, 1450.00m), Einkommen(EinkommensartType.Arbeitslosengeld, 12.5m) },
            Wohnung = new WohnungType { WohnflaecheQm = 78.5m, AnzahlRaeume = 3, Bezugsdatum = new DateTime(2018, 7, 1) },
            Miete = new MieteType { Kaltmiete = 720.00m, Nebenkosten = 180.00m, Heizkosten = 95.00m, HeizkostenInMieteEnthalten = false },
        };
        FillBasis(antrag, XoevSchemas.WohngeldAntragElement, "3f6c2a1e-8d4b-4c8e-9a51-2b7d0e6f1a23");
        return antrag;
    }

    /// <summary>aufenthaltsstatus is a choice: <paramref name="variant"/> picks deutsch, euFreizuegigkeit or aufenthaltstitel.</summary>
    public static SozialhilfeAntrag0001 Sozialhilfe(string variant = "aufenthaltstitel")
    {
        var antrag = new SozialhilfeAntrag0001
        {
            Leistungsart = LeistungsartType.GrundsicherungAlterErwerbsminderung,
            Aufenthaltsstatus = variant switch
            {
                "deutsch" => new AufenthaltsstatusType { Deutsch = true },
                "euFreizuegigkeit" => new AufenthaltsstatusType { EuFreizuegigkeit = true },
                _ => new AufenthaltsstatusType { Aufenthaltstitel = new AufenthaltstitelType { Titelart = "Niederlassungserlaubnis", GueltigBis = new DateTime(2030, 12, 31) } },
            },
            Haushaltsmitglieder = Haushalt(),
            Einkommen = { Einkommen(EinkommensartType.Rente, 612.40m), Einkommen(EinkommensartType.Sonstiges, 0m) },
            Vermoegen =
            {
                new VermoegenType { Art = VermoegensartType.Bankguthaben, Wert = 2300.00m },
                new VermoegenType { Art = VermoegensartType.Fahrzeug, Wert = 1500m },
            },
            Unterkunftskosten = new UnterkunftskostenType { Kaltmiete = 410.00m, Nebenkosten = 95.00m, Heizkosten = 60.00m },
        };
        FillBasis(antrag, XoevSchemas.SozialhilfeAntragElement, "b1d7e9a0-52c3-4f1e-8e77-0c4a9d3b6e15");
        return antrag;
    }

    public static FallUebergabe0001 FallUebergabe(bool sozialhilfe = false)
    {
        var antrag = new FallAntragType();
        if (sozialhilfe)
        {
            antrag.SozialhilfeAntrag0001 = Sozialhilfe();
        }
        else
        {
            antrag.WohngeldAntrag0001 = Wohngeld();
        }

        return new FallUebergabe0001
        {
            Nachrichtenkopf = Kopf(XoevSchemas.FallUebergabeElement, "7a0e4c55-1b9f-4d2a-b3c8-5e6f7a8b9c0d"),
            Fall = new FalldatenType
            {
                SubmissionId = "c2a4f8e1-3d5b-4a7c-9e0f-1a2b3c4d5e6f",
                CaseId = "d9e8f7a6-b5c4-4d3e-8f2a-1b0c9d8e7f6a",
                Eingangszeitpunkt = new DateTime(2025, 3, 14, 9, 27, 1, DateTimeKind.Utc),
                LeikaSchluessel = "99108001000000",
                Ars = Ars,
                Zielsystem = "marius",
            },
            Antrag = antrag,
            // Both alternatives of the content choice: referenced (what the hub sends) and inline.
            Anlagen = new AnlagenType { Anlage = { Anlage("mietvertrag.pdf", "application/pdf"), Anlage("einkommensnachweis.png", "image/png", inline: true) } },
            Signature = Signature(),
        };
    }

    /// <summary>An attachment whose content is a separate container part (inhaltReferenz), or inline (inhalt).</summary>
    public static AnlageType Anlage(string name, string mimeType, bool inline = false)
    {
        var content = System.Text.Encoding.UTF8.GetBytes("fiktiver Inhalt von " + name);
        var id = Guid.NewGuid().ToString();
        return new AnlageType
        {
            AnlageId = id,
            Dateiname = name,
            MimeType = mimeType,
            HashSha512 = Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(content)),
            GroesseBytes = content.Length,
            Inhalt = inline ? content : null,
            InhaltReferenz = inline ? null : "cid:" + id,
        };
    }

    /// <summary>A stand-in ds:Signature (content is skipped by the schema; the signing code produces the real one).</summary>
    public static XmlElement Signature()
    {
        var doc = new XmlDocument();
        doc.LoadXml("<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo/><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>");
        return doc.DocumentElement!;
    }

    public static FallQuittung0002 FallQuittung() => new()
    {
        Nachrichtenkopf = Kopf(XoevSchemas.FallQuittungElement, "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"),
        BezugNachrichtUUID = "7a0e4c55-1b9f-4d2a-b3c8-5e6f7a8b9c0d",
        SubmissionId = "c2a4f8e1-3d5b-4a7c-9e0f-1a2b3c4d5e6f",
        Ergebnis = ErgebnisType.Abgelehnt,
        Aktenzeichen = "WG-2025-000417",
        Fehler =
        {
            new FehlerType { Code = "FV-001", Text = "Nachweis fehlt" },
            new FehlerType { Code = "FV-002", Text = "Zuständigkeit unklar" },
        },
    };
}
