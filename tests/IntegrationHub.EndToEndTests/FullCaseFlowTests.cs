using IntegrationHub.CaseStatus;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators.Dms;
using IntegrationHub.Simulators.EfA;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// Every target for real, from receipt to Bescheid: the specialist procedure's case, the Akte → Vorgang → Dokument in the
/// DMS under the municipality's Aktenplan keys, and the citizen's postbox with the Eingangsbestätigung, the status trail
/// and the Bescheid at the trust level the citizen logged in with. Runs on the embedded default and on the servers.
/// </summary>
[Collection(HubCollection.Name)]
public sealed class FullCaseFlowTests(HubFixture hub) : IAsyncLifetime
{
    public Task InitializeAsync()
    {
        // The procedures decide every case they get: PROCESSING, then COMPLETED with a Bescheid.
        hub.Simulators.Marius.AutoDecide = true;
        hub.Simulators.Prosoz.Reports.AutoDecide = true;
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        hub.Simulators.Marius.AutoDecide = false;
        hub.Simulators.Prosoz.Reports.AutoDecide = false;
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Wohngeld_application_ends_with_a_Marius_case_an_Akte_in_the_DMS_and_the_Bescheid_in_the_citizens_postbox()
    {
        var mailbox = hub.Simulators.Postbox.OpenMailbox();
        var application = ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 501, withAttachment: true)
            with { MailboxUuid = mailbox, TrustLevel = 4 };

        var submissionId = (await hub.Sender().SubmitAsync(application, HubFixture.OffenbachWohngeld)).SubmissionId!.Value;

        var timeline = await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Completed, TimeSpan.FromSeconds(90));
        var aktenzeichen = await AssertCaseAsync(submissionId, "marius", @"^WG-\d{4}-\d{6}$", timeline);
        hub.Simulators.Marius.CaseCountFor(submissionId).Should().Be(1);
        AssertFiled(aktenzeichen, submissionId, antragKey: "50.22.01", bescheidKey: "50.22.02", documents: 1 + application.Attachments.Count);
        AssertPostbox(mailbox, submissionId, "STORK-QAA-Level-4", aktenzeichen);
    }

    [Fact]
    public async Task Sozialhilfe_application_ends_with_a_Prosoz_case_an_Akte_in_the_DMS_and_the_Bescheid_in_the_citizens_postbox()
    {
        var mailbox = hub.Simulators.Postbox.OpenMailbox();
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 502, withAttachment: true)
            with { MailboxUuid = mailbox, TrustLevel = 3 };

        var submissionId = (await hub.Sender().SubmitAsync(application, HubFixture.DarmstadtSozialhilfe)).SubmissionId!.Value;

        var timeline = await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Completed, TimeSpan.FromSeconds(90));
        var aktenzeichen = await AssertCaseAsync(submissionId, "prosoz", @"^50\.21-SGB12-\d{4}-\d{6}$", timeline);
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(1);
        hub.Simulators.Prosoz.Reports.Chronicle(aktenzeichen).Select(e => e.Status).Should().Equal("RECEIVED", "PROCESSING", "COMPLETED");
        AssertFiled(aktenzeichen, submissionId, antragKey: "50.21.01", bescheidKey: "50.21.02", documents: 1 + application.Attachments.Count);
        AssertPostbox(mailbox, submissionId, "STORK-QAA-Level-3", aktenzeichen);
    }

    [Fact]
    public async Task A_flapping_postbox_still_gets_every_status_once_and_in_order()
    {
        var mailbox = hub.Simulators.Postbox.OpenMailbox();
        hub.Simulators.Postbox.Faults.SetErrorRate(0.5, 503, seed: 4242);
        try
        {
            var application = ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 503) with { MailboxUuid = mailbox };
            var submissionId = (await hub.Sender().SubmitAsync(application, HubFixture.OffenbachSozialhilfe)).SubmissionId!.Value;

            await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Completed, TimeSpan.FromSeconds(120));

            hub.Simulators.Postbox.Inbox(mailbox).StatusTrail(submissionId.ToString()).Select(s => s.Status)
                .Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received, CitizenStatus.Processing, CitizenStatus.Completed);
            hub.Simulators.Postbox.Faults.InjectedCount.Should().BeGreaterThan(0, "the postbox did fail calls on the way");
        }
        finally
        {
            hub.Simulators.Postbox.Faults.Reset();
        }
    }

    /// <summary>The procedure's case, its timeline and its sender-visible events; returns the Aktenzeichen.</summary>
    private async Task<string> AssertCaseAsync(Guid submissionId, string procedure, string aktenzeichenPattern, CaseTimeline timeline)
    {
        timeline.CitizenTrail.Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received, CitizenStatus.Processing, CitizenStatus.Completed);
        var deliveries = await hub.InLedgerAsync(db => db.Deliveries.AsNoTracking().Where(d => d.SubmissionId == submissionId).ToListAsync());
        deliveries.Should().OnlyContain(d => d.Status == DeliveryStatus.Delivered, "every call of the case was made: {0}",
            string.Join(", ", deliveries.Select(d => $"{d.Target}/{d.Step}={d.Status}")));
        var handover = deliveries.Single(d => d.Step == DeliverySteps.Handover);
        handover.Target.Should().Be(procedure);
        handover.Aktenzeichen.Should().MatchRegex(aktenzeichenPattern);
        deliveries.Select(d => d.Step).Should().Contain(["filing:antrag", "postbox:SUBMITTED", "postbox:RECEIVED"])
            .And.Contain(s => s.StartsWith("filing:bescheid-", StringComparison.Ordinal))
            .And.Contain(s => s.StartsWith("postbox:COMPLETED-", StringComparison.Ordinal));
        return handover.Aktenzeichen!;
    }

    private void AssertFiled(string aktenzeichen, Guid submissionId, string antragKey, string bescheidKey, int documents)
    {
        var filed = hub.Simulators.Dms.FiledUnder(aktenzeichen);
        var antrag = filed.Should().ContainSingle(f => f.Akte.Property(DmsSchema.AktenplanKey) == antragKey).Subject;
        antrag.Vorgang.Property(DmsSchema.Aktenzeichen).Should().Be(aktenzeichen);
        antrag.Dokumente.Should().HaveCount(documents).And.OnlyContain(d => d.Property(DmsSchema.SubmissionId) == submissionId.ToString());
        var bescheid = filed.Should().ContainSingle(f => f.Akte.Property(DmsSchema.AktenplanKey) == bescheidKey).Subject;
        bescheid.Dokumente.Should().ContainSingle().Which.Property(DmsSchema.DocumentType).Should().Be("Bescheid");
    }

    private void AssertPostbox(Guid mailbox, Guid submissionId, string level, string aktenzeichen)
    {
        var inbox = hub.Simulators.Postbox.Inbox(mailbox);
        inbox.Messages.Should().HaveCount(2).And.OnlyContain(m => m.StorkQaaLevel == level);
        inbox.Messages[0].Title.Should().StartWith("Eingangsbestätigung");
        var bescheid = inbox.Messages[1].Attachments.Should().ContainSingle().Subject;
        bescheid.MimeType.Should().Be("application/pdf");
        bescheid.Length.Should().BeGreaterThan(0);
        var trail = inbox.StatusTrail(submissionId.ToString());
        trail.Select(s => s.Status).Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received, CitizenStatus.Processing, CitizenStatus.Completed);
        trail[1].Details.Should().Contain(aktenzeichen);
    }
}
