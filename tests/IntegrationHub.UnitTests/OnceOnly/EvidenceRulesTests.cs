using IntegrationHub.OnceOnly;
using Microsoft.Extensions.Options;
using static IntegrationHub.UnitTests.OnceOnly.EvidenceSetup;

namespace IntegrationHub.UnitTests.OnceOnly;

/// <summary>Who may ask what: every reason code of the hub's own refusals, and the ways a lookup is justified.</summary>
public sealed class EvidenceRulesTests
{
    private readonly EvidenceRules _rules = new(Options.Create(Hub()));

    private EvidenceDecision Check(EvidenceRequest request) => _rules.Check(request, WohngeldOffenbach);

    [Fact]
    public void A_configured_legal_basis_allows_the_lookup_and_names_the_provider()
    {
        var decision = Check(Request());

        decision.Allowed.Should().BeTrue();
        decision.Provider!.TargetName.Should().Be("melderegister-of");
    }

    [Fact]
    public void The_legal_basis_matches_regardless_of_spacing()
    {
        Check(Request(legalBasis: "§23  Abs. 3 WoGG")).Allowed.Should().BeTrue();
    }

    [Fact]
    public void Consent_whose_scope_includes_the_type_allows_the_lookup_without_a_legal_basis()
    {
        Check(Request(legalBasis: null, consent: "EINW-2026-17", scope: [EvidenceTypes.Einkommen, EvidenceTypes.Meldedaten])).Allowed.Should().BeTrue();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void No_purpose_is_ZWECK_FEHLT(string purpose)
    {
        Check(Request(purpose: purpose)).ReasonCode.Should().Be(EvidenceRefusalReasons.ZweckFehlt);
    }

    [Fact]
    public void Neither_legal_basis_nor_consent_is_KEINE_RECHTSGRUNDLAGE()
    {
        var decision = Check(Request(legalBasis: null));

        decision.ReasonCode.Should().Be(EvidenceRefusalReasons.KeineRechtsgrundlage);
        decision.Detail.Should().Contain("Neither a legal basis nor the citizen's consent");
    }

    [Fact]
    public void A_legal_basis_not_configured_for_the_type_is_KEINE_RECHTSGRUNDLAGE()
    {
        // § 118 SGB XII justifies Leistungsbezug, not Meldedaten.
        var decision = Check(Request(legalBasis: "§ 118 SGB XII"));

        decision.ReasonCode.Should().Be(EvidenceRefusalReasons.KeineRechtsgrundlage);
        decision.Detail.Should().Contain("not one configured for MELDEDATEN");
    }

    [Fact]
    public void A_legal_basis_the_provider_lists_but_not_configured_for_this_requester_is_KEINE_RECHTSGRUNDLAGE()
    {
        // Offenbach's Melderegister may be asked under § 67a SGB X, but by another procedure: the Wohngeldstelle has the WoGG only.
        var decision = Check(Request(legalBasis: "§ 67a SGB X"));

        decision.ReasonCode.Should().Be(EvidenceRefusalReasons.KeineRechtsgrundlage);
        decision.Detail.Should().Contain("not one configured for MELDEDATEN and this requester");
    }

    [Fact]
    public void Consent_whose_scope_lacks_the_type_is_EINWILLIGUNG_FEHLT()
    {
        var decision = Check(Request(legalBasis: null, consent: "EINW-2026-17", scope: [EvidenceTypes.Einkommen]));

        decision.ReasonCode.Should().Be(EvidenceRefusalReasons.EinwilligungFehlt);
        decision.Detail.Should().Contain("scope does not include MELDEDATEN");
    }

    [Fact]
    public void Consent_with_a_scope_but_no_reference_is_no_consent()
    {
        Check(Request(legalBasis: null, consent: " ", scope: [EvidenceTypes.Meldedaten])).ReasonCode.Should().Be(EvidenceRefusalReasons.KeineRechtsgrundlage);
    }

    [Fact]
    public void A_request_for_another_municipality_is_ANDERE_KOMMUNE()
    {
        var decision = Check(Request(ars: Darmstadt));

        decision.ReasonCode.Should().Be(EvidenceRefusalReasons.AndereKommune);
        decision.Provider.Should().BeNull("the other municipality's provider is never looked at");
    }

    [Fact]
    public void An_evidence_type_outside_the_role_is_ROLLE_NICHT_BERECHTIGT()
    {
        Check(Request(evidenceType: EvidenceTypes.Leistungsbezug, legalBasis: "§ 118 SGB XII")).ReasonCode.Should().Be(EvidenceRefusalReasons.RolleNichtBerechtigt);
    }

    [Fact]
    public void An_allowed_type_without_a_provider_in_the_municipality_is_KEIN_ANBIETER()
    {
        Check(Request(evidenceType: EvidenceTypes.Einkommen)).ReasonCode.Should().Be(EvidenceRefusalReasons.KeinAnbieter);
    }

    [Fact]
    public void The_purpose_is_checked_before_the_municipality()
    {
        Check(Request(purpose: "", ars: Darmstadt)).ReasonCode.Should().Be(EvidenceRefusalReasons.ZweckFehlt);
    }
}
