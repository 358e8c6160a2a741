using System.Globalization;
using System.Text;
using System.Xml.Linq;
using IntegrationHub.CaseStatus;
using IntegrationHub.Contracts;
using IntegrationHub.Contracts.Xoev.Nachweis;
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

/// <summary>
/// Offenbach checks every Wohngeld application's address against its Melderegister before the handover, and every
/// Sozialhilfe application's residence title, income and other benefits against the Ausländerbehörde, the pension
/// register and the Sozialamt.
/// </summary>
public sealed class ApplicationCheckFixture : HubFixture
{
    public const string LegalBasis = "§ 23 Abs. 3 WoGG";
    public const string SozialhilfeBasis = "§ 118 Abs. 1 SGB XII";

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
    [
        new("Hub:Targets:melderegister:Kind", "EvidenceProvider"),
        new("Hub:Targets:melderegister:BaseUrl", new Uri(simulators.BaseAddress, "evidence/melderegister/").ToString()),
        new("Hub:Targets:melderegister:Timeout", "00:00:05"),
        new("Hub:Tenants:0:Evidence:Providers:0:Type", EvidenceTypes.Meldedaten),
        new("Hub:Tenants:0:Evidence:Providers:0:Target", "melderegister"),
        new("Hub:Tenants:0:Evidence:Providers:0:LegalBases:0", LegalBasis),
        new("Hub:Tenants:0:Routes:0:Checks:0", EvidenceTypes.Meldedaten),
        .. Provider(1, EvidenceTypes.Aufenthaltstitel, Auslaenderbehoerde.ProviderName, simulators),
        .. Provider(2, EvidenceTypes.Einkommen, Rentenregister.ProviderName, simulators),
        .. Provider(3, EvidenceTypes.Leistungsbezug, Sozialamt.ProviderName, simulators),
        // Route 1 is Offenbach's Sozialhilfe (appsettings.json).
        new("Hub:Tenants:0:Routes:1:Checks:0", EvidenceTypes.Aufenthaltstitel),
        new("Hub:Tenants:0:Routes:1:Checks:1", EvidenceTypes.Einkommen),
        new("Hub:Tenants:0:Routes:1:Checks:2", EvidenceTypes.Leistungsbezug),
        new("Hub:Tenants:0:Evidence:IncomeTolerancePercent", "5"),
    ];

    private static IEnumerable<KeyValuePair<string, string>> Provider(int index, string type, string name, SimulatorServer simulators) =>
    [
        new($"Hub:Targets:{name}:Kind", "EvidenceProvider"),
        new($"Hub:Targets:{name}:BaseUrl", new Uri(simulators.BaseAddress, $"evidence/{name}/").ToString()),
        new($"Hub:Targets:{name}:Timeout", "00:00:05"),
        new($"Hub:Tenants:0:Evidence:Providers:{index}:Type", type),
        new($"Hub:Tenants:0:Evidence:Providers:{index}:Target", name),
        new($"Hub:Tenants:0:Evidence:Providers:{index}:LegalBases:0", SozialhilfeBasis),
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

    // ----- Sozialhilfe: residence title, income and other benefits are compared with what the application states -----

    private static readonly XNamespace Sh = XoevSchemas.SozialhilfeNamespace, Ihc = XoevSchemas.CommonNamespace;

    /// <summary>The first Sozialhilfe application from <paramref name="firstSeed"/> on that fits (the factory draws the residence status and incomes from the seed).</summary>
    private static (DemoApplication Application, XElement Root) SozialhilfeWhere(int firstSeed, Func<XElement, bool> fits) =>
        Enumerable.Range(firstSeed, 200).Select(seed => ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: seed))
            .Select(a => (Application: a, Root: XDocument.Parse(Encoding.UTF8.GetString(a.Xml)).Root!)).First(a => fits(a.Root));

    private static XElement? StatedTitle(XElement root) => root.Element(Sh + "aufenthaltsstatus")!.Element(Sh + "aufenthaltstitel");

