using IntegrationHub.Contracts.Xoev.Fall;
using IntegrationHub.Contracts.Xoev.Sozialhilfe;
using IntegrationHub.Contracts.Xoev.Wohngeld;

namespace IntegrationHub.Contracts.Tests;

public class RoundTripTests
{
    /// <summary>serialize → valid against the schemas → deserialize → equivalent → serialize again byte-identical.</summary>
    private static T RoundTrip<T>(T original)
        where T : class
    {
        var xml = XmlText.Serialize(original);
        XoevSchemas.Validate(xml).Should().BeEmpty("serialized {0} must be schema-valid:\n{1}", typeof(T).Name, xml);

        var back = XmlText.Deserialize<T>(xml);
        XmlText.Serialize(back).Should().Be(xml);
        return back;
    }

    [Fact]
    public void Wohngeld_antrag_round_trips_with_all_optional_and_repeated_elements()
    {
        var original = SampleMessages.Wohngeld();

        var back = RoundTrip(original);

        back.Should().BeEquivalentTo(original, o => o.RespectingRuntimeTypes());
        back.Nachrichtenkopf.Nachrichtentyp.Code.Should().Be("wohngeld.antrag.0001");
        back.Antragsteller.Anschrift.Postleitzahl.Should().Be("63067");
        back.Wohnung.AnzahlRaeume.Should().Be(3);
        back.Miete.HeizkostenInMieteEnthalten.Should().BeFalse();
        back.Miete.Kaltmiete.Should().Be(720.00m);
        back.Haushaltsmitglieder.Haushaltsmitglied.Should().HaveCount(2);
        back.Einwilligung.Umfang.Should().Equal(Xoev.Common.NachweisartType.Meldedaten, Xoev.Common.NachweisartType.Einkommen);
        back.Nachrichtenkopf.Erstellungszeitpunkt.Kind.Should().Be(DateTimeKind.Utc);
    }

