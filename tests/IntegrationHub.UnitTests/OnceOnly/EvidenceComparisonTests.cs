using System.Text.Json.Nodes;
using System.Xml.Linq;
using IntegrationHub.Contracts;
using IntegrationHub.OnceOnly;
using IntegrationHub.OnceOnly.Checks;

namespace IntegrationHub.UnitTests.OnceOnly;

/// <summary>
/// Each evidence type is compared with what the application states, field by field; what the hub cannot compare is
/// NICHT_GEPRUEFT, never a match.
/// </summary>
public sealed class EvidenceComparisonTests
{
    private const string Ihc = XoevSchemas.CommonNamespace, Sh = XoevSchemas.SozialhilfeNamespace, Wg = XoevSchemas.WohngeldNamespace;

    // A Sozialhilfe application of 2026-03-02 (only the parts the checks read).
    private static ApplicationStatement Sozialhilfe(XElement aufenthaltsstatus, params (string Art, string Betrag)[] einkommen)
    {
        XNamespace ihc = Ihc, sh = Sh;
        var root = new XElement(sh + "sozialhilfe.antrag.0001",
            new XElement(ihc + "antragsteller",
                new XElement(ihc + "familienname", "Demir"), new XElement(ihc + "vorname", "Aylin"), new XElement(ihc + "geburtsdatum", "1990-11-23"),
                new XElement(ihc + "identifikationsnummer", "47036892816"),
                new XElement(ihc + "anschrift", new XElement(ihc + "strasse", "Am Markt"), new XElement(ihc + "hausnummer", "3"),
                    new XElement(ihc + "postleitzahl", "63067"), new XElement(ihc + "ort", "Musterstadt"))),
            new XElement(ihc + "einwilligung", new XElement(ihc + "nachweisabrufErteilt", "true"),
                new XElement(ihc + "umfang", "MELDEDATEN"), new XElement(ihc + "umfang", "AUFENTHALTSTITEL")),
            new XElement(ihc + "antragsdatum", "2026-03-02"),
            new XElement(sh + "aufenthaltsstatus", aufenthaltsstatus),
            einkommen.Select(e => new XElement(sh + "einkommen", new XElement(ihc + "art", e.Art), new XElement(ihc + "betragMonatlich", e.Betrag))));
        return ApplicationStatement.Read(root)!;
    }

    private static XElement Titel(string titelart, string gueltigBis) =>
        new(XName.Get("aufenthaltstitel", Sh), new XElement(XName.Get("titelart", Sh), titelart), new XElement(XName.Get("gueltigBis", Sh), gueltigBis));

    private static readonly XElement Deutsch = new(XName.Get("deutsch", Sh), "true");

    private static ApplicationStatement Wohngeld(params (string Art, string Betrag)[] einkommen)
    {
        XNamespace ihc = Ihc, wg = Wg;
        return ApplicationStatement.Read(new XElement(wg + "wohngeld.antrag.0001",
            new XElement(ihc + "antragsteller", new XElement(ihc + "familienname", "Beispiel"), new XElement(ihc + "vorname", "Horst"),
                new XElement(ihc + "geburtsdatum", "1951-02-14")),
            new XElement(ihc + "einwilligung", new XElement(ihc + "nachweisabrufErteilt", "false")),
            new XElement(ihc + "antragsdatum", "2026-03-02"),
            new XElement(wg + "haushaltsmitglieder", new XElement(ihc + "haushaltsmitglied",
                new XElement(ihc + "einkommen", new XElement(ihc + "art", "RENTE"), new XElement(ihc + "betragMonatlich", "900.00")))),
            einkommen.Select(e => new XElement(wg + "einkommenAntragsteller", new XElement(ihc + "art", e.Art), new XElement(ihc + "betragMonatlich", e.Betrag)))))!;
    }

    private static JsonObject Registered(string titelart, string? gueltigBis, string? erteiltAm = "2023-02-01")
    {
        var data = new JsonObject { ["titelart"] = titelart };
        if (erteiltAm is not null) data["erteiltAm"] = erteiltAm;
        if (gueltigBis is not null) data["gueltigBis"] = gueltigBis;
        return data;
    }

    private static JsonObject Income(string betrag, string von = "2026-01-01", string bis = "2026-01-31", string art = "RENTE", string waehrung = "EUR") =>
        new() { ["betrag"] = betrag, ["waehrung"] = waehrung, ["zeitraum"] = new JsonObject { ["von"] = von, ["bis"] = bis }, ["art"] = art };

