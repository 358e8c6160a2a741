using IntegrationHub.Contracts.Xoev.Common;
using IntegrationHub.Contracts.Xoev.Nachweis;

namespace IntegrationHub.Contracts.Tests;

/// <summary>The evidence lookup messages (ih-nachweis-1.0.xsd): round trips and what the schema refuses.</summary>
public class NachweisRoundTripTests
{
    private const string AnfrageId = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";

    private static T RoundTrip<T>(T original)
        where T : class
    {
        var xml = XmlText.Serialize(original);
        XoevSchemas.Validate(xml).Should().BeEmpty("serialized {0} must be schema-valid:\n{1}", typeof(T).Name, xml);

        var back = XmlText.Deserialize<T>(xml);
        XmlText.Serialize(back).Should().Be(xml);
        return back;
    }

    private static AnschriftType Anschrift() => new()
    {
        Strasse = "Heidestraße",
        Hausnummer = "17",
        Adresszusatz = "2. OG",
        Postleitzahl = "63067",
        Ort = "Musterstadt",
        Ars = SampleMessages.Ars,
    };

    internal static NachweisAnfrage0001 Anfrage(bool einwilligung, bool byIdNr) => new()
    {
        Nachrichtenkopf = SampleMessages.Kopf(XoevSchemas.NachweisAnfrageElement, "3b1f0c2e-5d4a-4e8b-9c7d-6a5b4c3d2e1f"),
        AnfrageId = AnfrageId,
        AnfragendeStelle = new AnfragendeStelleType { Ars = SampleMessages.Ars, Behoerde = "Sozialamt Musterstadt", Verfahren = "prosoz" },
        Zweck = new ZweckType { Code = "SGB_XII_LEISTUNGSPRUEFUNG", Text = "Prüfung vorrangiger Leistungen" },
        Rechtsgrundlage = einwilligung ? null : new RechtsgrundlageType { Code = "SGB_X_67A", Text = "§ 67a SGB X" },
        Einwilligung = einwilligung
            ? new NachweisEinwilligungType { Referenz = "submission:5c2a9e4f", Umfang = { NachweisartType.Meldedaten, NachweisartType.Leistungsbezug } }
            : null,
        Person = byIdNr
            ? new PersonAngabeType { Identifikationsnummer = "65929970489" }
            : new PersonAngabeType
            {
                Personendaten = new PersonendatenType
                {
                    Familienname = "Mustermann", Vorname = "Erika", Geburtsdatum = new DateTime(1964, 8, 12), Anschrift = Anschrift(),
                },
            },
        Nachweisart = NachweisartType.Leistungsbezug,
        AngefragtAm = new DateTime(2026, 3, 2, 9, 15, 0, DateTimeKind.Utc),
    };

