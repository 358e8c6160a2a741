using IntegrationHub.Intake.Subscriber;
using IntegrationHub.Tenancy;

namespace IntegrationHub.UnitTests.Intake;

public sealed class DeliveryServiceConfigurationTests
{
    private static readonly Guid Hosted = Guid.NewGuid();

    private static HubOptions Hub() => new()
    {
        Tenants = [new TenantOptions { Ars = "064130000000", Name = "Offenbach", Destinations = [new DestinationOptions { Id = Hosted }] }],
    };

    private static DeliveryServiceOptions Valid() => new()
    {
        BaseUrl = "https://submission-api.example/",
        ClientId = "hub",
        ClientSecret = "secret",
        CallbackSecret = "callback-secret",
        Destinations = [Hosted],
    };

    [Fact]
    public void A_complete_delivery_service_for_a_hub_destination_is_valid()
    {
        DeliveryServices.Validate(new Dictionary<string, DeliveryServiceOptions> { ["fitko"] = Valid() }, Hub()).Should().BeEmpty();
        Valid().TokenUri.Should().Be(new Uri("https://submission-api.example/token"), "without TokenUrl the token endpoint is beside the API");
    }

    [Fact]
    public void Destinations_the_hub_does_not_host_missing_secrets_and_a_name_taken_by_another_target_are_reported()
    {
        var broken = Valid();
        broken.Destinations = [Guid.NewGuid()];
        broken.CallbackSecret = "";
        broken.ClientSecret = "";
        var hub = Hub();
        hub.Targets["fitko"] = new TargetOptions { Kind = "Prosoz" };

        var errors = DeliveryServices.Validate(new Dictionary<string, DeliveryServiceOptions> { ["fitko"] = broken }, hub).ToList();

        errors.Should().Contain(e => e.Contains("is not a destination in Hub:Tenants"));
        errors.Should().Contain(e => e.Contains("CallbackSecret is required"));
        errors.Should().Contain(e => e.Contains("ClientId and ClientSecret are required"));
        errors.Should().Contain(e => e.Contains("Hub:Targets:fitko exists with Kind 'Prosoz'"));
    }

    [Fact]
    public void A_destination_subscribed_at_two_delivery_services_is_reported()
    {
        DeliveryServices.Validate(new Dictionary<string, DeliveryServiceOptions> { ["a"] = Valid(), ["b"] = Valid() }, Hub())
            .Should().ContainSingle(e => e.Contains("more than one delivery service"));
    }

    [Fact]
    public void The_jti_of_an_answer_is_derived_from_its_idempotency_key()
    {
        var jti = FitConnectDeliveryServiceAdapter.JtiFor("abc:fitko:event:accept-submission");

        FitConnectDeliveryServiceAdapter.JtiFor("abc:fitko:event:accept-submission").Should().Be(jti, "a retried call is the same event");
        FitConnectDeliveryServiceAdapter.JtiFor("abc:fitko:event:reject-submission").Should().NotBe(jti);
        jti.ToString("D")[14].Should().Be('8', "a name-based UUID of version 8 (RFC 9562)");
    }
}