    private static ApplicationCheck Check(string type, JsonObject data, ApplicationStatement stated, decimal tolerance = 5m) =>
        EvidenceComparison.Compare(type, data, stated, tolerance, "register");

    [Fact]
    public void A_residence_title_expired_before_the_application_date_is_a_discrepancy_not_a_match()
    {
        var stated = Sozialhilfe(Titel("Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG)", "2027-01-31"));

        var check = Check(EvidenceTypes.Aufenthaltstitel, Registered("Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG)", "2026-01-31"), stated);

        check.Outcome.Should().Be(CheckOutcomes.Discrepancy);
        check.Discrepancies.Should().Equal("aufenthaltstitel.gueltigkeit", "aufenthaltstitel.gueltigBis");
    }

    [Fact]
    public void A_title_issued_only_after_the_application_date_is_not_valid_on_it()
    {
        var stated = Sozialhilfe(Titel("Blaue Karte EU", "2028-12-31"));

        Check(EvidenceTypes.Aufenthaltstitel, Registered("Blaue Karte EU", "2028-12-31", erteiltAm: "2026-04-01"), stated)
            .Discrepancies.Should().Equal("aufenthaltstitel.gueltigkeit");
    }

    [Fact]
    public void A_valid_title_of_the_stated_kind_and_date_matches_spacing_and_case_aside()
    {
        var stated = Sozialhilfe(Titel("aufenthaltserlaubnis (§25  Abs. 2 AufenthG)", "2027-01-31"));

        var check = Check(EvidenceTypes.Aufenthaltstitel, Registered("Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG)", "2027-01-31"), stated);

        check.Outcome.Should().Be(CheckOutcomes.Match);
        check.Discrepancies.Should().BeEmpty();
    }

    [Fact]
    public void An_unlimited_title_is_valid_on_any_date_after_it_was_issued_but_not_the_stated_limited_one()
    {
        Check(EvidenceTypes.Aufenthaltstitel, Registered("Niederlassungserlaubnis", null), Sozialhilfe(Titel("Niederlassungserlaubnis", "2030-01-01")))
            .Discrepancies.Should().Equal("aufenthaltstitel.gueltigBis");
    }

    [Fact]
    public void A_title_of_another_kind_or_legal_basis_differs_in_its_kind()
    {
        var stated = Sozialhilfe(Titel("Aufenthaltserlaubnis (§ 25 Abs. 5 AufenthG)", "2027-01-31"));

        Check(EvidenceTypes.Aufenthaltstitel, Registered("Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG)", "2027-01-31"), stated)
            .Discrepancies.Should().Equal("aufenthaltstitel.titelart");
        Check(EvidenceTypes.Aufenthaltstitel, Registered("Duldung", "2027-01-31"), stated)
            .Discrepancies.Should().Equal("aufenthaltstitel.titelart");
        Check(EvidenceTypes.Aufenthaltstitel, Registered("Aufenthaltserlaubnis", "2027-01-31"), stated)
            .Outcome.Should().Be(CheckOutcomes.Match, "a register naming the kind without its basis confirms the kind");
    }

    [Fact]
    public void An_applicant_who_states_German_citizenship_but_holds_a_title_differs_in_the_residence_status()
    {
        Check(EvidenceTypes.Aufenthaltstitel, Registered("Duldung", "2027-01-31"), Sozialhilfe(Deutsch))
            .Discrepancies.Should().Equal("aufenthaltsstatus");
    }

    [Fact]
    public void An_application_without_a_residence_status_is_not_checked_and_the_register_is_not_asked()
    {
        EvidenceComparison.NotComparable(EvidenceTypes.Aufenthaltstitel, Wohngeld()).Should().Be(NotCheckedReasons.AntragOhneAngabe);

        var check = Check(EvidenceTypes.Aufenthaltstitel, Registered("Duldung", "2020-01-01"), Wohngeld());
        check.Outcome.Should().Be(CheckOutcomes.NotChecked);
        check.Detail.Should().Be("NICHT_GEPRUEFT:ANTRAG_OHNE_ANGABE");
    }

    [Fact]
    public void A_register_answer_without_comparable_data_is_not_checked()
    {
        Check(EvidenceTypes.Aufenthaltstitel, new JsonObject(), Sozialhilfe(Deutsch)).Detail.Should().Be("NICHT_GEPRUEFT:NACHWEIS_NICHT_VERGLEICHBAR");
        Check(EvidenceTypes.Aufenthaltstitel, Registered("Duldung", "31.01.2027"), Sozialhilfe(Titel("Duldung", "2027-01-31")))
            .Outcome.Should().Be(CheckOutcomes.NotChecked, "an unreadable date is not an unlimited title");
        Check(EvidenceTypes.Meldedaten, new JsonObject(), Sozialhilfe(Deutsch))
            .Outcome.Should().Be(CheckOutcomes.NotChecked, "a Meldebescheinigung without structured data confirms no address");
        Check(EvidenceTypes.Einkommen, Income("612.40", waehrung: "CHF"), Wohngeld(("RENTE", "612.40")))
            .Outcome.Should().Be(CheckOutcomes.NotChecked);
    }

