using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Postbox;
using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Postbox;

namespace IntegrationHub.UnitTests.Simulators;

/// <summary>The postbox simulator spoken to exactly as the adapter speaks: the adapter's own request builder and envelopes.</summary>
public sealed class PostboxSimulatorTests : IAsyncLifetime
{
    private const string Author = "064130000000";
    private readonly X509Certificate2 _certificate = SimulatorTestSupport.CreateSigningCertificate("Stadt Offenbach");
    private readonly PostboxOptions _options = new();
    private SimulatorServer _server = null!;
    private HttpClient _http = null!;

    private PostboxSimulator Postbox => _server.Postbox;

    public async Task InitializeAsync()
    {
        _server = await SimulatorServer.StartAsync();
        _server.Pins.Pin(Author, _certificate);
        _http = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        _certificate.Dispose();
    }

    private static PostboxNotice Notice(DeliveryPayload payload, PostboxDocument? document = null) =>
        new(Guid.NewGuid(), "Grundsicherung (SGB XII)", "Stadt Offenbach am Main", DateTimeOffset.UtcNow, payload, document);

    private static readonly DeliveryPayload Bescheid = new() { Status = CitizenStatus.Completed, Aktenzeichen = "SH-1", DocumentKind = DocumentKinds.Bescheid };

    private static readonly PostboxDocument Pdf = new("Bescheid.pdf", "application/pdf", Encoding.ASCII.GetBytes("%PDF-1.4 Bescheid"));

    private Task<HttpResponseMessage> SendAsync(string path, Guid id, JsonObject envelope, X509Certificate2? certificate = null,
        DateTimeOffset? now = null, PostboxOptions? options = null, Action<HttpRequestMessage>? change = null)
    {
        var request = PostboxAdapter.CreateRequest(new Uri(_server.BaseAddress, path), id, envelope, certificate ?? _certificate, Author,
            options ?? _options, now ?? DateTimeOffset.UtcNow, "key");
        change?.Invoke(request);
        return _http.SendAsync(request);
    }

    private Task<HttpResponseMessage> SendMessageAsync(Guid mailbox, int level = 3, PostboxDocument? document = null, Guid? id = null,
        X509Certificate2? certificate = null, DateTimeOffset? now = null, PostboxOptions? options = null, Func<JsonObject, JsonObject>? edit = null)
    {
        var messageId = id ?? Guid.NewGuid();
        var envelope = PostboxEnvelopes.Message(messageId, mailbox, level, Notice(Bescheid, document ?? Pdf));
        return SendAsync("postbox/api/v1/messages", messageId, edit is null ? envelope : edit(envelope), certificate, now, options);
    }

    private static async Task<string> ProblemTypeAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["type"]!.GetValue<string>();

    [Fact]
    public async Task An_authentic_message_lands_in_the_citizens_inbox_with_level_and_checked_attachment()
    {
        var mailbox = Postbox.OpenMailbox();

        using var response = await SendMessageAsync(mailbox, level: 4);

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var message = Postbox.Inbox(mailbox).Messages.Should().ContainSingle().Subject;
        message.Title.Should().Be("Bescheid: Grundsicherung (SGB XII)");
        message.StorkQaaLevel.Should().Be("STORK-QAA-Level-4");
        message.Sender.Should().Be("Stadt Offenbach am Main");
        message.Author.Should().Be(Author);
        message.Attachments.Should().ContainSingle().Which.Content.Should().Equal(Pdf.Content);
    }