    private static DateOnly Date(XElement? element) => DateOnly.ParseExact(element!.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_residence_title_that_expired_before_the_application_date_is_marked_as_a_discrepancy_not_confirmed()
    {
        var (application, root) = SozialhilfeWhere(610, r => StatedTitle(r) is not null);
        var antragsdatum = Date(root.Element(Ihc + "antragsdatum"));
        var stated = StatedTitle(root)!;
        // The Ausländerbehörde knows the stated kind of title, but it ran out a month before the application.
        hub.Simulators.Evidence.Auslaenderbehoerde.Register(ApplicationApplicant.Of(application).Person, stated.Element(Sh + "titelart")!.Value,
            gueltigBis: antragsdatum.AddMonths(-1), erteiltAm: antragsdatum.AddYears(-3));

        var submissionId = await SubmitAndWaitForCaseAsync(application, HubFixture.OffenbachSozialhilfe);

        var check = (await ChecksAsync(submissionId)).Should().ContainSingle(c => c.EvidenceType == EvidenceTypes.Aufenthaltstitel).Subject;
        check.Should().BeEquivalentTo(new ApplicationCheck(EvidenceTypes.Aufenthaltstitel, CheckOutcomes.Discrepancy,
            ["aufenthaltstitel.gueltigkeit", "aufenthaltstitel.gueltigBis"], null, Auslaenderbehoerde.ProviderName));
        hub.Simulators.Prosoz.Cases.Single(c => c.SubmissionId == submissionId).Pruefhinweise
            .Should().Contain("AUFENTHALTSTITEL ABWEICHUNG aufenthaltstitel.gueltigkeit aufenthaltstitel.gueltigBis");
    }

    [Fact]
    public async Task A_valid_residence_title_of_the_stated_kind_and_date_is_confirmed()
    {
        var (application, root) = SozialhilfeWhere(810, r => StatedTitle(r) is not null);
        var stated = StatedTitle(root)!;
        hub.Simulators.Evidence.Auslaenderbehoerde.Register(ApplicationApplicant.Of(application).Person, stated.Element(Sh + "titelart")!.Value,
            gueltigBis: Date(stated.Element(Sh + "gueltigBis")), erteiltAm: new DateOnly(2020, 1, 1));

        var submissionId = await SubmitAndWaitForCaseAsync(application, HubFixture.OffenbachSozialhilfe);

        (await ChecksAsync(submissionId)).Should().ContainSingle(c => c.EvidenceType == EvidenceTypes.Aufenthaltstitel)
            .Which.Outcome.Should().Be(CheckOutcomes.Match);
    }

    [Fact]
    public async Task A_pension_the_register_knows_as_far_higher_than_stated_is_marked_and_other_benefits_are_not_checked_nor_asked()
    {
        var (application, root) = SozialhilfeWhere(1010, r => r.Elements(Sh + "einkommen").Any(e => e.Element(Ihc + "art")!.Value == "RENTE"));
        var stated = decimal.Parse(root.Elements(Sh + "einkommen").First(e => e.Element(Ihc + "art")!.Value == "RENTE").Element(Ihc + "betragMonatlich")!.Value,
            CultureInfo.InvariantCulture);
        var person = ApplicationApplicant.Of(application).Person;
        // Three months of a pension 20 % above what the application states; the applicant also receives Grundsicherung already.
        hub.Simulators.Evidence.Rentenregister.Register(person, Math.Round(stated * 1.2m * 3, 2), new DateOnly(2026, 1, 1), new DateOnly(2026, 3, 31));
        hub.Simulators.Evidence.Sozialamt.Register(person, LeistungType.SgbXiiGrundsicherung, new DateOnly(2024, 7, 1), "50.2-GS-2024-0999");

        var submissionId = await SubmitAndWaitForCaseAsync(application, HubFixture.OffenbachSozialhilfe);

        var checks = await ChecksAsync(submissionId);
        checks.Should().ContainSingle(c => c.EvidenceType == EvidenceTypes.Einkommen).Which.Should().BeEquivalentTo(
            new ApplicationCheck(EvidenceTypes.Einkommen, CheckOutcomes.Discrepancy, ["einkommen.betragMonatlich"], null, Rentenregister.ProviderName));
        // No application schema states other benefits: nothing to compare, so the Sozialamt is not even asked.
        checks.Should().ContainSingle(c => c.EvidenceType == EvidenceTypes.Leistungsbezug).Which.Should().BeEquivalentTo(
            new ApplicationCheck(EvidenceTypes.Leistungsbezug, CheckOutcomes.NotChecked, [], NotCheckedReasons.AntragOhneAngabe, null));
        hub.Simulators.Evidence.Sozialamt.Calls.Should().NotContain(c => c.RequesterVerfahren == ApplicationChecks.Procedure);
        hub.Simulators.Prosoz.Cases.Single(c => c.SubmissionId == submissionId).Pruefhinweise
            .Should().Contain("LEISTUNGSBEZUG NICHT_GEPRUEFT ANTRAG_OHNE_ANGABE");
    }

    private async Task<Guid> SubmitAndWaitForCaseAsync(DemoApplication application, Guid? destination = null)
    {
        var submissionId = (await hub.Sender().SubmitAsync(application, destination ?? HubFixture.OffenbachWohngeld)).SubmissionId!.Value;
        await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Received);
        return submissionId;
    }

    private async Task<IReadOnlyList<ApplicationCheck>> ChecksAsync(Guid submissionId) =>
        ApplicationChecks.FromHistory(await hub.InLedgerAsync(db => db.History.AsNoTracking().Where(h => h.SubmissionId == submissionId).ToListAsync()));
}