    [Fact]
    public void Other_benefits_are_never_compared_because_no_application_states_them()
    {
        var benefit = new JsonObject { ["leistung"] = "SGB_XII_GRUNDSICHERUNG", ["seit"] = "2024-07-01", ["aktenzeichen"] = "50.2-GS-2024-0815", ["laufend"] = "true" };

        EvidenceComparison.NotComparable(EvidenceTypes.Leistungsbezug, Sozialhilfe(Deutsch)).Should().Be(NotCheckedReasons.AntragOhneAngabe);
        Check(EvidenceTypes.Leistungsbezug, benefit, Sozialhilfe(Deutsch)).Outcome.Should().Be(CheckOutcomes.NotChecked);
    }

    [Fact]
    public void Stated_income_within_the_tolerance_matches_and_beyond_it_differs_in_the_amount()
    {
        Check(EvidenceTypes.Einkommen, Income("612.40"), Wohngeld(("RENTE", "600.00"))).Outcome.Should().Be(CheckOutcomes.Match, "2 % off is within 5 %");
        Check(EvidenceTypes.Einkommen, Income("612.40"), Wohngeld(("RENTE", "450.00"))).Discrepancies.Should().Equal("einkommen.betragMonatlich");
        Check(EvidenceTypes.Einkommen, Income("612.40"), Wohngeld(("RENTE", "700.00"))).Discrepancies.Should().Equal("einkommen.betragMonatlich");
    }

    [Fact]
    public void The_tolerance_is_the_municipalitys()
    {
        var stated = Wohngeld(("RENTE", "560.00"));

        Check(EvidenceTypes.Einkommen, Income("612.40"), stated, tolerance: 5m).Outcome.Should().Be(CheckOutcomes.Discrepancy);
        Check(EvidenceTypes.Einkommen, Income("612.40"), stated, tolerance: 10m).Outcome.Should().Be(CheckOutcomes.Match);
        Check(EvidenceTypes.Einkommen, Income("612.40"), Wohngeld(("RENTE", "612.39")), tolerance: 0m).Outcome.Should().Be(CheckOutcomes.Discrepancy);
    }

    [Fact]
    public void A_registered_amount_for_several_months_is_compared_per_month_and_stated_amounts_of_one_kind_are_summed()
    {
        Check(EvidenceTypes.Einkommen, Income("1837.20", "2026-01-01", "2026-03-31"), Wohngeld(("RENTE", "400.00"), ("RENTE", "212.40")))
            .Outcome.Should().Be(CheckOutcomes.Match);
        Check(EvidenceTypes.Einkommen, Income("1837.20", "2026-01-01", "2026-03-31"), Wohngeld(("RENTE", "1837.20")))
            .Discrepancies.Should().Equal("einkommen.betragMonatlich");
    }

    [Fact]
    public void A_registered_income_the_application_does_not_state_differs_in_its_kind_and_household_incomes_are_not_the_applicants()
    {
        // The household member's pension of 900 is not the applicant's.
        Check(EvidenceTypes.Einkommen, Income("900.00"), Wohngeld(("ERWERBSEINKOMMEN", "900.00"))).Discrepancies.Should().Equal("einkommen.art");
        Check(EvidenceTypes.Einkommen, Income("900.00"), Wohngeld()).Discrepancies.Should().Equal("einkommen.art");
    }

    [Fact]
    public void The_address_is_compared_field_by_field()
    {
        var data = new JsonObject { ["anschrift"] = new JsonObject { ["strasse"] = "Am Markt", ["hausnummer"] = "5", ["postleitzahl"] = "63067", ["ort"] = "musterstadt" } };

        Check(EvidenceTypes.Meldedaten, data, Sozialhilfe(Deutsch)).Discrepancies.Should().Equal("anschrift.hausnummer");
    }

    [Fact]
    public void The_application_statement_reads_the_citizens_consent_scope()
    {
        Sozialhilfe(Deutsch).Consent.Should().Equal(EvidenceTypes.Meldedaten, EvidenceTypes.Aufenthaltstitel);
        Wohngeld().Consent.Should().BeEmpty("nachweisabrufErteilt is false");
    }
}
