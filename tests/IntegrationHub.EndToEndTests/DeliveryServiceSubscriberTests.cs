using System.Net;
using System.Text.Json.Nodes;
using IntegrationHub.Intake.Subscriber;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators.DeliveryService;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The hub as FIT-Connect subscriber: an online service submits to the delivery service, the callback wakes the hub,
/// the submission goes through the same pipeline as a direct one, and the hub answers on the case with
/// accept-/reject-submission signed with the destination's signing key.
/// </summary>
public sealed class DeliveryServiceSubscriberTests(DeliveryServiceHubFixture hub) : IClassFixture<DeliveryServiceHubFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Submission_at_the_delivery_service_is_picked_up_on_callback_delivered_to_the_procedure_and_accepted_with_the_destinations_signature()
    {
        hub.DeliveryService.CallbacksEnabled = true;
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 401, withAttachment: true);

        var outcome = await hub.SenderViaDeliveryService().SubmitAsync(application, DeliveryServiceHubFixture.Destination);

        outcome.SubmitStatus.Should().Be(202);
        var id = outcome.SubmissionId!.Value;
        (await hub.WaitForLedgerRowAsync(id, Settle)).Should().NotBeNull("the callback starts the pickup");
        var (submission, deliveries) = await hub.WaitUntilHandedOverAsync(id, "prosoz");
        submission.Status.Should().Be(SubmissionStatus.Accepted);
        submission.Origin.Should().Be(DeliveryServiceHubFixture.ServiceName);
        submission.CaseId.Should().Be(outcome.CaseId!.Value, "the case is the delivery service's");
        submission.Ars.Should().Be(HubFixture.Offenbach);
        deliveries.Should().Contain(d => d.Target == "prosoz" && d.Step == DeliverySteps.Handover && d.Status == DeliveryStatus.Delivered);
        deliveries.Should().Contain(d => d.Target == DeliveryServiceHubFixture.ServiceName && d.Step == "event:accept-submission"
            && d.Status == DeliveryStatus.Delivered);
        hub.Simulators.Prosoz.CaseCountFor(id).Should().Be(1);
        hub.Simulators.Prosoz.Calls.Where(c => c.SubmissionId == id).Should().OnlyContain(c => c.SignatureOk == true);

        (await hub.WaitForDecisionAsync(id)).Status.Should().Be(SubmissionStates.Accepted);
        var accept = hub.DeliveryService.Events(outcome.CaseId!.Value).Should().ContainSingle(e => e.EventUri == FitConnectEvents.AcceptSubmission).Subject;
        var signing = hub.Factory.Services.GetRequiredService<KeyStore>().DestinationSigningKey(DeliveryServiceHubFixture.Destination);
        accept.Kid.Should().Be(signing.Kid);
        var verified = SecurityEventTokenValidator.Verify(accept.Token, signing.Rsa, expectedIssuer: DeliveryServiceHubFixture.Destination.ToString());
        verified.IsValid.Should().BeTrue(verified.Failure);
        verified.Claims!["sub"]!.GetValue<string>().Should().Be($"submission:{id}");
        verified.EventPayload!["authenticationTags"]!["attachments"]!.AsObject().Should().ContainSingle();
    }

    [Fact]
    public async Task Invalid_submission_from_the_delivery_service_gets_reject_submission_with_the_problem_and_reaches_no_procedure()
    {
        hub.DeliveryService.CallbacksEnabled = true;
        var application = ApplicationFactory.SozialhilfeWrongMunicipality(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 402);

        var outcome = await hub.SenderViaDeliveryService().SubmitAsync(application, DeliveryServiceHubFixture.Destination);

        var id = outcome.SubmissionId!.Value;
        (await hub.WaitForDecisionAsync(id)).Status.Should().Be(SubmissionStates.Rejected);
        var reject = hub.DeliveryService.Events(outcome.CaseId!.Value).Should().ContainSingle(e => e.EventUri == FitConnectEvents.RejectSubmission).Subject;
        reject.Payload["problems"]![0]!["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:municipality-mismatch");
        reject.Issuer.Should().Be(DeliveryServiceHubFixture.Destination.ToString());
        var (submission, _) = await hub.WaitUntilSettledAsync(id);
        submission.Status.Should().Be(SubmissionStatus.Rejected);
        hub.Simulators.Prosoz.CaseCountFor(id).Should().Be(0);
    }

    [Theory]
    [InlineData("wrong-secret")]
    [InlineData("six-minutes-old")]
    public async Task Callback_with_a_wrong_secret_or_a_stale_timestamp_is_refused_with_401_and_picks_nothing_up(string spoil)
    {
        hub.DeliveryService.CallbacksEnabled = false;
        var outcome = await hub.SenderViaDeliveryService().SubmitAsync(
            ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: spoil == "wrong-secret" ? 403 : 404),
            DeliveryServiceHubFixture.Destination);
        var id = outcome.SubmissionId!.Value;
        var tampering = spoil == "wrong-secret" ? new CallbackTampering { Secret = "not-the-secret" } : new CallbackTampering { Age = TimeSpan.FromMinutes(6) };

        var refused = await hub.DeliveryService.SendCallbackAsync(DeliveryServiceHubFixture.Destination, [id], tampering);

        refused.StatusCode.Should().Be(401);
        JsonNode.Parse(refused.ResponseBody!)!["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:callback-unauthenticated");
        (await hub.WaitForLedgerRowAsync(id, TimeSpan.FromSeconds(2))).Should().BeNull("a refused callback starts no pickup");

        // The authentic callback for the same submission is taken: the refusal was about authenticity alone.
        (await hub.DeliveryService.SendCallbackAsync(DeliveryServiceHubFixture.Destination, [id])).StatusCode.Should().Be(202);
        (await hub.WaitForLedgerRowAsync(id, Settle)).Should().NotBeNull();
    }

    [Fact]
    public async Task Replayed_callback_is_refused_with_401()
    {
        hub.DeliveryService.CallbacksEnabled = false;
        var outcome = await hub.SenderViaDeliveryService().SubmitAsync(
            ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 405), DeliveryServiceHubFixture.Destination);
        var first = await hub.DeliveryService.SendCallbackAsync(DeliveryServiceHubFixture.Destination, [outcome.SubmissionId!.Value]);
        first.StatusCode.Should().Be(202);

        var replay = await hub.DeliveryService.ReplayCallbackAsync(first);

        replay.StatusCode.Should().Be(401);
        var problem = JsonNode.Parse(replay.ResponseBody!)!;
        problem["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:callback-unauthenticated");
        problem["detail"]!.GetValue<string>().Should().Contain("received before");
    }

    [Fact]
    public async Task Duplicate_callbacks_lead_to_one_ledger_row_one_case_and_one_accept_submission()
    {
        hub.DeliveryService.CallbacksEnabled = true;
        hub.DeliveryService.DuplicateCallbacks = true;
        try
        {
            var outcome = await hub.SenderViaDeliveryService().SubmitAsync(
                ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 406), DeliveryServiceHubFixture.Destination);
            var id = outcome.SubmissionId!.Value;
            await hub.WaitForDecisionAsync(id);
            await hub.WaitUntilHandedOverAsync(id, "prosoz");
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (hub.DeliveryService.Callbacks.Count(c => c.Body.Contains(id.ToString())) < 2 && DateTime.UtcNow < deadline) await Task.Delay(100);
            await Task.Delay(1000); // let the pickup the second callback started finish

            hub.DeliveryService.Callbacks.Where(c => c.Body.Contains(id.ToString())).Select(c => c.StatusCode).Should().Equal(202, 202);
            (await hub.InLedgerAsync(db => db.Submissions.CountAsync(s => s.CaseId == outcome.CaseId))).Should().Be(1);
            (await hub.InLedgerAsync(db => db.History.CountAsync(h => h.SubmissionId == id && h.Step == HistorySteps.Submitted))).Should().Be(1);
            hub.Simulators.Prosoz.CaseCountFor(id).Should().Be(1);
            hub.DeliveryService.Events(outcome.CaseId!.Value).Count(e => e.EventUri == FitConnectEvents.AcceptSubmission).Should().Be(1);
        }
        finally
        {
            hub.DeliveryService.DuplicateCallbacks = false;
        }
    }

    [Fact]
    public async Task The_same_submission_picked_up_twice_at_once_is_stored_once()
    {
        hub.DeliveryService.CallbacksEnabled = false;
        var outcome = await hub.SenderViaDeliveryService().SubmitAsync(
            ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 407, withAttachment: true), DeliveryServiceHubFixture.Destination);
        var offered = new OfferedSubmission(outcome.SubmissionId!.Value, outcome.CaseId!.Value, DeliveryServiceHubFixture.Destination);
        var client = hub.Factory.Services.GetRequiredService<SubscriberClients>().For(DeliveryServiceHubFixture.ServiceName);

        async Task<bool> PickUpAsync()
        {
            await using var scope = hub.Factory.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<SubmissionPickup>().PickUpAsync(client, DeliveryServiceHubFixture.Destination, offered, default);
        }
        var results = await Task.WhenAll(PickUpAsync(), PickUpAsync());
        var again = await PickUpAsync();

        // A pickup job woken by an earlier test's callback may be a third racer: at most one of ours stores it.
        results.Count(r => r).Should().BeLessThanOrEqualTo(1, "of simultaneous pickups one stores the submission, the others change nothing");
        again.Should().BeFalse();
        (await hub.InLedgerAsync(db => db.Submissions.CountAsync(s => s.Id == offered.SubmissionId))).Should().Be(1);
        var (submission, _) = await hub.WaitUntilHandedOverAsync(offered.SubmissionId, "prosoz");
        submission.Status.Should().Be(SubmissionStatus.Accepted, "the stored parts are whole: it decrypts and validates");
        (await hub.InLedgerAsync(db => db.SubmissionAttachments.CountAsync(a => a.SubmissionId == offered.SubmissionId))).Should().Be(1);
        hub.Simulators.Prosoz.CaseCountFor(offered.SubmissionId).Should().Be(1);
        (await hub.WaitForDecisionAsync(offered.SubmissionId)).Status.Should().Be(SubmissionStates.Accepted);
    }

    [Fact]
    public async Task Signing_key_of_a_subscribed_destination_is_published_for_registration_at_the_delivery_service()
    {
        using var http = hub.Factory.CreateClient();
        var jwk = JsonNode.Parse(await http.GetStringAsync(
            $"/api/v1/delivery-services/{DeliveryServiceHubFixture.ServiceName}/destinations/{DeliveryServiceHubFixture.Destination}/signing-key"))!.AsObject();
        var key = hub.Factory.Services.GetRequiredService<KeyStore>().DestinationSigningKey(DeliveryServiceHubFixture.Destination);
        jwk["kid"]!.GetValue<string>().Should().Be(key.Kid);
        jwk["alg"]!.GetValue<string>().Should().Be("PS512");
        jwk.ContainsKey("d").Should().BeFalse();

        using var other = await http.GetAsync($"/api/v1/delivery-services/{DeliveryServiceHubFixture.ServiceName}/destinations/{HubFixture.DarmstadtWohngeld}/signing-key");
        other.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}

