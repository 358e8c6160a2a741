using System.Text.Json.Nodes;
using IntegrationHub.Contracts.Messages;
using IntegrationHub.Delivery;
using IntegrationHub.Jose;
using IntegrationHub.CaseStatus;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>Submissions through the FIT-Connect API, all the way to the specialist procedures.</summary>
[Collection(HubCollection.Name)]
public sealed class SubmissionFlowTests(HubFixture hub)
{
    [Fact]
    public async Task Valid_wohngeld_application_reaches_the_Marius_procedure_signed_and_gets_its_case_number()
    {
        var application = ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 101, withAttachment: true);

        var outcome = await hub.Sender().SubmitAsync(application, HubFixture.OffenbachWohngeld, new SubmitOptions { Compress = true });

        outcome.CreateStatus.Should().Be(201);
        outcome.SubmitStatus.Should().Be(202);
        var (submission, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
        submission.Status.Should().Be(SubmissionStatus.Accepted);
        var delivery = deliveries.Where(d => d.Step == DeliverySteps.Handover).Should().ContainSingle().Subject;
        delivery.Target.Should().Be("marius");
        delivery.Status.Should().Be(DeliveryStatus.Delivered);
        delivery.Aktenzeichen.Should().MatchRegex(@"^WG-\d{4}-\d{6}$");

        var @case = hub.Simulators.Marius.Cases.Should().ContainSingle(c => c.SubmissionId == submission.Id).Subject;
        @case.Aktenzeichen.Should().Be(delivery.Aktenzeichen);
        @case.AuthorArs.Should().Be(HubFixture.Offenbach);
        hub.Simulators.Marius.Calls.Where(c => c.SubmissionId == submission.Id).Should().OnlyContain(c => c.SignatureOk == true);
        hub.Simulators.Prosoz.CaseCountFor(submission.Id).Should().Be(0);
    }

    [Fact]
    public async Task Valid_sozialhilfe_application_reaches_the_Prosoz_procedure_signed_and_gets_its_Aktenzeichen()
    {
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 102, withAttachment: true);

        var outcome = await hub.Sender().SubmitAsync(application, HubFixture.DarmstadtSozialhilfe, new SubmitOptions { UseThumbprintAsKid = true, Cty = "application/xml" });

        var (submission, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
        submission.Status.Should().Be(SubmissionStatus.Accepted);
        var delivery = deliveries.Where(d => d.Step == DeliverySteps.Handover).Should().ContainSingle().Subject;
        delivery.Target.Should().Be("prosoz");
        delivery.Aktenzeichen.Should().MatchRegex(@"^50\.21-SGB12-\d{4}-\d{6}$");
        hub.Simulators.Prosoz.Cases.Should().ContainSingle(c => c.SubmissionId == submission.Id)
            .Which.Aktenzeichen.Should().Be(delivery.Aktenzeichen);
        hub.Simulators.Prosoz.Calls.Where(c => c.SubmissionId == submission.Id).Should().OnlyContain(c => c.SignatureOk == true);

        var history = await hub.InLedgerAsync(db => db.History.Where(h => h.SubmissionId == submission.Id).OrderBy(h => h.Id).Select(h => h.Step).ToListAsync());
        history.Should().ContainInOrder(HistorySteps.Created, HistorySteps.Submitted, HistorySteps.Accepted, HistorySteps.Routed, HistorySteps.Delivered);
    }

    [Fact]
    public async Task Accepted_submission_shows_submit_and_accept_events_signed_by_the_hub_with_the_authentication_tags()
    {
        var sender = hub.Sender();
        var application = ApplicationFactory.Wohngeld(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 103, withAttachment: true);
        var outcome = await sender.SubmitAsync(application, HubFixture.DarmstadtWohngeld);
        await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);

