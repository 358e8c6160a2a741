using System.Text;
using IntegrationHub.Adapters.Postbox;
using IntegrationHub.CaseStatus;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Postbox;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>Eingangsbestätigung, status trail and Bescheid in the citizen's postbox, at the level the citizen logged in with.</summary>
[Collection(HubCollection.Name)]
public sealed class PostboxFlowTests(HubFixture hub)
{
    private PostboxSimulator Postbox => hub.Simulators.Postbox;

    private async Task<(Submission Submission, List<TargetDelivery> Deliveries)> SubmitSozialhilfeAsync(int seed, int trustLevel, Guid? mailbox,
        EfaOnlineService? sender = null)
    {
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed) with
        {
            TrustLevel = trustLevel,
            MailboxUuid = mailbox,
        };
        var outcome = await (sender ?? hub.Sender()).SubmitAsync(application, HubFixture.OffenbachSozialhilfe);
        outcome.Accepted.Should().BeTrue();
        return await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
    }

    [Fact]
    public async Task Sozialhilfe_application_at_level_3_gets_its_Eingangsbestaetigung_and_the_trail_SUBMITTED_then_RECEIVED_with_the_Aktenzeichen()
    {
        var mailbox = Postbox.OpenMailbox();

        var (submission, deliveries) = await SubmitSozialhilfeAsync(seed: 401, trustLevel: 3, mailbox);

        var handover = deliveries.Should().ContainSingle(d => d.Target == "prosoz").Subject;
        handover.Aktenzeichen.Should().NotBeNullOrEmpty();
        deliveries.Where(d => d.Target == "bundid").Select(d => (d.Step, d.Status)).Should().BeEquivalentTo(new[]
        {
            ("postbox:SUBMITTED", DeliveryStatus.Delivered),
            ("postbox:RECEIVED", DeliveryStatus.Delivered),
        });
        var inbox = Postbox.Inbox(mailbox);
        var message = inbox.Messages.Should().ContainSingle().Subject;
        message.Title.Should().Be("Eingangsbestätigung: " + submission.ServiceName);
        message.Content.Should().Contain(submission.Id.ToString());
        message.StorkQaaLevel.Should().Be("STORK-QAA-Level-3");
        message.Sender.Should().Be("Stadt Offenbach am Main");
        message.Author.Should().Be(HubFixture.Offenbach);
        var trail = inbox.StatusTrail(submission.Id.ToString());
        trail.Select(s => s.Status).Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received);
        trail[1].Details.Should().Contain(handover.Aktenzeichen);
        trail.Should().OnlyContain(s => s.PublicServiceName == submission.ServiceName && s.SenderName == "Stadt Offenbach am Main");
    }

    [Fact]
    public async Task Application_at_level_1_arrives_at_level_1()
    {
        var mailbox = Postbox.OpenMailbox();

        await SubmitSozialhilfeAsync(seed: 402, trustLevel: 1, mailbox);

        Postbox.Inbox(mailbox).Messages.Should().ContainSingle().Which.StorkQaaLevel.Should().Be("STORK-QAA-Level-1");
    }

    [Fact]
    public async Task A_level_4_claim_the_trusted_identity_provider_did_not_sign_arrives_at_level_1()
    {
        var mailbox = Postbox.OpenMailbox();
        using var otherIdp = new BundIdIdentityProvider();
        var sender = new EfaOnlineService(hub.Factory.CreateClient(), HubFixture.ClientId, hub.ClientSecret) { IdentityProvider = otherIdp };

        await SubmitSozialhilfeAsync(seed: 403, trustLevel: 4, mailbox, sender);

        Postbox.Inbox(mailbox).Messages.Should().ContainSingle().Which.StorkQaaLevel.Should().Be("STORK-QAA-Level-1");
    }

    [Fact]
    public async Task Application_without_a_postbox_completes_its_postbox_steps_without_a_message()
    {
        var callsBefore = Postbox.Calls.Count;

        var (submission, deliveries) = await SubmitSozialhilfeAsync(seed: 404, trustLevel: 3, mailbox: null);

        submission.Status.Should().Be(SubmissionStatus.Accepted);
        deliveries.Should().OnlyContain(d => d.Status == DeliveryStatus.Delivered);
        deliveries.Where(d => d.Target == "bundid").Should().HaveCount(2).And.OnlyContain(d => d.Reference == PostboxAdapter.NoPostbox);
        Postbox.Calls.Should().HaveCount(callsBefore, "nothing was sent to the postbox");
    }

    [Fact]
    public async Task Nachforderung_and_Bescheid_reported_by_the_procedure_reach_the_postbox_with_the_document_attached()
    {
        var mailbox = Postbox.OpenMailbox();
        var (submission, deliveries) = await SubmitSozialhilfeAsync(seed: 405, trustLevel: 4, mailbox);
        var aktenzeichen = deliveries.Single(d => d.Target == "prosoz").Aktenzeichen!;
        var bescheid = Encoding.ASCII.GetBytes("%PDF-1.4\n% Bescheid (fiktiv)\n%%EOF\n");
        var deadline = DateTimeOffset.UtcNow.AddDays(14);

        await using (var scope = hub.Factory.Services.CreateAsyncScope())
        {
            var reports = scope.ServiceProvider.GetRequiredService<ProcedureReports>();
            (await reports.ReportAsync("prosoz", new ProcedureReport(submission.Id, aktenzeichen, 1, CitizenStatus.ActionRequired,
                DateTimeOffset.UtcNow, Deadline: deadline), CancellationToken.None)).Should().Be(ReportOutcome.Applied);
            (await reports.ReportAsync("prosoz", new ProcedureReport(submission.Id, aktenzeichen, 2, CitizenStatus.Completed, DateTimeOffset.UtcNow,
                Document: new ReportedDocument("Bescheid.pdf", "application/pdf", new MemoryStream(bescheid))), CancellationToken.None))
                .Should().Be(ReportOutcome.Applied);
        }
        var (_, settled) = await hub.WaitUntilSettledAsync(submission.Id);

        settled.Where(d => d.Target == "bundid").Should().HaveCount(4).And.OnlyContain(d => d.Status == DeliveryStatus.Delivered);
        var inbox = Postbox.Inbox(mailbox);
        inbox.StatusTrail(submission.Id.ToString()).Select(s => s.Status)
            .Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received, CitizenStatus.ActionRequired, CitizenStatus.Completed);
        inbox.Messages.Select(m => m.Title.Split(':')[0]).Should().Equal("Eingangsbestätigung", "Nachforderung", "Bescheid");
        inbox.Messages.Should().OnlyContain(m => m.StorkQaaLevel == "STORK-QAA-Level-4");
        inbox.Messages[1].Content.Should().Contain(aktenzeichen);
        var attachment = inbox.Messages[2].Attachments.Should().ContainSingle().Subject;
        attachment.FileName.Should().Be("Bescheid.pdf");
        attachment.Content.Should().Equal(bescheid);
    }
}
