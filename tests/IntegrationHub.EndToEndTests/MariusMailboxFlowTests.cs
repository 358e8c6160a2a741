using IntegrationHub.Adapters.Marius;
using IntegrationHub.CaseStatus;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Mailbox;
using IntegrationHub.Simulators.Marius;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub with its own simulators, reading the Marius target's mailbox every 200 ms.</summary>
public sealed class MariusMailboxFixture : HubFixture
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
        simulators.Marius.HubTargetSettings("marius", simulators.BaseAddress)
            .Append(new KeyValuePair<string, string>("Hub:Targets:marius:PollInterval", "00:00:00.200"));
}

/// <summary>
/// Wohngeld through the XTA-style mailbox: the hub places the signed handover and its evidence in the procedure's
/// mailbox, learns the case number from the acknowledgement in its own mailbox, and takes the procedure's status
/// reports (Nachforderung, Bescheid) from there too.
/// </summary>
public sealed class MariusMailboxFlowTests(MariusMailboxFixture hub) : IClassFixture<MariusMailboxFixture>
{
    [Fact]
    public async Task Wohngeld_application_becomes_one_case_at_Marius_and_the_delivery_learns_its_WG_number_from_the_acknowledgement()
    {
        var outcome = await hub.Sender().SubmitAsync(
            ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 401, withAttachment: true), HubFixture.OffenbachWohngeld);

        var (submission, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);

        var delivery = deliveries.Should().ContainSingle(d => d.Target == "marius").Subject;
        delivery.Status.Should().Be(DeliveryStatus.Delivered);
        delivery.Reference.Should().Be(MessageIds.Handover(delivery.IdempotencyKey));
        var @case = hub.Simulators.Marius.Cases.Should().ContainSingle(c => c.SubmissionId == submission.Id).Subject;
        delivery.Aktenzeichen.Should().Be(@case.Aktenzeichen).And.MatchRegex(@"^WG-\d{4}-\d{6}$");
        @case.AttachmentCount.Should().Be(1);
        hub.Simulators.Marius.Calls.Where(c => c.SubmissionId == submission.Id).Should().OnlyContain(c => c.SignatureOk == true && c.Channel == "xta");