        var status = await sender.GetSubmissionAsync(outcome.SubmissionId!.Value);
        status["status"]!.GetValue<string>().Should().Be("accepted");
        var log = await sender.GetEventLogAsync(outcome.CaseId!.Value);
        var hubKey = await HubSigningKeyAsync();
        var events = log["eventLog"]!.AsArray().Select(t => SecurityEventTokenValidator.Verify(t!.GetValue<string>(), hubKey)).ToList();
        events.Should().OnlyContain(e => e.IsValid);
        // After FIT-Connect's own events, the case's milestones as the citizen sees them.
        events.Select(e => e.EventUri).Should().StartWith([FitConnectEvents.SubmitSubmission, FitConnectEvents.AcceptSubmission])
            .And.Contain(CitizenStatus.EventUri(CitizenStatus.Submitted));
        log["totalCount"]!.GetValue<int>().Should().Be(events.Count);
        events[0].Claims!["sub"]!.GetValue<string>().Should().Be($"submission:{outcome.SubmissionId}");
        events[0].Claims!["txn"]!.GetValue<string>().Should().Be($"case:{outcome.CaseId}");
        var tags = events[0].EventPayload!["authenticationTags"]!;
        tags["metadata"]!.GetValue<string>().Should().NotBeEmpty();
        tags["data"]!.GetValue<string>().Should().NotBeEmpty();
        tags["attachments"]!.AsObject().Should().ContainSingle();
        events[1].EventPayload!["authenticationTags"]!.ToJsonString().Should().Be(tags.ToJsonString());
    }

    [Fact]
    public async Task Schema_invalid_application_is_rejected_with_a_reject_submission_event_and_never_forwarded()
    {
        var sender = hub.Sender();
        var application = ApplicationFactory.WohngeldSchemaInvalid(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 104);

        var outcome = await sender.SubmitAsync(application, HubFixture.OffenbachWohngeld);

        outcome.SubmitStatus.Should().Be(202, "the delivery service takes the encrypted submission; validation decides afterwards");
        var (submission, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
        submission.Status.Should().Be(SubmissionStatus.Rejected);
        submission.ProblemType.Should().Be("urn:integrationhub:problem:schema-invalid");
        submission.ProblemDetail.Should().Contain("postleitzahl").And.NotContain("6306A", "problem details never echo submitted values");
        deliveries.Should().BeEmpty();
        hub.Simulators.Marius.CaseCountFor(submission.Id).Should().Be(0);

        var reject = await LastEventAsync(sender, outcome.CaseId!.Value);
        reject.EventUri.Should().Be(FitConnectEvents.RejectSubmission);
        reject.EventPayload!["problems"]![0]!["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:schema-invalid");
        (await sender.GetSubmissionAsync(submission.Id))["status"]!.GetValue<string>().Should().Be("rejected");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Hash_mismatch_of_data_or_attachment_is_rejected(bool tamperAttachment)
    {
        var sender = hub.Sender();
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 105, withAttachment: true);
        var options = tamperAttachment ? new SubmitOptions { TamperAttachmentHash = true } : new SubmitOptions { TamperDataHash = true };

        var outcome = await sender.SubmitAsync(application, HubFixture.OffenbachSozialhilfe, options);

        var (submission, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
        submission.Status.Should().Be(SubmissionStatus.Rejected);
        submission.ProblemType.Should().Be("urn:integrationhub:problem:hash-mismatch");
        submission.ProblemDetail.Should().Contain(tamperAttachment ? "attachment" : "data");
        deliveries.Should().BeEmpty();
        (await LastEventAsync(sender, outcome.CaseId!.Value)).EventUri.Should().Be(FitConnectEvents.RejectSubmission);
    }

    [Fact]
    public async Task Application_for_another_municipality_is_rejected_by_the_business_rules()
    {
        var application = ApplicationFactory.SozialhilfeWrongMunicipality(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 106);

        var outcome = await hub.Sender().SubmitAsync(application, HubFixture.DarmstadtSozialhilfe);

        var (submission, _) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
        submission.ProblemType.Should().Be("urn:integrationhub:problem:municipality-mismatch");
    }

    [Fact]
    public async Task Sender_without_rights_to_the_destination_is_refused_before_anything_is_stored()
    {
        var application = ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 107);
        var before = await hub.InLedgerAsync(db => db.Submissions.CountAsync());

        var outcome = await hub.Sender(HubFixture.NarrowClientId).SubmitAsync(application, HubFixture.OffenbachWohngeld);

        outcome.CreateStatus.Should().Be(403);
        outcome.Problem!["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:destination-forbidden");
        (await hub.InLedgerAsync(db => db.Submissions.CountAsync())).Should().Be(before);
    }

    [Fact]
    public async Task The_same_messages_consumed_twice_deliver_once()
    {
        var application = ApplicationFactory.Wohngeld(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 108);
        var outcome = await hub.Sender().SubmitAsync(application, HubFixture.DarmstadtWohngeld);
        var submissionId = outcome.SubmissionId!.Value;
        var bus = hub.Factory.Services.GetRequiredService<IBus>();

        // A redelivered SubmissionReceived races the original through validation, routing and delivery.
        await bus.Publish(new SubmissionReceived(submissionId, outcome.CaseId!.Value, HubFixture.DarmstadtWohngeld, HubFixture.Darmstadt));
        var (_, deliveries) = await hub.WaitUntilSettledAsync(submissionId);
        var handover = deliveries.Single(d => d.Step == DeliverySteps.Handover);
        // And every later message arrives once more after everything is done.
        await bus.Publish(new SubmissionReceived(submissionId, outcome.CaseId!.Value, HubFixture.DarmstadtWohngeld, HubFixture.Darmstadt));
        await bus.Publish(new SubmissionAccepted(submissionId, outcome.CaseId!.Value, HubFixture.Darmstadt, DemoServices.WohngeldLeikaKey));
        await bus.Publish(new DeliveryRequested(handover.Id, submissionId, HubFixture.Darmstadt, "marius"));
        await Task.Delay(1500);

        hub.Simulators.Marius.CaseCountFor(submissionId).Should().Be(1);
        var ledger = await hub.InLedgerAsync(async db => (
            Deliveries: await db.Deliveries.CountAsync(d => d.SubmissionId == submissionId && d.Step == DeliverySteps.Handover),
            Accepts: await db.CaseEvents.CountAsync(e => e.SubmissionId == submissionId && e.EventUri == FitConnectEvents.AcceptSubmission),
            Delivered: await db.History.CountAsync(h => h.SubmissionId == submissionId && h.Step == HistorySteps.Delivered && h.Target == "marius")));
        ledger.Should().Be((1, 1, 1));
        hub.Simulators.Marius.Calls.Where(c => c.SubmissionId == submissionId && !c.Duplicate).Should().ContainSingle();
    }

    [Fact]
    public async Task Duplicate_call_to_the_target_with_the_same_idempotency_key_creates_no_second_case()
    {
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 109);
        var outcome = await hub.Sender().SubmitAsync(application, HubFixture.OffenbachSozialhilfe);
        var submissionId = outcome.SubmissionId!.Value;
        var (_, deliveries) = await hub.WaitUntilSettledAsync(submissionId);
        var handover = deliveries.Single(d => d.Step == DeliverySteps.Handover);

        // Reset the ledger's delivery to pending, as if the hub crashed after the call but before recording the answer.
        await hub.InLedgerAsync(db => db.Deliveries.Where(d => d.Id == handover.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeliveryStatus.Pending).SetProperty(d => d.Aktenzeichen, (string?)null)));
        await hub.Factory.Services.GetRequiredService<IBus>().Publish(new DeliveryRequested(handover.Id, submissionId, HubFixture.Offenbach, "prosoz"));
        var (_, again) = await hub.WaitUntilSettledAsync(submissionId);

        again.Single(d => d.Step == DeliverySteps.Handover).Aktenzeichen.Should().Be(handover.Aktenzeichen);
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(1);
        hub.Simulators.Prosoz.Calls.Should().Contain(c => c.SubmissionId == submissionId && c.Duplicate);
    }

    [Fact]
    public async Task A_target_refusing_the_case_for_good_sends_the_message_through_the_error_queue_to_operations_and_the_ledger_says_so()
    {
        hub.Simulators.Marius.Faults.FailNext(1, 400);
        var outcome = await hub.Sender().SubmitAsync(
            ApplicationFactory.Wohngeld(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 110), HubFixture.DarmstadtWohngeld);
        var submissionId = outcome.SubmissionId!.Value;

        var (_, deliveries) = await hub.WaitUntilSettledAsync(submissionId);
        deliveries.Should().ContainSingle(d => d.Step == DeliverySteps.Handover).Which.Status.Should().Be(DeliveryStatus.Failed);
        var submission = await HubFixture.WaitForAsync(() => hub.InLedgerAsync(db => db.Submissions.SingleAsync(s => s.Id == submissionId)),
            s => s.ProcessingFault is not null);
        submission.ProcessingFault.Should().Be("delivery: IntegrationHub.Delivery.PermanentDeliveryException");
        (await hub.InLedgerAsync(db => db.History.Where(h => h.SubmissionId == submissionId).Select(h => h.Step).ToListAsync()))
            .Should().Contain([HistorySteps.DeliveryFailed, HistorySteps.Faulted]);
        hub.Simulators.Marius.CaseCountFor(submissionId).Should().Be(0);

        // The error queue's message is now the operations console's: a failed message with MassTransit's fault headers.
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IFailedMessages>();
        var who = new Operator("test", OperatorRole.Admin);
        var failed = (await HubFixture.WaitForAsync(() => store.ListAsync(who, new FailedMessageFilter(SubmissionId: submissionId), 0, 10, default),
            page => page.Items.Count == 1)).Items.Should().ContainSingle().Subject;
        failed.Endpoint.Should().Be("submission-delivery");
        failed.Status.Should().Be(FailedMessageStatus.Unresolved);
        (await store.GetAsync(who, failed.Id, default))!.Headers.Should().ContainKey("MT-Fault-ExceptionType");
        if (HubFixture.OnServers) // ingested: nothing is left behind in RabbitMQ's error queue (the management API lags a few seconds)
            (await HubFixture.WaitForAsync(() => TestServers.QueueDepthsAsync(hub.VirtualHost!), q => q.GetValueOrDefault("submission-delivery_error") == 0))
                .GetValueOrDefault("submission-delivery_error").Should().Be(0);
    }

    private async Task<System.Security.Cryptography.RSA> HubSigningKeyAsync()
    {
        var jwks = JsonNode.Parse(await hub.Factory.CreateClient().GetStringAsync("/.well-known/jwks.json"))!;
        return Jwk.ImportPublic(jwks["keys"]![0]!.AsObject());
    }

    private async Task<SecurityEventTokenVerification> LastEventAsync(EfaOnlineService sender, Guid caseId)
    {
        var log = await sender.GetEventLogAsync(caseId);
        var token = log["eventLog"]!.AsArray().Last()!.GetValue<string>();
        var verification = SecurityEventTokenValidator.Verify(token, await HubSigningKeyAsync());
        verification.IsValid.Should().BeTrue(verification.Failure);
        return verification;
    }
}
