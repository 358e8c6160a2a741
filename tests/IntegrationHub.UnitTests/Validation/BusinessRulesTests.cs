using System.Xml;
using IntegrationHub.Problems;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using static IntegrationHub.UnitTests.Validation.HubTestData;

namespace IntegrationHub.UnitTests.Validation;

/// <summary>Whether this municipality can take a schema-valid application.</summary>
public sealed class BusinessRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static XmlDocument Load(byte[] xml) => XmlContractValidator.LoadAndValidate(xml, MaxXmlCharacters);

    private static void Check(DemoApplication application, ServiceOptions service, string? schemaUri = null, string ars = Ars, DateTimeOffset? now = null) =>
        BusinessRules.Check(Load(application.Xml), schemaUri ?? application.SchemaUri, service, ars, now ?? Now);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(99)]
    public void Valid_Wohngeld_passes(int seed)
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed, createdAt: Now);

        var act = () => Check(application, WohngeldService);

        act.Should().NotThrow();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(99)]
    public void Valid_Sozialhilfe_passes(int seed)
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, seed, createdAt: Now);

        var act = () => Check(application, SozialhilfeService);

        act.Should().NotThrow();
    }

    [Fact]
    public void Application_addressed_to_another_municipality_is_MunicipalityMismatch()
    {
        // leser/kennung (and the address) name Frankfurt, the destination belongs to Musterstadt.
        var application = ApplicationFactory.Wohngeld(OtherArs, OtherPlz, OtherOrt, 4, createdAt: Now);

        var ex = Problem(() => Check(application, WohngeldService), ProblemTypes.MunicipalityMismatch);

        ex.Message.Should().Be("nachrichtenkopf/leser/kennung does not name the destination's municipality.");
    }

    [Fact]
    public void Only_the_reader_of_another_municipality_is_MunicipalityMismatch()
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 5, createdAt: Now);
        var doc = Load(application.Xml);
        var kennung = (XmlElement)doc.GetElementsByTagName("leser", ApplicationFactory.CommonNamespace)[0]!
            .ChildNodes.OfType<XmlElement>().Single(e => e.LocalName == "kennung");
        kennung.InnerText = OtherArs;

        var ex = Problem(() => BusinessRules.Check(doc, application.SchemaUri, SozialhilfeService, Ars, Now), ProblemTypes.MunicipalityMismatch);

        ex.Message.Should().Contain("leser/kennung").And.NotContain(OtherArs);
    }

    [Fact]
    public void Applicant_living_in_another_municipality_is_MunicipalityMismatch()
    {
        var application = ApplicationFactory.SozialhilfeWrongMunicipality(Ars, Plz, Ort, 6, otherArs: OtherArs, createdAt: Now);

        var ex = Problem(() => Check(application, SozialhilfeService), ProblemTypes.MunicipalityMismatch);

        ex.Message.Should().Contain("antragsteller/anschrift/ars");
        foreach (var value in PersonalValues(application.Xml))
        {
            ex.Message.Should().NotContain(value);
        }
    }

    [Fact]
    public void Applicant_address_without_ARS_is_accepted()
    {
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 7, createdAt: Now).Xml);
        var start = text.IndexOf("<ihc:ars>", StringComparison.Ordinal);
        var end = text.IndexOf("</ihc:ars>", start, StringComparison.Ordinal) + "</ihc:ars>".Length;
        var doc = Load(Bytes(text.Remove(start, end - start)));

        var act = () => BusinessRules.Check(doc, DemoServices.WohngeldSchemaUri, WohngeldService, Ars, Now);

        act.Should().NotThrow("anschrift/ars is optional in the schema");
    }

    [Fact]
    public void Schema_of_another_service_is_SchemaUnsupported()
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 8, createdAt: Now);

        var ex = Problem(() => Check(application, WohngeldService, schemaUri: DemoServices.SozialhilfeSchemaUri), ProblemTypes.SchemaUnsupported);

        ex.Message.Should().Be(
            $"Service {DemoServices.WohngeldLeikaKey} accepts '{DemoServices.WohngeldSchemaUri}', not '{DemoServices.SozialhilfeSchemaUri}'.");
    }

    [Fact]
    public void Schema_uri_is_compared_exactly()
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 8, createdAt: Now);

        Problem(() => Check(application, WohngeldService, schemaUri: DemoServices.WohngeldSchemaUri.ToUpperInvariant()), ProblemTypes.SchemaUnsupported);
    }

    [Fact]
    public void Root_namespace_other_than_the_announced_schema_is_SchemaUnsupported()
    {
        // Announced as Wohngeld (which the service accepts) but the data is a Sozialhilfe application.
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 9, createdAt: Now);

        var ex = Problem(() => Check(application, WohngeldService, schemaUri: DemoServices.WohngeldSchemaUri), ProblemTypes.SchemaUnsupported);

        ex.Message.Should().Be($"The root element's namespace does not match the announced schema '{DemoServices.WohngeldSchemaUri}'.");
    }

    [Fact]
    public void Antragsdatum_far_in_the_future_is_BusinessRuleViolated()
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 10, createdAt: Now.AddDays(400));

        var ex = Problem(() => Check(application, WohngeldService), ProblemTypes.BusinessRuleViolated);

        ex.Message.Should().Be("antragsdatum lies in the future.");
    }

    [Theory]
    [InlineData(-3650, true)]
    [InlineData(0, true)]
    [InlineData(1, true)] // one day of grace for time zones
    [InlineData(2, false)]
    public void Antragsdatum_may_be_at_most_one_day_ahead(int daysAhead, bool accepted)
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 11, createdAt: Now.AddDays(daysAhead));

        var act = () => Check(application, SozialhilfeService);

        if (accepted)
        {
            act.Should().NotThrow();
        }
        else
        {
            Problem(act, ProblemTypes.BusinessRuleViolated);
        }
    }

    [Theory]
    [InlineData("2099-01-01Z")]
    [InlineData("2099-01-01+01:00")]
    public void Future_antragsdatum_with_a_time_zone_is_BusinessRuleViolated(string antragsdatum)
    {
        // xs:date allows a time zone suffix; the schema accepts it, so the business rule must too.
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 12, createdAt: Now).Xml);
        var start = text.IndexOf("<ihc:antragsdatum>", StringComparison.Ordinal) + "<ihc:antragsdatum>".Length;
        var end = text.IndexOf("</ihc:antragsdatum>", start, StringComparison.Ordinal);
        var doc = Load(Bytes(text[..start] + antragsdatum + text[end..]));

        Problem(() => BusinessRules.Check(doc, DemoServices.WohngeldSchemaUri, WohngeldService, Ars, Now), ProblemTypes.BusinessRuleViolated);
    }

    [Fact]
    public void Path_follows_local_names_and_returns_null_when_missing()
    {
        var doc = Load(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 13, createdAt: Now).Xml);

        BusinessRules.Path(doc.DocumentElement!, "antragsteller", "anschrift", "ars").Should().Be(Ars);
        BusinessRules.Path(doc.DocumentElement!, "antragsteller", "gibtEsNicht").Should().BeNull();
    }
}