    [Fact]
    public async Task Statuses_form_a_trail_per_application_in_arrival_order()
    {
        var mailbox = Postbox.OpenMailbox();
        var notice = Notice(new DeliveryPayload { Status = CitizenStatus.Submitted });
        foreach (var status in new[] { CitizenStatus.Submitted, CitizenStatus.Received, CitizenStatus.Processing })
        {
            var id = Guid.NewGuid();
            using var response = await SendAsync("postbox/api/v1/status", id,
                PostboxEnvelopes.Status(id, mailbox, notice with { Payload = new DeliveryPayload { Status = status, Aktenzeichen = "SH-9" } }));
            response.StatusCode.Should().Be(HttpStatusCode.Created);
        }

        Postbox.Inbox(mailbox).StatusTrail(notice.SubmissionId.ToString()).Select(s => s.Status)
            .Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received, CitizenStatus.Processing);
    }

    [Fact]
    public async Task A_repeated_message_is_answered_with_the_stored_one_and_kept_once()
    {
        var mailbox = Postbox.OpenMailbox();
        var id = Guid.NewGuid();

        using var first = await SendMessageAsync(mailbox, id: id);
        using var again = await SendMessageAsync(mailbox, id: id);

        first.StatusCode.Should().Be(HttpStatusCode.Created);
        again.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonNode.Parse(await again.Content.ReadAsStringAsync())!["messageId"]!.GetValue<string>().Should().Be(id.ToString());
        Postbox.Inbox(mailbox).Messages.Should().ContainSingle();
    }

    [Fact]
    public async Task A_known_message_id_with_other_content_is_refused()
    {
        var mailbox = Postbox.OpenMailbox();
        var id = Guid.NewGuid();
        using var first = await SendMessageAsync(mailbox, id: id, level: 3);

        using var other = await SendMessageAsync(mailbox, id: id, level: 1);

        other.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await ProblemTypeAsync(other)).Should().EndWith(":id-reused");
        Postbox.Inbox(mailbox).Messages.Should().ContainSingle().Which.StorkQaaLevel.Should().Be("STORK-QAA-Level-3");
    }

    [Fact]
    public async Task An_expired_author_token_is_refused()
    {
        var mailbox = Postbox.OpenMailbox();

        using var response = await SendMessageAsync(mailbox, now: DateTimeOffset.UtcNow.AddMinutes(-10));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await ProblemTypeAsync(response)).Should().EndWith(":author-token-expired");
        Postbox.Inbox(mailbox).Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task A_long_lived_author_token_is_refused()
    {
        var mailbox = Postbox.OpenMailbox();

        using var response = await SendMessageAsync(mailbox, options: new PostboxOptions { TokenLifetime = TimeSpan.FromHours(1) });

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await ProblemTypeAsync(response)).Should().EndWith(":author-token-lifetime");
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused()
    {
        var mailbox = Postbox.OpenMailbox();

        using var response = await SendMessageAsync(mailbox, options: new PostboxOptions { Audience = "urn:somewhere-else" });

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await ProblemTypeAsync(response)).Should().EndWith(":author-token-audience");
    }

    [Fact]
    public async Task A_token_signed_with_another_key_than_the_sent_certificate_is_refused()
    {
        var mailbox = Postbox.OpenMailbox();
        using var other = SimulatorTestSupport.CreateSigningCertificate("Somebody else");
        var id = Guid.NewGuid();
        var envelope = PostboxEnvelopes.Message(id, mailbox, 3, Notice(Bescheid, Pdf));

        using var response = await SendAsync("postbox/api/v1/messages", id, envelope, change: request =>
        {
            // The municipality's certificate, but a token (and content signature) made with somebody else's key.
            using var forged = PostboxAdapter.CreateRequest(request.RequestUri!, id, envelope, other, Author, _options, DateTimeOffset.UtcNow, "key");
            request.Headers.Authorization = forged.Headers.Authorization;
        });

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await ProblemTypeAsync(response)).Should().EndWith(":author-token-invalid");
        Postbox.Inbox(mailbox).Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task A_certificate_not_registered_for_the_municipality_is_refused()
    {
        var mailbox = Postbox.OpenMailbox();
        using var other = SimulatorTestSupport.CreateSigningCertificate("Somebody else");

        using var response = await SendMessageAsync(mailbox, certificate: other);

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await ProblemTypeAsync(response)).Should().EndWith(":author-not-registered");
    }

    [Fact]
    public async Task A_body_changed_after_signing_is_refused()
    {
        var mailbox = Postbox.OpenMailbox();
        var id = Guid.NewGuid();
        var envelope = PostboxEnvelopes.Message(id, mailbox, 1, Notice(Bescheid, Pdf));

        using var response = await SendAsync("postbox/api/v1/messages", id, envelope, change: request =>
        {
            var raised = (JsonObject)envelope.DeepClone();
            raised["stork_qaa_level"] = "STORK-QAA-Level-4";
            request.Content = new StringContent(raised.ToJsonString(), Encoding.UTF8, "application/json");
        });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ProblemTypeAsync(response)).Should().EndWith(":content-signature-invalid");
        Postbox.Inbox(mailbox).Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task An_attachment_whose_content_does_not_match_its_sha512_is_refused()
    {
        var mailbox = Postbox.OpenMailbox();

        using var response = await SendMessageAsync(mailbox, edit: envelope =>
        {
            envelope["attachments"]![0]!["content"] = Convert.ToBase64String(Encoding.ASCII.GetBytes("%PDF-1.4 Bescheix"));
            return envelope;
        });

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await ProblemTypeAsync(response)).Should().EndWith(":attachment-hash-mismatch");
        Postbox.Inbox(mailbox).Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task An_attachment_with_a_wrong_length_is_refused()
    {
        var mailbox = Postbox.OpenMailbox();

        using var response = await SendMessageAsync(mailbox, edit: envelope =>
        {
            envelope["attachments"]![0]!["length"] = 3;
            return envelope;
        });

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await ProblemTypeAsync(response)).Should().EndWith(":attachment-length-mismatch");
    }

    [Fact]
    public async Task A_trust_level_that_is_not_a_STORK_QAA_level_is_refused()
    {
        var mailbox = Postbox.OpenMailbox();

        using var response = await SendMessageAsync(mailbox, edit: envelope =>
        {
            envelope["stork_qaa_level"] = "STORK-QAA-Level-5";
            return envelope;
        });

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await ProblemTypeAsync(response)).Should().EndWith(":trust-level-invalid");
    }

    [Fact]
    public async Task A_message_to_an_unknown_mailbox_is_refused_and_no_box_appears()
    {
        var stranger = Guid.NewGuid();

        using var response = await SendMessageAsync(stranger);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await ProblemTypeAsync(response)).Should().EndWith(":unknown-mailbox");
        Postbox.HasMailbox(stranger).Should().BeFalse();
    }

    [Fact]
    public async Task Injected_faults_answer_before_anything_is_stored()
    {
        var mailbox = Postbox.OpenMailbox();
        Postbox.Faults.FailNext(1, 503);

        using var failed = await SendMessageAsync(mailbox);
        using var retried = await SendMessageAsync(mailbox);

        failed.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        retried.StatusCode.Should().Be(HttpStatusCode.Created);
        Postbox.Inbox(mailbox).Messages.Should().ContainSingle();
    }

    [Fact]
    public async Task The_identity_provider_key_a_hub_configures_verifies_the_reports_it_signs()
    {
        var published = JsonNode.Parse(await _http.GetStringAsync("postbox/api/v1/identity-provider"))!;
        var trust = IdentityProviderTrust.FromPem(published["publicKeyPem"]!.GetValue<string>(), published["issuer"]!.GetValue<string>());
        var metadata = new JsonObject
        {
            ["authenticationInformation"] = new JsonArray(new JsonObject
            {
                ["type"] = "identificationReport",
                ["content"] = Postbox.IdentityProvider.IssueReport(4, "r", DateTimeOffset.UtcNow),
            }),
        };

        CitizenPostbox.TrustLevelOf(metadata, trust).Should().Be(4);
    }

    [Fact]
    public async Task The_inbox_is_readable_over_HTTP_without_attachment_bytes()
    {
        var mailbox = Postbox.OpenMailbox();
        using var sent = await SendMessageAsync(mailbox);

        var inbox = JsonNode.Parse(await _http.GetStringAsync($"postbox/api/v1/mailboxes/{mailbox}"))!;

        var message = inbox["messages"]!.AsArray().Should().ContainSingle().Subject!;
        message["stork_qaa_level"]!.GetValue<string>().Should().Be("STORK-QAA-Level-3");
        message["attachments"]![0]!["length"]!.GetValue<long>().Should().Be(Pdf.Content.Length);
        message["attachments"]![0]!.AsObject().ContainsKey("content").Should().BeFalse();
    }
}