    private static NachweisdatenType Daten(string kind) => kind switch
    {
        "meldedaten" => new NachweisdatenType
        {
            Meldedaten = new MeldedatenType
            {
                Person = new GemeldetePersonType { Familienname = "Mustermann", Vorname = "Erika", Geburtsdatum = new DateTime(1964, 8, 12) },
                Anschrift = Anschrift(),
                Einzugsdatum = new DateTime(2019, 4, 1),
                Mitbewohner =
                {
                    new GemeldetePersonType { Familienname = "Mustermann", Vorname = "Max", Geburtsdatum = new DateTime(1962, 1, 25) },
                    new GemeldetePersonType { Familienname = "Mustermann", Vorname = "Lena", Geburtsdatum = new DateTime(2009, 5, 3) },
                },
            },
        },
        "aufenthaltstitel" => new NachweisdatenType
        {
            Aufenthaltstitel = new AufenthaltstitelNachweisType
            {
                Titelart = "Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG)", ErteiltAm = new DateTime(2023, 2, 1), GueltigBis = new DateTime(2027, 1, 31),
            },
        },
        "leistungsbezug" => new NachweisdatenType
        {
            Leistungsbezug = new LeistungsbezugType
            {
                Leistung = LeistungType.SgbXiiGrundsicherung, Seit = new DateTime(2024, 7, 1), Aktenzeichen = "50.2-GS-2024-0815", Laufend = true,
            },
        },
        "einkommen" => new NachweisdatenType
        {
            Einkommen = new EinkommensnachweisType
            {
                Betrag = 1134.50m, Waehrung = "EUR", Art = EinkommensartType.Rente,
                Zeitraum = new ZeitraumType { Von = new DateTime(2026, 1, 1), Bis = new DateTime(2026, 1, 31) },
            },
        },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static NachweisAntwort0002 Antwort(string kind) => new()
    {
        Nachrichtenkopf = SampleMessages.Kopf(XoevSchemas.NachweisAntwortElement, "6e5d4c3b-2a19-4f08-8e7d-6c5b4a392817"),
        BezugAnfrageId = AnfrageId,
        Anbieter = new AnbieterType { Kennung = "sozialamt", Name = "Sozialamt Musterstadt, Grundsicherung" },
        Nachweisart = NachweisartType.Leistungsbezug,
        AusgestelltAm = new DateTime(2026, 3, 2, 9, 15, 1, DateTimeKind.Utc),
        GueltigBis = new DateTime(2026, 6, 30),
        Nachweisdaten = Daten(kind),
        Dokument = new DokumentType
        {
            Dateiname = "Bescheinigung.pdf",
            MimeType = "application/pdf",
            HashSha512 = Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData("%PDF-1.4"u8.ToArray())),
            Inhalt = "%PDF-1.4"u8.ToArray(),
        },
    };

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void Nachweis_anfrage_round_trips_for_each_basis_and_way_to_name_the_person(bool einwilligung, bool byIdNr)
    {
        var original = Anfrage(einwilligung, byIdNr);

        var back = RoundTrip(original);

        back.Should().BeEquivalentTo(original, o => o.RespectingRuntimeTypes());
        (back.Einwilligung is null).Should().Be(!einwilligung);
        (back.Rechtsgrundlage is null).Should().Be(einwilligung);
        (back.Person.Identifikationsnummer is null).Should().Be(!byIdNr);
        (back.Person.Personendaten is null).Should().Be(byIdNr);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Nachweis_anfrage_needs_exactly_one_of_rechtsgrundlage_and_einwilligung(bool rechtsgrundlage, bool einwilligung)
    {
        var anfrage = Anfrage(einwilligung: true, byIdNr: true);
        anfrage.Rechtsgrundlage = rechtsgrundlage ? new RechtsgrundlageType { Code = "SGB_X_67A" } : null;
        if (!einwilligung) anfrage.Einwilligung = null;

        XoevSchemas.Validate(XmlText.Serialize(anfrage)).Should().NotBeEmpty();
    }

    [Fact]
    public void Nachweis_anfrage_needs_the_person_by_idnr_or_by_personendaten()
    {
        var anfrage = Anfrage(einwilligung: false, byIdNr: true);
        anfrage.Person.Identifikationsnummer = null;

        XoevSchemas.Validate(XmlText.Serialize(anfrage)).Should().NotBeEmpty();
    }

    [Fact]
    public void Einwilligung_names_at_least_one_nachweisart()
    {
        var anfrage = Anfrage(einwilligung: true, byIdNr: true);
        anfrage.Einwilligung!.Umfang.Clear();

        XoevSchemas.Validate(XmlText.Serialize(anfrage)).Should().NotBeEmpty();
    }

    [Fact]
    public void An_unknown_nachweisart_is_refused_by_the_schema()
    {
        var xml = XmlText.Serialize(Anfrage(einwilligung: false, byIdNr: true))
            .Replace("<nw:nachweisart>LEISTUNGSBEZUG</nw:nachweisart>", "<nw:nachweisart>FUEHRUNGSZEUGNIS</nw:nachweisart>", StringComparison.Ordinal);

        xml.Should().Contain("FUEHRUNGSZEUGNIS");
        XoevSchemas.Validate(xml).Should().NotBeEmpty();
    }

    [Theory]
    [InlineData("meldedaten")]
    [InlineData("aufenthaltstitel")]
    [InlineData("leistungsbezug")]
    [InlineData("einkommen")]
    public void Nachweis_antwort_round_trips_for_each_kind_of_evidence_with_a_document(string kind)
    {
        var original = Antwort(kind);

        var back = RoundTrip(original);

        back.Should().BeEquivalentTo(original, o => o.RespectingRuntimeTypes());
        var daten = back.Nachweisdaten!;
        new object?[] { daten.Meldedaten, daten.Aufenthaltstitel, daten.Leistungsbezug, daten.Einkommen }.Count(x => x is not null).Should().Be(1);
        back.Dokument!.Inhalt.Should().Equal("%PDF-1.4"u8.ToArray());
        back.AusgestelltAm.Kind.Should().Be(DateTimeKind.Utc);
    }

    [Fact]
    public void Nachweis_antwort_carries_one_kind_of_evidence_only()
    {
        var antwort = Antwort("meldedaten");
        antwort.Nachweisdaten!.Einkommen = Daten("einkommen").Einkommen;

        XoevSchemas.Validate(XmlText.Serialize(antwort)).Should().NotBeEmpty();
    }

    [Fact]
    public void Nachweis_antwort_without_optional_elements_stays_valid()
    {
        var antwort = Antwort("aufenthaltstitel");
        antwort.GueltigBis = null;
        antwort.Dokument = null;
        antwort.Nachweisdaten!.Aufenthaltstitel!.GueltigBis = null;
        antwort.Nachweisdaten.Aufenthaltstitel.ErteiltAm = null;

        var xml = XmlText.Serialize(antwort);

        XoevSchemas.Validate(xml).Should().BeEmpty();
        xml.Should().NotContain("gueltigBis").And.NotContain("dokument").And.NotContain("erteiltAm").And.NotContain("nil");
    }

    [Fact]
    public void Dokument_hash_must_be_sha512_hex()
    {
        var antwort = Antwort("einkommen");
        antwort.Dokument!.HashSha512 = "abc";

        XoevSchemas.Validate(XmlText.Serialize(antwort)).Should().NotBeEmpty();
    }

    public static TheoryData<AblehnungsgrundType> Gruende()
    {
        var data = new TheoryData<AblehnungsgrundType>();
        foreach (var grund in Enum.GetValues<AblehnungsgrundType>()) data.Add(grund);
        return data;
    }

    [Theory]
    [MemberData(nameof(Gruende))]
    public void Nachweis_ablehnung_round_trips_with_every_grund(AblehnungsgrundType grund)
    {
        var original = new NachweisAblehnung0003
        {
            Nachrichtenkopf = SampleMessages.Kopf(XoevSchemas.NachweisAblehnungElement, "2f3e4d5c-6b7a-4891-a2b3-c4d5e6f70819"),
            BezugAnfrageId = AnfrageId,
            Anbieter = new AnbieterType { Kennung = "melderegister", Name = "Melderegister Musterstadt" },
            Grund = grund,
            Text = "Begründung",
            AbgelehntAm = new DateTime(2026, 3, 2, 9, 15, 1, DateTimeKind.Utc),
        };

        var back = RoundTrip(original);

        back.Should().BeEquivalentTo(original);
    }

    [Fact]
    public void The_code_list_of_ablehnungsgruende_is_the_agreed_one()
    {
        Enum.GetValues<AblehnungsgrundType>().Select(g => XmlEnumName(g)).Should().Equal(
            "PERSON_NICHT_GEFUNDEN", "PERSON_NICHT_EINDEUTIG", "KEINE_RECHTSGRUNDLAGE", "EINWILLIGUNG_FEHLT", "ZWECK_FEHLT",
            "ANDERE_KOMMUNE", "ROLLE_NICHT_BERECHTIGT", "NICHT_ZUSTAENDIG", "NACHWEISART_UNBEKANNT");
    }

    private static string XmlEnumName<T>(T value)
        where T : struct, Enum =>
        typeof(T).GetField(value.ToString())!.GetCustomAttributes(typeof(System.Xml.Serialization.XmlEnumAttribute), false)
            .Cast<System.Xml.Serialization.XmlEnumAttribute>().Single().Name!;
}
