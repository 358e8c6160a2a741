using System.Xml.Schema;

namespace IntegrationHub.Contracts.Tests;

public class SchemaValidationTests
{
    // Without the XML declaration, so text replacements only hit the document content.
    private static string ValidWohngeld() => System.Xml.Linq.XElement.Parse(XmlText.Serialize(SampleMessages.Wohngeld())).ToString();

    [Fact]
    public void Bad_postleitzahl_is_reported()
    {
        var xml = ValidWohngeld().Replace("<ihc:postleitzahl>63067</ihc:postleitzahl>", "<ihc:postleitzahl>6306</ihc:postleitzahl>", StringComparison.Ordinal);

        var issues = XoevSchemas.Validate(xml);

        issues.Should().ContainSingle(i => i.Severity == XmlSeverityType.Error && i.Message.Contains("postleitzahl"));
    }

    [Fact]
    public void Missing_required_element_is_reported()
    {
        var antrag = SampleMessages.Wohngeld();
        var xml = XmlText.Serialize(antrag);
        var doc = System.Xml.Linq.XElement.Parse(xml);
        doc.Element(System.Xml.Linq.XName.Get("bankverbindung", XoevSchemas.CommonNamespace))!.Remove();

        var issues = XoevSchemas.Validate(doc.ToString());

        issues.Should().Contain(i => i.Severity == XmlSeverityType.Error && i.Message.Contains("bankverbindung"));
    }

    [Theory]
    [InlineData("<ihc:iban>DE02120300000000202051</ihc:iban>", "<ihc:iban>de02 1203</ihc:iban>")]
    [InlineData("<ihc:geschlecht>w</ihc:geschlecht>", "<ihc:geschlecht>weiblich</ihc:geschlecht>")]
    [InlineData("<wg:kaltmiete>720.00</wg:kaltmiete>", "<wg:kaltmiete>720.005</wg:kaltmiete>")]
    [InlineData("<wg:kaltmiete>720.00</wg:kaltmiete>", "<wg:kaltmiete>-1</wg:kaltmiete>")]
    [InlineData("<wg:wohnflaecheQm>78.5</wg:wohnflaecheQm>", "<wg:wohnflaecheQm>0</wg:wohnflaecheQm>")]
    [InlineData("<wg:anzahlRaeume>3</wg:anzahlRaeume>", "<wg:anzahlRaeume>0</wg:anzahlRaeume>")]
    [InlineData("<ihc:nachrichtUUID>3f6c2a1e-8d4b-4c8e-9a51-2b7d0e6f1a23</ihc:nachrichtUUID>", "<ihc:nachrichtUUID>not-a-uuid</ihc:nachrichtUUID>")]
    [InlineData("version=\"1.0\"", "version=\"2.0\"")]
    public void Invalid_values_are_reported(string valid, string invalid)
    {
        var xml = ValidWohngeld();
        xml.Should().Contain(valid);

        XoevSchemas.Validate(xml).Should().BeEmpty();
        XoevSchemas.Validate(xml.Replace(valid, invalid, StringComparison.Ordinal))
            .Should().ContainSingle().Which.Severity.Should().Be(XmlSeverityType.Error);
    }

    [Fact]
    public void Two_choice_alternatives_at_once_are_reported()
    {
        var antrag = SampleMessages.Sozialhilfe("deutsch");
        antrag.Aufenthaltsstatus.EuFreizuegigkeit = true; // the serializer writes both; the schema must refuse

        XoevSchemas.Validate(XmlText.Serialize(antrag)).Should().Contain(i => i.Severity == XmlSeverityType.Error);
    }

    [Fact]
    public void Unknown_root_element_is_reported()
    {
        XoevSchemas.Validate("<foo xmlns=\"urn:example\"/>").Should().Contain(i => i.Severity == XmlSeverityType.Error && i.Message.Contains("Unknown root"));
    }

    [Fact]
    public void Malformed_xml_is_reported_not_thrown()
    {
        XoevSchemas.Validate("<wg:wohngeld.antrag.0001 xmlns:wg=\"urn:integrationhub:xoev:wohngeld:1.0\">")
            .Should().Contain(i => i.Severity == XmlSeverityType.Error);
    }

    [Fact]
    public void Dtd_is_refused()
    {
        const string xml = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>";

        XoevSchemas.Validate(xml).Should().Contain(i => i.Severity == XmlSeverityType.Error && i.Message.Contains("DTD"));
    }

    [Fact]
    public void Foreign_element_instead_of_signature_is_reported()
    {
        var xml = XmlText.Serialize(SampleMessages.FallUebergabe());
        var tampered = xml.Replace("</fall:fall.uebergabe.0001>", "<x:evil xmlns:x=\"urn:evil\"/></fall:fall.uebergabe.0001>", StringComparison.Ordinal);

        XoevSchemas.Validate(tampered).Should().Contain(i => i.Severity == XmlSeverityType.Error);
    }
}
