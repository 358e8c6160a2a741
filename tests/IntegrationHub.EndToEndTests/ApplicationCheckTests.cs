using IntegrationHub.CaseStatus;
using IntegrationHub.Ledger;
using IntegrationHub.OnceOnly;
using IntegrationHub.OnceOnly.Checks;
using IntegrationHub.OnceOnly.Protocol;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Evidence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>Offenbach checks every Wohngeld application's address against its Melderegister before the handover.</summary>
public sealed class ApplicationCheckFixture : HubFixture
{
    public const string LegalBasis = "§ 23 Abs. 3 WoGG";

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
    [
        new("Hub:Targets:melderegister:Kind", "EvidenceProvider"),
        new("Hub:Targets:melderegister:BaseUrl", new Uri(simulators.BaseAddress, "evidence/melderegister/").ToString()),
        new("Hub:Targets:melderegister:Timeout", "00:00:05"),
        new("Hub:Tenants:0:Evidence:Providers:0:Type", EvidenceTypes.Meldedaten),
        new("Hub:Tenants:0:Evidence:Providers:0:Target", "melderegister"),
        new("Hub:Tenants:0:Evidence:Providers:0:LegalBases:0", LegalBasis),
        new("Hub:Tenants:0:Routes:0:Checks:0", EvidenceTypes.Meldedaten),
    ];
}

/// <summary>
/// Once-only while validating: the Wohngeld applicant's address is checked against the Melderegister, a discrepancy is
/// marked for the caseworker in the handover instead of asking the citizen for a Meldebescheinigung, a register that is
/// down never holds the application up, and every lookup is in the access protocol.
/// </summary>
public sealed class ApplicationCheckTests(ApplicationCheckFixture hub) : IClassFixture<ApplicationCheckFixture>
{
    private Melderegister Melderegister => hub.Simulators.Evidence.Melderegister;

    [Fact]
    public async Task A_Wohngeld_application_whose_address_differs_from_the_Melderegister_reaches_the_caseworker_with_the_discrepancy_marked()
    {
        var application = ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 601);
        Melderegister.RegisterApplicant(application, new Wohnanschrift("Bahnhofstraße", "99", "63065", "Offenbach am Main"));

        var submissionId = await SubmitAndWaitForCaseAsync(application);

        var check = (await ChecksAsync(submissionId)).Should().ContainSingle().Subject;
        check.Should().BeEquivalentTo(new ApplicationCheck(EvidenceTypes.Meldedaten, CheckOutcomes.Discrepancy,
            ["anschrift.strasse", "anschrift.hausnummer"], null, "melderegister"));
        hub.Simulators.Marius.Cases.Single(c => c.SubmissionId == submissionId).Pruefhinweise
            .Should().Equal("MELDEDATEN ABWEICHUNG anschrift.strasse anschrift.hausnummer");
        var call = Melderegister.Calls.Should().ContainSingle(c => c.RequesterArs == HubFixture.Offenbach).Subject;
        call.Nachweisart.Should().Be("MELDEDATEN");
    }

    [Fact]
    public async Task A_matching_address_is_confirmed_and_the_lookup_is_in_the_access_protocol()
    {
        var application = ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 602);
        var applicant = Melderegister.RegisterApplicant(application);

        var submissionId = await SubmitAndWaitForCaseAsync(application);

        (await ChecksAsync(submissionId)).Should().ContainSingle().Which.Outcome.Should().Be(CheckOutcomes.Match);
        hub.Simulators.Marius.Cases.Single(c => c.SubmissionId == submissionId).Pruefhinweise.Should().Equal("MELDEDATEN UEBEREINSTIMMUNG");
        var protocol = hub.Factory.Services.GetRequiredService<IAccessProtocol>();
        var pseudonym = protocol.PseudonymOf(new PersonReference(applicant.Person.IdNr, applicant.Person.Familienname, applicant.Person.Vorname, applicant.Person.Geburtsdatum));
        var entries = await hub.InLedgerAsync(db => db.AccessProtocol.AsNoTracking().Where(r => r.PersonPseudonym == pseudonym).ToListAsync());
        var entry = entries.Should().ContainSingle().Subject;
        entry.Outcome.Should().Be(EvidenceOutcomes.Provided);
        entry.RequesterProcedure.Should().Be(ApplicationChecks.Procedure);
        entry.EvidenceType.Should().Be(EvidenceTypes.Meldedaten);
        (entry.LegalBasis ?? entry.ConsentReference).Should().NotBeNull("every lookup names its basis or the citizen's consent");
    }

    [Fact]
    public async Task A_Melderegister_that_is_down_does_not_hold_the_application_up_and_the_caseworker_is_told()
    {
        var application = ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 603);
        Melderegister.Faults.OutageFor(TimeSpan.FromMinutes(1));
        try
        {
            var submissionId = await SubmitAndWaitForCaseAsync(application);

            var check = (await ChecksAsync(submissionId)).Should().ContainSingle().Subject;
            check.Outcome.Should().Be(CheckOutcomes.NotPossible);
            hub.Simulators.Marius.Cases.Single(c => c.SubmissionId == submissionId).Pruefhinweise.Should().ContainSingle()
                .Which.Should().StartWith("MELDEDATEN NICHT_MOEGLICH");
        }
        finally
        {
            Melderegister.Faults.Reset();
        }
    }

    private async Task<Guid> SubmitAndWaitForCaseAsync(DemoApplication application)
    {
        var submissionId = (await hub.Sender().SubmitAsync(application, HubFixture.OffenbachWohngeld)).SubmissionId!.Value;
        await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Received);
        return submissionId;
    }

    private async Task<IReadOnlyList<ApplicationCheck>> ChecksAsync(Guid submissionId) =>
        ApplicationChecks.FromHistory(await hub.InLedgerAsync(db => db.History.AsNoTracking().Where(h => h.SubmissionId == submissionId).ToListAsync()));
}
