using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using IntegrationHub.Simulators.EfA;
using static IntegrationHub.UnitTests.Simulators.SimulatorTestSupport;

namespace IntegrationHub.UnitTests.Simulators;

public sealed class ApplicationFactoryTests
{
    private static readonly XNamespace Ihc = ApplicationFactory.CommonNamespace;

    public static TheoryData<int> Seeds => new() { 0, 1, 2, 7, 42, 1234, 99999, -5 };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Wohngeld_applications_are_valid_against_the_xoev_schemas(int seed)
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed);

        SchemaErrors(application.Xml).Should().BeEmpty();
        application.ExpectedValid.Should().BeTrue();
        application.LeikaKey.Should().Be(DemoServices.WohngeldLeikaKey);
        application.SchemaUri.Should().Be(DemoServices.WohngeldSchemaUri);
        application.LeikaUrn.Should().Be("urn:de:fim:leika:leistung:99107004017000");
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Sozialhilfe_applications_are_valid_against_the_xoev_schemas(int seed)
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, seed);

        SchemaErrors(application.Xml).Should().BeEmpty();
        application.LeikaKey.Should().Be(DemoServices.SozialhilfeLeikaKey);
        application.ServiceName.Should().Be(DemoServices.SozialhilfeName);
    }

    [Theory]
    [InlineData(SchemaDefect.InvalidPostleitzahl)]
    [InlineData(SchemaDefect.MissingMiete)]
    public void Schema_invalid_wohngeld_fails_validation(SchemaDefect defect)
    {
        var application = ApplicationFactory.WohngeldSchemaInvalid(Ars, Plz, Ort, 3, defect);

        SchemaErrors(application.Xml).Should().NotBeEmpty();
        application.ExpectedValid.Should().BeFalse();
        application.ExpectedProblem.Should().Be("schema-invalid");
    }

    [Fact]
    public void Invalid_postleitzahl_variant_carries_a_letter()
    {
        var application = ApplicationFactory.WohngeldSchemaInvalid(Ars, Plz, Ort, 3);

        Text(application, "postleitzahl").Should().Be("6306A");
    }

    [Fact]
    public void Wrong_municipality_variant_is_schema_valid_but_the_applicant_lives_elsewhere()
    {
        var application = ApplicationFactory.SozialhilfeWrongMunicipality(Ars, Plz, Ort, 11);
        var root = XDocument.Load(new MemoryStream(application.Xml)).Root!;

        SchemaErrors(application.Xml).Should().BeEmpty();
        var leser = root.Element(Ihc + "nachrichtenkopf")!.Element(Ihc + "leser")!.Element(Ihc + "kennung")!.Value;
        var addressArs = root.Element(Ihc + "antragsteller")!.Element(Ihc + "anschrift")!.Element(Ihc + "ars")!.Value;
        leser.Should().Be(Ars);
        addressArs.Should().NotBe(Ars).And.MatchRegex(@"^\d{12}$");
        application.ExpectedValid.Should().BeFalse();
        application.ExpectedProblem.Should().Be("wrong-municipality");
    }

    [Fact]
    public void Nachrichtenkopf_names_message_type_online_service_and_municipality()
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 5, onlineServiceId: "efa-client-17");
        var root = XDocument.Load(new MemoryStream(application.Xml)).Root!;
        var head = root.Element(Ihc + "nachrichtenkopf")!;

        head.Element(Ihc + "nachrichtentyp")!.Element(Ihc + "code")!.Value.Should().Be(root.Name.LocalName).And.Be("wohngeld.antrag.0001");
        Guid.TryParse(head.Element(Ihc + "nachrichtUUID")!.Value, out _).Should().BeTrue();
        var autor = head.Element(Ihc + "autor")!;
        autor.Element(Ihc + "verzeichnisdienst")!.Element(Ihc + "code")!.Value.Should().Be("EFA");
        autor.Element(Ihc + "kennung")!.Value.Should().Be("efa-client-17");
        var leser = head.Element(Ihc + "leser")!;
        leser.Element(Ihc + "verzeichnisdienst")!.Element(Ihc + "code")!.Value.Should().Be("ARS");
        leser.Element(Ihc + "kennung")!.Value.Should().Be(Ars);
        Text(application, "ars").Should().Be(Ars);
        Text(application, "postleitzahl").Should().Be(Plz);
        Text(application, "ort").Should().Be(Ort);
    }

    [Fact]
    public void Same_seed_gives_the_same_bytes_and_other_seeds_differ()
    {
        ApplicationFactory.Wohngeld(Ars, Plz, Ort, 77).Xml.Should().Equal(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 77).Xml);
        ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 77).Xml.Should().Equal(ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 77).Xml);
        var first = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 78).Attachments.Single();
        var again = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 78).Attachments.Single();
        again.AttachmentId.Should().Be(first.AttachmentId);
        again.Content.Should().Equal(first.Content);

        var names = Enumerable.Range(0, 20).Select(s => Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, s), "familienname") + Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, s), "vorname"));
        names.Distinct().Count().Should().BeGreaterThan(10);
        ApplicationFactory.Wohngeld(Ars, Plz, Ort, 1).Xml.Should().NotEqual(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2).Xml);
    }

    [Fact]
    public void Generated_ibans_pass_the_mod97_check()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            foreach (var application in new[] { ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed), ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, seed) })
            {
                var iban = Text(application, "iban");
                iban.Should().MatchRegex("^DE[0-9]{20}$");
                Ibans.IsValid(iban).Should().BeTrue(iban);
            }
        }
    }

    [Theory]
    [InlineData("DE89370400440532013000", true)]
    [InlineData("DE89 3704 0044 0532 0130 00", true)]
    [InlineData("GB82WEST12345698765432", true)]
    [InlineData("DE89370400440532013001", false)]
    [InlineData("DE98370400440532013000", false)]
    [InlineData("", false)]
    [InlineData("XX", false)]
    public void Iban_check_follows_iso_7064(string iban, bool valid) => Ibans.IsValid(iban).Should().Be(valid);

    [Fact]
    public void Tax_ids_have_a_valid_check_digit()
    {
        for (var seed = 0; seed < 100; seed++)
        {
            var id = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed), "identifikationsnummer");
            id.Should().MatchRegex(@"^[1-9]\d{10}$");
            SteuerIds.CheckDigit(id[..10]).Should().Be(id[10] - '0', id);
        }
    }

    [Fact]
    public void Some_applications_carry_a_minimal_pdf()
    {
        var withPdf = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 4);
        var without = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 5);

        without.Attachments.Should().BeEmpty();
        var attachment = withPdf.Attachments.Should().ContainSingle().Subject;
        attachment.MimeType.Should().Be("application/pdf");
        attachment.FileName.Should().EndWith(".pdf");
        attachment.AttachmentId.Should().NotBeEmpty();
        AssertMinimalPdf(attachment.Content);
        ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 5).Attachments.Should().ContainSingle();
        ApplicationFactory.Wohngeld(Ars, Plz, Ort, 5, withAttachment: true).Attachments.Should().ContainSingle();
    }

    private static void AssertMinimalPdf(byte[] pdf)
    {
        var text = Encoding.ASCII.GetString(pdf);
        text.Should().StartWith("%PDF-1.").And.EndWith("%%EOF\n");
        var startxref = int.Parse(Regex.Match(text, @"startxref\n(\d+)\n").Groups[1].Value);
        text[startxref..].Should().StartWith("xref");
        foreach (Match entry in Regex.Matches(text, @"(\d{10}) 00000 n "))
        {
            var offset = int.Parse(entry.Groups[1].Value);
            text[offset..].Should().MatchRegex(@"^\d+ 0 obj");
        }
    }

    private static string Text(DemoApplication application, string localName) =>
        XDocument.Load(new MemoryStream(application.Xml)).Descendants().First(e => e.Name.LocalName == localName).Value;
}
