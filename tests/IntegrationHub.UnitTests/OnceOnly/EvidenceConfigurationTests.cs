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
        new EvidenceConfigurationValidation(Options.Create(new OnceOnlyOptions())).Validate(null, Hub()).Succeeded.Should().BeTrue();
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
    public void Legal_bases_of_a_requester_for_a_type_its_role_does_not_allow_or_empty_ones_are_named()
    {
        Errors(h => h.EvidenceRequesters[0].LegalBases[EvidenceTypes.Leistungsbezug] = ["§ 118 SGB XII"]).Should().ContainSingle()
            .Which.Should().Be("Evidence requester 'wohngeld-of': legal bases for LEISTUNGSBEZUG, which its role does not allow.");
        Errors(h => h.EvidenceRequesters[0].LegalBases[EvidenceTypes.Einkommen] = [" "]).Should().ContainSingle()
            .Which.Should().Be("Evidence requester 'wohngeld-of': a legal basis of EINKOMMEN is empty.");
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
        var result = new EvidenceConfigurationValidation(Options.Create(new OnceOnlyOptions())).Validate(null, hub);

        result.Failed.Should().BeTrue();
        result.FailureMessage.Should().Contain("The evidence configuration is invalid").And.Contain("no evidence types; its role allows none");
    }

    [Fact]
    public void Requesters_authenticate_with_the_secret_whose_hash_is_configured()
    {
        var requesters = new EvidenceRequesters(Options.Create(Hub()), Options.Create(new OnceOnlyOptions()));

        requesters.Authenticate("wohngeld-of", "s3cret")!.Ars.Should().Be(Offenbach);
        requesters.Authenticate("wohngeld-of", "wrong").Should().BeNull();
        requesters.Authenticate("unknown", "s3cret").Should().BeNull();
    }

    // ----- callbacks: https origins on the requester's allow-list, signed with a secret of their own -----

    private const string CallbackSecret = "callback-secret-of-the-wohngeld-procedure-0123456789";

    private static IEnumerable<string> CallbackErrors(bool allowHttpLoopback, string? secret, params string[] origins)
    {
        var hub = Hub();
        hub.EvidenceRequesters[0].CallbackOrigins = [.. origins];
        hub.EvidenceRequesters[0].CallbackSecret = secret;
        return EvidenceConfigurationValidation.Validate(hub, allowHttpLoopback);
    }

    [Fact]
    public void Callback_origins_must_be_https_origins_and_come_with_a_callback_secret_of_their_own()
    {
        CallbackErrors(false, CallbackSecret, "https://marius.offenbach.example", "https://marius.offenbach.example:8443/").Should().BeEmpty();
        CallbackErrors(false, CallbackSecret, "http://marius.offenbach.example").Should().ContainSingle()
            .Which.Should().Be("Evidence requester 'wohngeld-of': callback origin 'http://marius.offenbach.example' must be https.");
        CallbackErrors(false, CallbackSecret, "https://marius.offenbach.example/callbacks").Should().ContainSingle()
            .Which.Should().Contain("must be an origin such as https://procedure.example");
        CallbackErrors(false, null, "https://marius.offenbach.example").Should().ContainSingle()
            .Which.Should().Contain("CallbackSecret (at least 32 characters, its own secret) is required with CallbackOrigins.");
        CallbackErrors(false, "short", "https://marius.offenbach.example").Should().ContainSingle();
    }

    [Fact]
    public void An_http_callback_origin_is_accepted_only_on_loopback_and_only_with_the_development_setting()
    {
        CallbackErrors(false, CallbackSecret, "http://127.0.0.1:5099").Should().ContainSingle().Which.Should().EndWith("must be https.");
        CallbackErrors(true, CallbackSecret, "http://127.0.0.1:5099", "http://localhost:5098", "http://[::1]:5097").Should().BeEmpty();
        CallbackErrors(true, CallbackSecret, "http://10.0.0.5:5099").Should().ContainSingle().Which.Should().EndWith("must be https (http only on a loopback host).");
    }

    [Theory]
    [InlineData("https://marius.offenbach.example/callbacks/42", false, null)]
    [InlineData("https://MARIUS.offenbach.example:443/x", false, null)]
    [InlineData("https://marius.offenbach.example.evil.example/callbacks", false, "not on this requester's callback origins")]
    [InlineData("https://marius.offenbach.example:8443/callbacks", false, "not on this requester's callback origins")]
    [InlineData("https://user:pw@marius.offenbach.example/callbacks", false, "must not carry credentials")]
    [InlineData("http://marius.offenbach.example/callbacks", false, "callbackUrl must be https.")]
    [InlineData("http://127.0.0.1:5099/callbacks", false, "callbackUrl must be https.")]
    [InlineData("http://127.0.0.1:5099/callbacks", true, null)]
    [InlineData("http://127.0.0.1:5098/callbacks", true, "not on this requester's callback origins")]
    public void A_callback_url_must_be_on_the_requesters_origins(string url, bool allowHttpLoopback, string? problem)
    {
        var hub = Hub();
        hub.EvidenceRequesters[0].CallbackOrigins = ["https://marius.offenbach.example", "http://127.0.0.1:5099"];
        hub.EvidenceRequesters[0].CallbackSecret = CallbackSecret;
        var requesters = new EvidenceRequesters(Options.Create(hub), Options.Create(new OnceOnlyOptions { AllowHttpLoopbackCallbacks = allowHttpLoopback }));

        var found = requesters.CallbackProblem("wohngeld-of", new Uri(url));

        if (problem is null) found.Should().BeNull();
        else found.Should().Contain(problem);
    }

    [Fact]
    public void The_callback_key_is_the_configured_callback_secret_never_derived_from_the_client_secret()
    {
        var hub = Hub();
        var withoutSecret = new EvidenceRequesters(Options.Create(hub), Options.Create(new OnceOnlyOptions()));
        withoutSecret.CallbackKey("wohngeld-of").Should().BeNull("the stored hash of the client secret is no HMAC key");
        withoutSecret.CallbackProblem("wohngeld-of", new Uri("https://marius.offenbach.example/cb")).Should().Contain("no callback secret");

        hub.EvidenceRequesters[0].CallbackSecret = CallbackSecret;
        new EvidenceRequesters(Options.Create(hub), Options.Create(new OnceOnlyOptions())).CallbackKey("wohngeld-of").Should().Be(CallbackSecret);
    }
}
