using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Postbox;
using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;
using IntegrationHub.Jose;
using IntegrationHub.UnitTests.Simulators;

namespace IntegrationHub.UnitTests.Delivery.Postbox;

public sealed class PostboxEnvelopeTests
{
    private static readonly Guid SubmissionId = Guid.Parse("3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b");
    private static readonly Guid Mailbox = Guid.Parse("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d");
    private static readonly DateTimeOffset ReceivedAt = new(2026, 3, 2, 9, 15, 0, TimeSpan.Zero);

    private static PostboxNotice Notice(DeliveryPayload payload, PostboxDocument? document = null) =>
        new(SubmissionId, "Grundsicherung (SGB XII)", "Stadt Offenbach am Main", ReceivedAt, payload, document);

    [Fact]
    public void Eingangsbestaetigung_message_names_the_submission_and_when_it_arrived_at_the_citizens_level()
    {
        var payload = new DeliveryPayload { Status = CitizenStatus.Submitted, OccurredAt = ReceivedAt, DocumentKind = DocumentKinds.Eingangsbestaetigung };
        var id = Guid.NewGuid();

        var message = PostboxEnvelopes.Message(id, Mailbox, 3, Notice(payload));

        message["messageId"]!.GetValue<string>().Should().Be(id.ToString());
        message["mailboxUuid"]!.GetValue<string>().Should().Be(Mailbox.ToString());
        message["title"]!.GetValue<string>().Should().Be("Eingangsbestätigung: Grundsicherung (SGB XII)");
        message["content"]!.GetValue<string>().Should().Contain(SubmissionId.ToString()).And.Contain("02.03.2026 um 10:15 Uhr", "09:15 UTC is 10:15 in Berlin");
        message["sender"]!.GetValue<string>().Should().Be("Stadt Offenbach am Main");
        message["service"]!.GetValue<string>().Should().Be("Grundsicherung (SGB XII)");
        message["stork_qaa_level"]!.GetValue<string>().Should().Be("STORK-QAA-Level-3");
        message["attachments"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public void Nachforderung_message_names_the_deadline_and_the_Aktenzeichen()
    {
        var payload = new DeliveryPayload
        {
            Status = CitizenStatus.ActionRequired, Aktenzeichen = "SH-2026-000123", DocumentKind = DocumentKinds.Nachforderung,
            Deadline = new DateTimeOffset(2026, 4, 15, 22, 0, 0, TimeSpan.Zero),
        };

        var message = PostboxEnvelopes.Message(Guid.NewGuid(), Mailbox, 1, Notice(payload));

        message["title"]!.GetValue<string>().Should().StartWith("Nachforderung");
        message["content"]!.GetValue<string>().Should().Contain("16.04.2026", "22:00 UTC on the 15th is already the 16th in Berlin").And.Contain("SH-2026-000123");
        message["stork_qaa_level"]!.GetValue<string>().Should().Be("STORK-QAA-Level-1");
    }

    [Fact]
    public void Bescheid_message_carries_the_document_with_its_sha512_and_length()
    {
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4 Bescheid");
        var payload = new DeliveryPayload { Status = CitizenStatus.Completed, Aktenzeichen = "SH-1", DocumentKind = DocumentKinds.Bescheid };

        var message = PostboxEnvelopes.Message(Guid.NewGuid(), Mailbox, 4, Notice(payload, new PostboxDocument("Bescheid.pdf", "application/pdf", pdf)));

        var attachment = message["attachments"]!.AsArray().Should().ContainSingle().Subject!;
        attachment["filename"]!.GetValue<string>().Should().Be("Bescheid.pdf");
        attachment["mimeType"]!.GetValue<string>().Should().Be("application/pdf");
        attachment["sha512"]!.GetValue<string>().Should().Be(Convert.ToHexStringLower(SHA512.HashData(pdf)));
        attachment["length"]!.GetValue<long>().Should().Be(pdf.Length);
        Convert.FromBase64String(attachment["content"]!.GetValue<string>()).Should().Equal(pdf);
    }

    [Fact]
    public void Status_envelope_carries_application_service_sender_date_and_the_Aktenzeichen_in_details()
    {
        var occurred = new DateTimeOffset(2026, 3, 3, 12, 0, 0, TimeSpan.FromHours(1));
        var payload = new DeliveryPayload { Status = CitizenStatus.Received, OccurredAt = occurred, Aktenzeichen = "SH-2026-000123" };
        var id = Guid.NewGuid();

        var status = PostboxEnvelopes.Status(id, Mailbox, Notice(payload));

        status["statusId"]!.GetValue<string>().Should().Be(id.ToString());
        status["applicationId"]!.GetValue<string>().Should().Be(SubmissionId.ToString());
        status["status"]!.GetValue<string>().Should().Be("RECEIVED");
        status["publicServiceName"]!.GetValue<string>().Should().Be("Grundsicherung (SGB XII)");
        status["senderName"]!.GetValue<string>().Should().Be("Stadt Offenbach am Main");
        status["createdDate"]!.GetValue<string>().Should().Be("2026-03-03T11:00:00Z");
        status["details"]!.GetValue<string>().Should().Contain("SH-2026-000123");
    }

    [Theory]
    [InlineData(DocumentKinds.Eingangsbestaetigung, true)]
    [InlineData(DocumentKinds.Nachforderung, true)]
    [InlineData(DocumentKinds.Bescheid, true)]
    [InlineData(null, false)]
    [InlineData(DocumentKinds.Antrag, false)]
    public void Only_steps_with_a_document_for_the_citizen_send_a_message(string? kind, bool expected) =>
        PostboxEnvelopes.HasMessage(new DeliveryPayload { DocumentKind = kind }).Should().Be(expected);

    [Fact]
    public void Message_ids_are_stable_per_idempotency_key_and_differ_between_message_and_status()
    {
        var first = PostboxEnvelopes.IdFor("sub|bundid|postbox:SUBMITTED", "message");
        PostboxEnvelopes.IdFor("sub|bundid|postbox:SUBMITTED", "message").Should().Be(first);
        PostboxEnvelopes.IdFor("sub|bundid|postbox:SUBMITTED", "status").Should().NotBe(first);
        PostboxEnvelopes.IdFor("sub|bundid|postbox:RECEIVED", "message").Should().NotBe(first);
    }

    [Fact]
    public void Author_token_is_RS512_from_the_municipality_for_the_postbox_and_expires_after_its_short_lifetime()
    {
        using var certificate = SimulatorTestSupport.CreateSigningCertificate("Stadt Offenbach");
        var now = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

        var token = AuthorToken.Create(certificate, "064130000000", "urn:bundid:zbp", "msg-1", now, TimeSpan.FromMinutes(5));

        var (header, claims) = CompactJws.Verify(token, certificate.GetRSAPublicKey()!)!.Value;
        header["alg"]!.GetValue<string>().Should().Be("RS512");
        header["typ"]!.GetValue<string>().Should().Be("JWT");
        header["x5t#S256"]!.GetValue<string>().Should().Be(Base64UrlStrict.Encode(SHA256.HashData(certificate.RawData)));
        claims["iss"]!.GetValue<string>().Should().Be("064130000000");
        claims["aud"]!.GetValue<string>().Should().Be("urn:bundid:zbp");
        claims["jti"]!.GetValue<string>().Should().Be("msg-1");
        claims["iat"]!.GetValue<long>().Should().Be(now.ToUnixTimeSeconds());
        claims["exp"]!.GetValue<long>().Should().Be(now.AddMinutes(5).ToUnixTimeSeconds());
    }

    [Fact]
    public void Author_token_does_not_verify_with_another_certificate()
    {
        using var certificate = SimulatorTestSupport.CreateSigningCertificate("Stadt Offenbach");
        using var other = SimulatorTestSupport.CreateSigningCertificate("Somebody else");

        var token = AuthorToken.Create(certificate, "064130000000", "urn:bundid:zbp", "msg-1", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));

        CompactJws.Verify(token, other.GetRSAPublicKey()!).Should().BeNull();
    }

    [Fact]
    public void Content_signature_is_detached_and_covers_exactly_the_body()
    {
        using var certificate = SimulatorTestSupport.CreateSigningCertificate("Stadt Offenbach");
        var body = Encoding.UTF8.GetBytes("{\"title\":\"Bescheid\"}");

        var signature = AuthorToken.SignContent(certificate, body);

        var parts = signature.Split('.');
        parts.Should().HaveCount(3);
        parts[1].Should().BeEmpty("the payload is the request body, not repeated in the signature");
        var key = certificate.GetRSAPublicKey()!;
        Verify(parts, body, key).Should().BeTrue();
        Verify(parts, Encoding.UTF8.GetBytes("{\"title\":\"Bescheid!\"}"), key).Should().BeFalse();

        static bool Verify(string[] parts, byte[] body, RSA key) => key.VerifyData(
            Encoding.ASCII.GetBytes(parts[0] + "." + Base64UrlStrict.Encode(body)), Base64UrlStrict.TryDecode(parts[2], out var s) ? s : [],
            HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
    }

    [Theory]
    [InlineData(400, true)]
    [InlineData(401, true)]
    [InlineData(404, true)]
    [InlineData(409, true)]
    [InlineData(422, true)]
    [InlineData(408, false)]
    [InlineData(429, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public async Task Refusals_are_permanent_and_outages_transient(int status, bool permanent)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status)
        {
            Content = new StringContent("{\"type\":\"urn:x:unknown-mailbox\",\"title\":\"unknown mailbox\",\"detail\":\"There is no mailbox.\"}"),
        };

        var act = () => PostboxAdapter.EnsureAcceptedAsync(response, "bundid", "api/v1/messages", CancellationToken.None);

        if (permanent)
            (await act.Should().ThrowAsync<PermanentDeliveryException>()).Which.Message.Should().Contain("unknown-mailbox").And.Contain("There is no mailbox.");
        else
            await act.Should().ThrowAsync<TransientDeliveryException>();
    }

    [Fact]
    public async Task Retry_after_of_a_busy_postbox_is_kept()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(42));

        var act = () => PostboxAdapter.EnsureAcceptedAsync(response, "bundid", "api/v1/status", CancellationToken.None);

        (await act.Should().ThrowAsync<TransientDeliveryException>()).Which.RetryAfter.Should().Be(TimeSpan.FromSeconds(42));
    }
}