        var history = await HistoryAsync(submission.Id);
        history.Should().ContainInOrder(HistorySteps.Routed, HistorySteps.Placed, HistorySteps.Delivered, CitizenStatus.HistoryStep(CitizenStatus.Received));
        (await hub.InLedgerAsync(db => db.Submissions.SingleAsync(s => s.Id == submission.Id))).CitizenStatus.Should().Be(CitizenStatus.Received);
        var placed = hub.Simulators.Mailbox.Messages(MariusSimulator.ProcedureMailboxId).Where(m => m.MessageId.StartsWith(delivery.Reference!, StringComparison.Ordinal)).ToList();
        placed.Select(m => m.Metadata.MessageType).Should().BeEquivalentTo(["anlage", "fall.uebergabe.0001"]);
        placed.Should().OnlyContain(m => m.Status == XtaMessageStatus.Closed);
        (await HubFixture.WaitForAsync(() => Task.FromResult(AnswerTo(delivery.Reference!)), m => m?.Status == XtaMessageStatus.Closed))!
            .Status.Should().Be(XtaMessageStatus.Closed, "the hub closes the acknowledgement once it is recorded");
    }

    [Fact]
    public async Task Bescheid_reported_through_the_mailbox_makes_the_citizen_status_COMPLETED_with_the_document_kept()
    {
        var (submissionId, aktenzeichen) = await DeliveredWohngeldAsync(402);

        await hub.Simulators.Marius.ReportAsync(aktenzeichen, CitizenStatus.Processing);
        await hub.Simulators.Marius.ReportAsync(aktenzeichen, CitizenStatus.Completed);

        var submission = await HubFixture.WaitForAsync(() => hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submissionId)),
            s => s.CitizenStatus == CitizenStatus.Completed);
        submission.CitizenStatus.Should().Be(CitizenStatus.Completed);
        var reports = await hub.InLedgerAsync(db => db.StatusReports.AsNoTracking().Where(r => r.SubmissionId == submissionId).OrderBy(r => r.Sequence).ToListAsync());
        reports.Select(r => (r.Sequence, r.Status, r.Applied)).Should().Equal((1, CitizenStatus.Processing, true), (2, CitizenStatus.Completed, true));
        (await hub.DocumentNameAsync(reports[1])).Should().Be($"Wohngeldbescheid-{aktenzeichen}.pdf");
        reports[1].DocumentBlob.Should().NotBeNull();
        (await HistoryAsync(submissionId)).Should().ContainInOrder(
            CitizenStatus.HistoryStep(CitizenStatus.Received), CitizenStatus.HistoryStep(CitizenStatus.Processing), CitizenStatus.HistoryStep(CitizenStatus.Completed));
    }

    [Fact]
    public async Task Nachforderung_reported_through_the_mailbox_sets_ACTION_REQUIRED_with_its_deadline()
    {
        var (submissionId, aktenzeichen) = await DeliveredWohngeldAsync(403);
        var deadline = DateTimeOffset.UtcNow.AddDays(14);

        await hub.Simulators.Marius.ReportAsync(aktenzeichen, CitizenStatus.ActionRequired, deadline);

        var submission = await HubFixture.WaitForAsync(() => hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submissionId)),
            s => s.CitizenStatus == CitizenStatus.ActionRequired);
        submission.CitizenStatus.Should().Be(CitizenStatus.ActionRequired);
        var report = await hub.InLedgerAsync(db => db.StatusReports.AsNoTracking().SingleAsync(r => r.SubmissionId == submissionId));
        report.Deadline.Should().BeCloseTo(deadline, TimeSpan.FromMilliseconds(1));
        (await hub.DocumentNameAsync(report)).Should().Be($"Nachforderung-{aktenzeichen}.pdf");
    }

    [Fact]
    public async Task A_duplicate_acknowledgement_and_a_redelivered_handover_create_no_second_case_and_change_nothing()
    {
        var (submissionId, aktenzeichen) = await DeliveredWohngeldAsync(404);
        var delivery = await hub.InLedgerAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.SubmissionId == submissionId && d.Target == "marius"));
        var answer = AnswerTo(delivery.Reference!)!;
        await HubFixture.WaitForAsync(() => Task.FromResult(AnswerTo(delivery.Reference!)), m => m?.Status == XtaMessageStatus.Closed);

        // The procedure's mailbox hands the handover out again (a lost close), and the hub's hands out the acknowledgement again.
        hub.Simulators.Mailbox.Reopen(delivery.Reference!).Should().BeTrue();
        await hub.Simulators.Marius.PullNowAsync();
        hub.Simulators.Mailbox.Reopen(answer.MessageId).Should().BeTrue();
        await HubFixture.WaitForAsync(() => Task.FromResult(AnswerTo(delivery.Reference!)), m => m?.Status == XtaMessageStatus.Closed);

        hub.Simulators.Marius.CaseCountFor(submissionId).Should().Be(1);
        hub.Simulators.Marius.Calls.Should().Contain(c => c.SubmissionId == submissionId && c.Duplicate);
        hub.Simulators.Mailbox.Messages(MariusSimulator.HubMailboxId).Count(m => m.Metadata.RelatesTo == delivery.Reference).Should().Be(1);
        var history = await HistoryAsync(submissionId);
        history.Count(h => h == HistorySteps.Delivered).Should().Be(1);
        history.Count(h => h == CitizenStatus.HistoryStep(CitizenStatus.Received)).Should().Be(1);
        (await hub.InLedgerAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.Id == delivery.Id))).Aktenzeichen.Should().Be(aktenzeichen);
    }

    [Fact]
    public async Task A_handover_the_procedure_refuses_fails_the_delivery_with_the_procedures_reason()
    {
        // Without the municipality's certificate pinned, the procedure cannot trust the handover and answers ABGELEHNT.
        hub.Simulators.Pins.Unpin(HubFixture.Darmstadt).Should().BeTrue();
        try
        {
            var outcome = await hub.Sender().SubmitAsync(ApplicationFactory.Wohngeld(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 405), HubFixture.DarmstadtWohngeld);

            var (_, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);

            var delivery = deliveries.Should().ContainSingle(d => d.Target == "marius").Subject;
            delivery.Status.Should().Be(DeliveryStatus.Failed);
            delivery.LastError.Should().Contain("signer-not-pinned");
            hub.Simulators.Marius.CaseCountFor(outcome.SubmissionId!.Value).Should().Be(0);
            (await HistoryAsync(outcome.SubmissionId!.Value)).Should().Contain(HistorySteps.DeliveryFailed).And.NotContain(HistorySteps.Delivered);
        }
        finally
        {
            var keys = hub.Factory.Services.GetRequiredService<KeyStore>();
            hub.Simulators.Pins.Pin(HubFixture.Darmstadt, keys.SigningCertificate(HubFixture.Darmstadt));
        }
    }

    private async Task<(Guid SubmissionId, string Aktenzeichen)> DeliveredWohngeldAsync(int seed)
    {
        var outcome = await hub.Sender().SubmitAsync(ApplicationFactory.Wohngeld(HubFixture.Darmstadt, "64283", "Darmstadt", seed), HubFixture.DarmstadtWohngeld);
        var (_, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
        var delivery = deliveries.Single(d => d.Target == "marius");
        delivery.Status.Should().Be(DeliveryStatus.Delivered);
        return (outcome.SubmissionId!.Value, delivery.Aktenzeichen!);
    }

    private XtaMessage? AnswerTo(string handoverId) =>
        hub.Simulators.Mailbox.Messages(MariusSimulator.HubMailboxId).SingleOrDefault(m => m.Metadata.RelatesTo == handoverId);

    /// <summary>The submission's history as far as the Marius-like procedure is concerned (not the postbox's or the DMS's calls).</summary>
    private Task<List<string>> HistoryAsync(Guid submissionId) =>
        hub.InLedgerAsync(db => db.History.Where(h => h.SubmissionId == submissionId && (h.Target == null || h.Target == "marius"))
            .OrderBy(h => h.Id).Select(h => h.Step).ToListAsync());
}
