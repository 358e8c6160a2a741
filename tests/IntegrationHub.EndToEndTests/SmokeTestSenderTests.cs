using System.Text;
using IntegrationHub.Host.SmokeTests;
using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding.SmokeTests;

namespace IntegrationHub.EndToEndTests;

/// <summary>The synthetic application smoke tests send: plainly a test, for the service's schema, or none.</summary>
public sealed class SmokeTestSenderTests
{
    private static SmokeTestApplication For(string leikaKey, string schemaUri) => new(HubFixture.Offenbach, "Stadt Offenbach am Main", Guid.NewGuid(),
        new ServiceOptions { LeikaKey = leikaKey, Name = "Der Dienst", SchemaUri = schemaUri }, SmokeTestClient.ClientId, "secret", null);

    [Fact]
    public void The_application_follows_the_services_schema_and_names_the_applicant_Smoke_Test()
    {
        var application = EfaSmokeTestSender.Build(For("99079005000000", "urn:integrationhub:xoev:sozialhilfe:1.0"))!;

        application.SchemaUri.Should().Be("urn:integrationhub:xoev:sozialhilfe:1.0");
        application.LeikaKey.Should().Be("99079005000000");
        application.ServiceName.Should().Be("Der Dienst");
        var xml = Encoding.UTF8.GetString(application.Xml);
        xml.Should().Contain(">Test</ihc:familienname>").And.Contain(">Smoke</ihc:vorname>").And.Contain(HubFixture.Offenbach);
    }

    [Fact]
    public async Task A_service_whose_schema_the_factory_cannot_build_gets_no_application_and_a_reason()
    {
        var request = For("99107004017000", "urn:example:another:schema");
        EfaSmokeTestSender.Build(request).Should().BeNull();

        var result = await new EfaSmokeTestSender(null!).SendAsync(request, CancellationToken.None);
        result.Sent.Should().BeFalse();
        result.Failure.Should().Be("no synthetic application for schema urn:example:another:schema");
    }
}
