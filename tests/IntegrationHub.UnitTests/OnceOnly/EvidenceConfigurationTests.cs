using IntegrationHub.OnceOnly;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;
using static IntegrationHub.UnitTests.OnceOnly.EvidenceSetup;

namespace IntegrationHub.UnitTests.OnceOnly;

/// <summary>Start-up checks of providers and requesters: a broken configuration never takes traffic, and the message says where.</summary>
public sealed class EvidenceConfigurationTests
{
    private static IEnumerable<string> Errors(Action<HubOptions> change)
    {
        var hub = Hub();
        change(hub);
        return EvidenceConfigurationValidation.Validate(hub);
    }

    [Fact]
    public void The_sample_configuration_is_valid()
    {
        EvidenceConfigurationValidation.Validate(Hub()).Should().BeEmpty();
        new EvidenceConfigurationValidation().Validate(null, Hub()).Succeeded.Should().BeTrue();
    }

    [Fact]
    public void An_unknown_evidence_type_of_a_provider_is_named()
    {
        Errors(h => h.Tenants[0].Evidence.Providers[0].Type = "FUEHRERSCHEIN").Should().ContainSingle()
            .Which.Should().Be("Tenant 064130000000: evidence provider for unknown evidence type 'FUEHRERSCHEIN' (known: MELDEDATEN, AUFENTHALTSTITEL, LEISTUNGSBEZUG, EINKOMMEN).");
    }

    [Fact]
    public void A_provider_target_missing_in_Hub_Targets_is_named()
    {
        Errors(h => h.Targets.Remove("melderegister-da")).Should().ContainSingle()
            .Which.Should().Be("Tenant 064110000000: the provider of MELDEDATEN names target 'melderegister-da', which is missing in Hub:Targets.");
    }

    [Fact]
    public void A_provider_target_of_another_kind_is_named()
    {
        Errors(h => h.Targets["prosoz-of"].Kind = "Prosoz").Should().ContainSingle()
            .Which.Should().Contain("target 'prosoz-of' (provider of LEISTUNGSBEZUG) has Kind 'Prosoz', not EvidenceProvider");
    }

    [Fact]
    public void Two_providers_of_one_type_and_a_non_positive_ttl_are_named()
    {
        Errors(h => h.Tenants[1].Evidence.Providers.Add(new EvidenceProviderOptions { Type = EvidenceTypes.Meldedaten, Target = "melderegister-da", CacheTtl = TimeSpan.Zero }))
            .Should().BeEquivalentTo(
                "Tenant 064110000000: evidence type MELDEDATEN has more than one provider.",
                "Tenant 064110000000: CacheTtl of MELDEDATEN must be positive or unset (unset: no caching).");
    }

    [Fact]
    public void A_duplicate_requester_is_named()
    {
        Errors(h => h.EvidenceRequesters.Add(h.EvidenceRequesters[0])).Should().ContainSingle()
            .Which.Should().Be("Evidence requester 'wohngeld-of' is configured twice.");
    }

    [Fact]
    public void A_requester_with_an_unknown_type_an_unknown_municipality_or_a_bad_secret_hash_is_named()
    {
        Errors(h =>
        {
            h.EvidenceRequesters[0].EvidenceTypes.Add("STEUER");
            h.EvidenceRequesters[0].Ars = "069999999999";
            h.EvidenceRequesters[0].SecretSha256 = "geheim";
        }).Should().BeEquivalentTo(
            "Evidence requester 'wohngeld-of': SecretSha256 must be 64 hex digits (the SHA-256 of the secret).",
            "Evidence requester 'wohngeld-of': ARS '069999999999' is not a configured tenant.",
            "Evidence requester 'wohngeld-of': unknown evidence type 'STEUER' (known: MELDEDATEN, AUFENTHALTSTITEL, LEISTUNGSBEZUG, EINKOMMEN).");
    }

    [Fact]
    public void A_requester_sharing_a_client_id_with_a_sender_is_named()
    {
        Errors(h => h.Senders.Add(new SenderClientOptions { ClientId = "wohngeld-of" })).Should().ContainSingle()
            .Which.Should().Be("Evidence requester 'wohngeld-of' is also a sender client; use distinct client ids.");
    }

    [Fact]
    public void Options_validation_fails_with_every_message()
    {
        var hub = Hub();
        hub.EvidenceRequesters[0].EvidenceTypes.Clear();
        var result = new EvidenceConfigurationValidation().Validate(null, hub);

        result.Failed.Should().BeTrue();
        result.FailureMessage.Should().Contain("The evidence configuration is invalid").And.Contain("no evidence types; its role allows none");
    }

    [Fact]
    public void Requesters_authenticate_with_the_secret_whose_hash_is_configured()
    {
        var requesters = new EvidenceRequesters(Options.Create(Hub()));

        requesters.Authenticate("wohngeld-of", "s3cret")!.Ars.Should().Be(Offenbach);
        requesters.Authenticate("wohngeld-of", "wrong").Should().BeNull();
        requesters.Authenticate("unknown", "s3cret").Should().BeNull();
    }
}