    [Theory]
    [InlineData("deutsch")]
    [InlineData("euFreizuegigkeit")]
    [InlineData("aufenthaltstitel")]
    public void Sozialhilfe_antrag_round_trips_for_each_aufenthaltsstatus_alternative(string variant)
    {
        var original = SampleMessages.Sozialhilfe(variant);

        var back = RoundTrip(original);

        back.Should().BeEquivalentTo(original, o => o.RespectingRuntimeTypes());
        back.Leistungsart.Should().Be(LeistungsartType.GrundsicherungAlterErwerbsminderung);
        var status = back.Aufenthaltsstatus;
        new object?[] { status.Deutsch, status.EuFreizuegigkeit, status.Aufenthaltstitel }.Count(x => x is not null).Should().Be(1);
        back.Vermoegen.Select(v => v.Art).Should().Equal(VermoegensartType.Bankguthaben, VermoegensartType.Fahrzeug);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fall_uebergabe_round_trips_with_embedded_antrag_anlagen_and_signature(bool sozialhilfe)
    {
        var original = SampleMessages.FallUebergabe(sozialhilfe);

        var back = RoundTrip(original);

        back.Should().BeEquivalentTo(original, o => o.RespectingRuntimeTypes().Excluding(x => x.Signature));
        System.Xml.Linq.XNode.DeepEquals(System.Xml.Linq.XElement.Parse(back.Signature!.OuterXml), System.Xml.Linq.XElement.Parse(original.Signature!.OuterXml))
            .Should().BeTrue();
        back.Anlagen.Anlage[0].InhaltReferenz.Should().Be("cid:" + original.Anlagen.Anlage[0].AnlageId);
        back.Anlagen.Anlage[0].Inhalt.Should().BeNull();
        back.Anlagen.Anlage[1].Inhalt.Should().Equal(original.Anlagen.Anlage[1].Inhalt);
        back.Anlagen.Anlage[1].InhaltReferenz.Should().BeNull();
        if (sozialhilfe)
        {
            back.Antrag.SozialhilfeAntrag0001.Should().NotBeNull();
            back.Antrag.WohngeldAntrag0001.Should().BeNull();
        }
        else
        {
            back.Antrag.WohngeldAntrag0001!.Antragsteller.Familienname.Should().Be("Mustermann");
            back.Antrag.SozialhilfeAntrag0001.Should().BeNull();
        }
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Anlage_needs_exactly_one_of_inhalt_and_inhaltReferenz(bool inhalt, bool referenz)
    {
        var message = SampleMessages.FallUebergabe();
        var anlage = message.Anlagen.Anlage[0];
        anlage.Inhalt = inhalt ? [1, 2, 3] : null;
        anlage.InhaltReferenz = referenz ? "cid:" + anlage.AnlageId : null;

        XoevSchemas.Validate(XmlText.Serialize(message)).Should().NotBeEmpty();
    }

    [Fact]
    public void InhaltReferenz_must_be_a_cid_url()
    {
        var message = SampleMessages.FallUebergabe();
        message.Anlagen.Anlage[0].InhaltReferenz = "https://example.org/anlage";

        XoevSchemas.Validate(XmlText.Serialize(message)).Should().NotBeEmpty();
    }

    [Fact]
    public void Signature_is_the_last_child_of_fall_uebergabe()
    {
        var xml = XmlText.Serialize(SampleMessages.FallUebergabe());

        var root = System.Xml.Linq.XElement.Parse(xml);
        var last = root.Elements().Last();
        last.Name.Should().Be(System.Xml.Linq.XName.Get("Signature", XoevSchemas.XmlDsigNamespace));
    }

    [Fact]
    public void Fall_quittung_round_trips()
    {
        var original = SampleMessages.FallQuittung();

        var back = RoundTrip(original);

        back.Should().BeEquivalentTo(original, o => o.RespectingRuntimeTypes());
        back.Ergebnis.Should().Be(ErgebnisType.Abgelehnt);
        back.Fehler.Select(f => f.Code).Should().Equal("FV-001", "FV-002");
    }

    [Fact]
    public void Optional_elements_left_null_are_omitted_and_stay_valid()
    {
        var antrag = SampleMessages.Wohngeld();
        antrag.Version = null;
        antrag.Wohnung.AnzahlRaeume = null;
        antrag.Miete.HeizkostenInMieteEnthalten = null;
        antrag.Antragsteller.Geschlecht = null;
        antrag.Antragsteller.Kontakt = null;
        antrag.Antragsteller.Geburtsname = null;
        antrag.Einwilligung.ErteiltAm = null;
        antrag.Einwilligung.Umfang.Clear();
        antrag.EinkommenAntragsteller.Clear();

        var xml = XmlText.Serialize(antrag);

        XoevSchemas.Validate(xml).Should().BeEmpty();
        xml.Should().NotContain("anzahlRaeume").And.NotContain("heizkostenInMieteEnthalten").And.NotContain("erteiltAm")
            .And.NotContain("umfang").And.NotContain("einkommenAntragsteller").And.NotContain("nil");
        System.Xml.Linq.XElement.Parse(xml).Attribute("version").Should().BeNull();
        var antragstellerXml = System.Xml.Linq.XElement.Parse(xml).Element(System.Xml.Linq.XName.Get("antragsteller", XoevSchemas.CommonNamespace))!.ToString();
        antragstellerXml.Should().NotContain("geschlecht").And.NotContain("kontakt").And.NotContain("geburtsname");

        var back = XmlText.Deserialize<WohngeldAntrag0001>(xml);
        back.Wohnung.AnzahlRaeume.Should().BeNull();
        back.Miete.HeizkostenInMieteEnthalten.Should().BeNull();
        back.Antragsteller.Geschlecht.Should().BeNull();
        back.Einwilligung.ErteiltAm.Should().BeNull();
    }

    [Fact]
    public void A_new_message_with_default_values_serializes_required_elements()
    {
        var xml = XmlText.Serialize(new FallQuittung0002());

        // Required complex members are pre-created, so the structure is complete (values still need filling).
        xml.Should().Contain("<fall:nachrichtenkopf>").And.Contain("<ihc:nachrichtentyp>").And.Contain("<fall:ergebnis>ANGENOMMEN</fall:ergebnis>");
    }
}