/// <summary>What the EfA sender tells the hub about the citizen's postbox and login.</summary>
public sealed class EfaPostboxMetadataTests
{
    private static readonly BundIdIdentityProvider Idp = BundIdIdentityProvider.Shared;
    private static readonly IdentityProviderTrust Trusted = IdentityProviderTrust.FromPem(Idp.PublicKeyPem, Idp.Issuer);

    private static EfaOnlineService Sender() =>
        new(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:1/") }, "efa-test", "secret");

    [Fact]
    public void By_default_the_citizen_logged_in_with_ELSTER_at_level_3_and_gave_an_e_mail_reply_channel()
    {
        var application = ApplicationFactory.Sozialhilfe(SimulatorTestSupport.Ars, SimulatorTestSupport.Plz, SimulatorTestSupport.Ort, 7);

        var metadata = Sender().BuildMetadata(application);

        CitizenPostbox.TrustLevelOf(metadata, Trusted).Should().Be(3);
        CitizenPostbox.MailboxOf(metadata).Should().BeNull();
        metadata["replyChannel"]!["eMail"]!["address"]!.GetValue<string>().Should().Contain("@");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void The_applications_trust_level_and_postbox_reach_the_metadata(int level)
    {
        var mailbox = Guid.NewGuid();
        var application = ApplicationFactory.Sozialhilfe(SimulatorTestSupport.Ars, SimulatorTestSupport.Plz, SimulatorTestSupport.Ort, 7)
            with { TrustLevel = level, MailboxUuid = mailbox };

        var metadata = Sender().BuildMetadata(application);

        CitizenPostbox.TrustLevelOf(metadata, Trusted).Should().Be(level);
        CitizenPostbox.MailboxOf(metadata).Should().Be(mailbox);
        metadata["replyChannel"]!.AsObject().Should().ContainSingle("the metadata schema allows exactly one reply channel");
    }

    [Fact]
    public void A_trust_level_outside_1_to_4_cannot_be_set()
    {
        var application = ApplicationFactory.Sozialhilfe(SimulatorTestSupport.Ars, SimulatorTestSupport.Plz, SimulatorTestSupport.Ort, 7);

        var act = () => application with { TrustLevel = 5 };

        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}