/// <summary>Without callbacks, the hub's poll finds new submissions by itself.</summary>
public sealed class DeliveryServicePollingTests(PollingDeliveryServiceHubFixture hub) : IClassFixture<PollingDeliveryServiceHubFixture>
{
    [Fact]
    public async Task With_callbacks_off_the_polling_job_picks_the_submission_up_and_the_hub_answers_on_the_case()
    {
        var outcome = await hub.SenderViaDeliveryService().SubmitAsync(
            ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 408, withAttachment: true), DeliveryServiceHubFixture.Destination);
        var id = outcome.SubmissionId!.Value;

        (await hub.WaitForLedgerRowAsync(id, TimeSpan.FromSeconds(30))).Should().NotBeNull("the poll lists the destination every second");
        var (submission, _) = await hub.WaitUntilHandedOverAsync(id, "prosoz");
        submission.Status.Should().Be(SubmissionStatus.Accepted);
        submission.Origin.Should().Be(DeliveryServiceHubFixture.ServiceName);
        hub.Simulators.Prosoz.CaseCountFor(id).Should().Be(1);
        (await hub.WaitForDecisionAsync(id)).Status.Should().Be(SubmissionStates.Accepted);
        hub.DeliveryService.Callbacks.Should().BeEmpty();
    }
}
