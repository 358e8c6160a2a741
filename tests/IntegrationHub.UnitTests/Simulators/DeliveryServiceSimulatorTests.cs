using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Intake.Callbacks;
using IntegrationHub.Jose;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.DeliveryService;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.UnitTests.Jose;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.UnitTests.Simulators;

/// <summary>The FIT-Connect delivery service simulator, as a sender and a subscriber see it.</summary>
public sealed class DeliveryServiceSimulatorTests(RsaKeysFixture keys) : IClassFixture<RsaKeysFixture>, IAsyncLifetime
{
    private const string SenderId = "efa-sender";
    private const string SubscriberId = "hub-subscriber";
    private const string Secret = "test-secret-not-real";
    private const string CallbackSecret = "callback-secret-not-real";
    private const string EncryptionKid = "dest-enc-1";
    private const string SignatureKid = "dest-sig-1";
    private readonly Guid _destination = Guid.NewGuid();
    private readonly Guid _otherDestination = Guid.NewGuid();
    private SimulatorServer _server = null!;
    private CallbackReceiver _receiver = null!;

    private DeliveryServiceSimulator Sim => _server.DeliveryService;

    public async Task InitializeAsync()
    {
        _server = await SimulatorServer.StartAsync();
        _receiver = await CallbackReceiver.StartAsync();
        foreach (var destination in new[] { _destination, _otherDestination })
            Sim.RegisterDestination(new DestinationRegistration(destination,
                JsonWebKeys.ToPublicEncryptionJwk(keys.Recipient, EncryptionKid), JsonWebKeys.ToPublicSigningJwk(keys.Other, SignatureKid),
                _receiver.Url, CallbackSecret));
        Sim.RegisterSender(SenderId, Secret);
        Sim.RegisterSubscriber(SubscriberId, Secret, _destination);
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Subscriber_lists_a_submitted_submission_and_fetches_its_encrypted_parts_exactly_as_the_sender_encrypted_them()
    {
        var application = ApplicationFactory.Wohngeld(SimulatorTestSupport.Ars, SimulatorTestSupport.Plz, SimulatorTestSupport.Ort, seed: 7, withAttachment: true);
        var outcome = await SubmitAsync(application);
        outcome.SubmitStatus.Should().Be(202);

        using var http = await SubscriberAsync();
        var list = await GetJsonAsync(http, $"v1/destinations/{_destination}/submissions?offset=0&limit=10");
        list["submissions"]!.AsArray().Select(s => s!["submissionId"]!.GetValue<string>()).Should().Equal(outcome.SubmissionId.ToString());
        list["totalCount"]!.GetValue<int>().Should().Be(1);

        var submission = await GetJsonAsync(http, $"v1/submissions/{outcome.SubmissionId}");
        submission["caseId"]!.GetValue<string>().Should().Be(outcome.CaseId.ToString());
        submission["serviceType"]!["identifier"]!.GetValue<string>().Should().Be(application.LeikaUrn);
        var metadata = JsonNode.Parse(JweDecryptor.Decrypt(submission["encryptedMetadata"]!.GetValue<string>(), keys.Recipient).Plaintext)!;
        metadata["publicServiceType"]!["identifier"]!.GetValue<string>().Should().Be(application.LeikaUrn);
        JweDecryptor.Decrypt(submission["encryptedData"]!.GetValue<string>(), keys.Recipient).Plaintext.Should().Equal(application.Xml);

        var attachment = application.Attachments.Single();
        submission["attachments"]!.AsArray().Select(a => a!.GetValue<string>()).Should().Equal(attachment.AttachmentId.ToString());
        using var download = await http.GetAsync($"v1/submissions/{outcome.SubmissionId}/attachments/{attachment.AttachmentId}");
        download.Content.Headers.ContentType!.MediaType.Should().Be("application/jose");
        JweDecryptor.Decrypt(await download.Content.ReadAsStringAsync(), keys.Recipient).Plaintext.Should().Equal(attachment.Content);
    }

    [Fact]
    public async Task After_a_submit_the_destination_gets_a_new_submissions_callback_authenticated_with_HMAC_SHA512_over_timestamp_and_body()
    {
        var outcome = await SubmitAsync(ApplicationFactory.Sozialhilfe(SimulatorTestSupport.Ars, SimulatorTestSupport.Plz, SimulatorTestSupport.Ort, seed: 8));

        var callback = await _receiver.WaitForAsync(1);
        new CallbackAuthentication().Verify(CallbackSecret, callback[0].Timestamp, callback[0].Signature, Encoding.UTF8.GetBytes(callback[0].Body))
            .Should().Be(CallbackVerdict.Valid);
        var body = JsonNode.Parse(callback[0].Body)!;
        body["type"]!.GetValue<string>().Should().Be("https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions");
        var announced = body["submissions"]!.AsArray().Should().ContainSingle().Subject!;
        announced["submissionId"]!.GetValue<string>().Should().Be(outcome.SubmissionId.ToString());
        announced["caseId"]!.GetValue<string>().Should().Be(outcome.CaseId.ToString());
        announced["destinationId"]!.GetValue<string>().Should().Be(_destination.ToString());
        // The simulator records the callback once the receiver's answer is back, a moment after the receiver saw it.
        for (var i = 0; i < 50 && Sim.Callbacks.Count == 0; i++) await Task.Delay(100);
        Sim.Callbacks.Should().ContainSingle().Which.StatusCode.Should().Be(200);
    }

    [Fact]
    public async Task Duplicate_callbacks_repeat_the_same_body_with_a_fresh_signature_and_no_callbacks_when_switched_off()
    {
        Sim.DuplicateCallbacks = true;
        await SubmitAsync(ApplicationFactory.Sozialhilfe(SimulatorTestSupport.Ars, SimulatorTestSupport.Plz, SimulatorTestSupport.Ort, seed: 9));
        var twice = await _receiver.WaitForAsync(2);
        twice[1].Body.Should().Be(twice[0].Body);
        twice[1].Signature.Should().NotBe(twice[0].Signature, "a retried callback is signed anew, or the subscriber would see a replay");

        Sim.DuplicateCallbacks = false;
        Sim.CallbacksEnabled = false;
        await SubmitAsync(ApplicationFactory.Sozialhilfe(SimulatorTestSupport.Ars, SimulatorTestSupport.Plz, SimulatorTestSupport.Ort, seed: 10));
        await Task.Delay(500);
        _receiver.Received.Should().HaveCount(2);
    }

    [Fact]
    public async Task Accept_submission_signed_with_the_registered_key_is_recorded_once_and_ends_the_pickup()
    {
        var outcome = await SubmitAsync(ApplicationFactory.Wohngeld(SimulatorTestSupport.Ars, SimulatorTestSupport.Plz, SimulatorTestSupport.Ort, seed: 11, withAttachment: true));
        using var http = await SubscriberAsync();
        var submission = await GetJsonAsync(http, $"v1/submissions/{outcome.SubmissionId}");
        var token = Sign(keys.Other, SignatureKid, FitConnectEvents.AcceptSubmission, submission, await TagsAsync(http, submission));

        (await PostEventAsync(http, outcome.CaseId!.Value, token)).Should().Be(HttpStatusCode.Created);
        (await PostEventAsync(http, outcome.CaseId!.Value, token)).Should().Be(HttpStatusCode.OK, "the same jti again is a duplicate");

        Sim.Submission(outcome.SubmissionId!.Value)!.Status.Should().Be(SubmissionStates.Accepted);
        Sim.Events(outcome.CaseId!.Value).Select(e => e.EventUri).Should().Equal(
            "https://schema.fitko.de/fit-connect/events/submit-submission", FitConnectEvents.AcceptSubmission);
        var list = await GetJsonAsync(http, $"v1/destinations/{_destination}/submissions");
        list["submissions"]!.AsArray().Should().BeEmpty("an accepted submission is no longer offered");

        var reject = Sign(keys.Other, SignatureKid, FitConnectEvents.RejectSubmission, submission, await TagsAsync(http, submission),
            new JsonArray(new JsonObject { ["type"] = "urn:x", ["title"] = "t", ["detail"] = "d", ["instance"] = "i" }));
        (await PostEventAsync(http, outcome.CaseId!.Value, reject)).Should().Be(HttpStatusCode.Conflict, "a submission is decided once");
    }

    [Fact]
    public async Task Events_with_another_key_wrong_tags_or_a_rejection_without_problems_are_refused_and_not_recorded()
    {
        var outcome = await SubmitAsync(ApplicationFactory.Sozialhilfe(SimulatorTestSupport.Ars, SimulatorTestSupport.Plz, SimulatorTestSupport.Ort, seed: 12));
        using var http = await SubscriberAsync();
        var submission = await GetJsonAsync(http, $"v1/submissions/{outcome.SubmissionId}");
        var tags = await TagsAsync(http, submission);

        var foreignKey = Sign(keys.Recipient, SignatureKid, FitConnectEvents.AcceptSubmission, submission, tags);
        var wrongTags = Sign(keys.Other, SignatureKid, FitConnectEvents.AcceptSubmission, submission,
            FitConnectEvents.AuthenticationTagsPayload("AAAA", "BBBB", new Dictionary<Guid, string>()));
        var noProblems = Sign(keys.Other, SignatureKid, FitConnectEvents.RejectSubmission, submission, tags, new JsonArray());

        foreach (var token in new[] { foreignKey, wrongTags, noProblems })
            (await PostEventAsync(http, outcome.CaseId!.Value, token)).Should().Be(HttpStatusCode.UnprocessableEntity);
        Sim.Events(outcome.CaseId!.Value).Should().ContainSingle(e => e.EventUri.EndsWith("submit-submission"));
        Sim.Submission(outcome.SubmissionId!.Value)!.Status.Should().Be(SubmissionStates.Submitted);
    }

    [Fact]
    public async Task A_subscriber_token_covers_only_its_destinations()
    {
        using var http = await SubscriberAsync();
        using var other = await http.GetAsync($"v1/destinations/{_otherDestination}/submissions");
        other.StatusCode.Should().Be(HttpStatusCode.Forbidden);

        using var token = await new HttpClient { BaseAddress = Base }.PostAsync("token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = SubscriberId, ["client_secret"] = Secret,
            ["scope"] = $"subscribe:destination:{_otherDestination}",
        }));
        token.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Injected_faults_fail_the_next_subscriber_calls_then_the_service_answers_again()
    {
        using var http = await SubscriberAsync();
        Sim.Faults.FailNext(2, 503);
        (await http.GetAsync($"v1/destinations/{_destination}/submissions")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await http.GetAsync($"v1/destinations/{_destination}/submissions")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await http.GetAsync($"v1/destinations/{_destination}/submissions")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private Uri Base => new(_server.BaseAddress, "fitconnect/");

    private async Task<SubmissionOutcome> SubmitAsync(DemoApplication application) =>
        await new EfaOnlineService(new HttpClient { BaseAddress = Base }, SenderId, Secret).SubmitAsync(application, _destination);

    private async Task<HttpClient> SubscriberAsync()
    {
        var http = new HttpClient { BaseAddress = Base };
        using var response = await http.PostAsync("token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = SubscriberId, ["client_secret"] = Secret,
            ["scope"] = $"subscribe:destination:{_destination}",
        }));
        response.EnsureSuccessStatusCode();
        var token = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<JsonObject> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static async Task<HttpStatusCode> PostEventAsync(HttpClient http, Guid caseId, string token)
    {
        var content = new StringContent(token, Encoding.ASCII);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jose");
        using var response = await http.PostAsync($"v1/cases/{caseId}/events", content);
        return response.StatusCode;
    }

    /// <summary>The authentication tags as a subscriber learns them: the 5th part of each encrypted part it downloaded.</summary>
    private static async Task<JsonObject> TagsAsync(HttpClient http, JsonObject submission)
    {
        var attachments = new Dictionary<Guid, string>();
        foreach (var id in submission["attachments"]!.AsArray().Select(a => Guid.Parse(a!.GetValue<string>())))
            attachments[id] = (await http.GetStringAsync($"v1/submissions/{submission["submissionId"]}/attachments/{id}")).Split('.')[4];
        return FitConnectEvents.AuthenticationTagsPayload(submission["encryptedMetadata"]!.GetValue<string>().Split('.')[4],
            submission["encryptedData"]!.GetValue<string>().Split('.')[4], attachments);
    }

    private string Sign(System.Security.Cryptography.RSA key, string kid, string eventUri, JsonObject submission, JsonObject payload, JsonArray? problems = null)
    {
        if (problems is not null) payload["problems"] = problems;
        return new SecurityEventTokenSigner(key, kid, _destination.ToString("D")).Sign(eventUri, Guid.Parse(submission["submissionId"]!.GetValue<string>()),
            Guid.Parse(submission["caseId"]!.GetValue<string>()), payload, DateTimeOffset.UtcNow);
    }

    /// <summary>A subscriber's callback endpoint that records what arrives and answers 200.</summary>
    private sealed class CallbackReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private CallbackReceiver(WebApplication app, Uri url)
        {
            _app = app;
            Url = url;
        }

        public Uri Url { get; }
        public ConcurrentQueue<(string Timestamp, string Signature, string Body)> Received { get; } = new();

        public static async Task<CallbackReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            CallbackReceiver? self = null;
            app.MapPost("/callbacks", async (HttpContext http) =>
            {
                using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
                self!.Received.Enqueue((http.Request.Headers["callback-timestamp"].ToString(), http.Request.Headers["callback-authentication"].ToString(),
                    await reader.ReadToEndAsync()));
                return Results.Ok();
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            self = new CallbackReceiver(app, new Uri(new Uri(address), "/callbacks"));
            return self;
        }

        public async Task<IReadOnlyList<(string Timestamp, string Signature, string Body)>> WaitForAsync(int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Received.Count < count && DateTime.UtcNow < deadline) await Task.Delay(50);
            Received.Should().HaveCountGreaterThanOrEqualTo(count);
            return [.. Received];
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
