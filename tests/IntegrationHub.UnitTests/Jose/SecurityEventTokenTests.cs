using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Jose;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.UnitTests.Jose;

public sealed class SecurityEventTokenTests(RsaKeysFixture keys) : IClassFixture<RsaKeysFixture>
{
    private const string Issuer = "https://hub.example.de";
    private static readonly Guid SubmissionId = Guid.Parse("02bf1d9f-282d-4abf-810a-c4104baf0afe");
    private static readonly Guid CaseId = Guid.Parse("452b5ee6-35df-441a-bd39-6141723cf914");
    private static readonly Guid AttachmentId = Guid.Parse("0b799252-deb9-42b0-98d3-c50d24bbafe0");
    private static readonly DateTimeOffset IssuedAt = DateTimeOffset.FromUnixTimeSeconds(1_622_796_532);

    private RSA SigningKey => keys.Other;

    private SecurityEventTokenSigner Signer => new(SigningKey, "hub-sig-1", Issuer);

    private string SubmitSubmissionToken() => Signer.Sign(
        FitConnectEvents.SubmitSubmission,
        SubmissionId,
        CaseId,
        FitConnectEvents.AuthenticationTagsPayload("XFBoMYUZodetZdvTiFvSkQ", "UCGiqJxhBI3IFVdPalHHvA", new Dictionary<Guid, string> { [AttachmentId] = "rT99rwrBTbTI7IJM8fU3El" }),
        IssuedAt);

    private static JsonObject DecodePart(string token, int index) =>
        JsonNode.Parse(Base64Url.DecodeFromChars(token.Split('.')[index]))!.AsObject();

    [Fact]
    public void Event_URIs_follow_the_FIT_Connect_schema()
    {
        FitConnectEvents.SubmitSubmission.Should().Be("https://schema.fitko.de/fit-connect/events/submit-submission");
        FitConnectEvents.AcceptSubmission.Should().Be("https://schema.fitko.de/fit-connect/events/accept-submission");
        FitConnectEvents.RejectSubmission.Should().Be("https://schema.fitko.de/fit-connect/events/reject-submission");
    }

    [Fact]
    public void Signed_SET_has_the_FIT_Connect_header_and_claims()
    {
        var token = SubmitSubmissionToken();

        var header = DecodePart(token, 0);
        header.Select(p => p.Key).Should().Equal("typ", "alg", "kid");
        ((string?)header["typ"]).Should().Be("secevent+jwt");
        ((string?)header["alg"]).Should().Be("PS512");
        ((string?)header["kid"]).Should().Be("hub-sig-1");

        var claims = DecodePart(token, 1);
        claims.Select(p => p.Key).Should().BeEquivalentTo("$schema", "jti", "iss", "iat", "sub", "txn", "events");
        ((string?)claims["$schema"]).Should().Be("https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json");
        Guid.TryParse((string?)claims["jti"], out _).Should().BeTrue();
        ((string?)claims["iss"]).Should().Be(Issuer);
        ((long)claims["iat"]!).Should().Be(1_622_796_532);
        ((string?)claims["sub"]).Should().Be("submission:02bf1d9f-282d-4abf-810a-c4104baf0afe");
        ((string?)claims["txn"]).Should().Be("case:452b5ee6-35df-441a-bd39-6141723cf914");

        var events = claims["events"]!.AsObject();
        events.Should().ContainSingle();
        var tags = events[FitConnectEvents.SubmitSubmission]!["authenticationTags"]!.AsObject();
        ((string?)tags["metadata"]).Should().Be("XFBoMYUZodetZdvTiFvSkQ");
        ((string?)tags["data"]).Should().Be("UCGiqJxhBI3IFVdPalHHvA");
        ((string?)tags["attachments"]![AttachmentId.ToString()]).Should().Be("rT99rwrBTbTI7IJM8fU3El");
    }

    [Fact]
    public void Every_SET_gets_a_fresh_jti()
    {
        ((string?)DecodePart(SubmitSubmissionToken(), 1)["jti"]).Should().NotBe((string?)DecodePart(SubmitSubmissionToken(), 1)["jti"]);
    }

    [Fact]
    public void Validator_accepts_the_signed_SET_and_returns_the_event()
    {
        var result = SecurityEventTokenValidator.Verify(SubmitSubmissionToken(), SigningKey, Issuer);

        result.IsValid.Should().BeTrue(result.Failure);
        result.EventUri.Should().Be(FitConnectEvents.SubmitSubmission);
        result.EventPayload!["authenticationTags"].Should().NotBeNull();
        ((string?)result.Claims!["txn"]).Should().Be("case:" + CaseId);
    }

    [Fact]
    public void Reject_submission_carries_problems()
    {
        var problem = new FitConnectProblem(
            FitConnectEvents.ProblemsBase + "schema-violation",
            "Schemaverstoß",
            "Die Fachdaten entsprechen nicht dem Schema.",
            "data");
        var token = Signer.Sign(FitConnectEvents.RejectSubmission, SubmissionId, CaseId, FitConnectEvents.RejectionPayload([problem]), IssuedAt);

        var result = SecurityEventTokenValidator.Verify(token, SigningKey);

        result.IsValid.Should().BeTrue(result.Failure);
        result.EventUri.Should().Be(FitConnectEvents.RejectSubmission);
        var problems = result.EventPayload!["problems"]!.AsArray();
        problems.Should().ContainSingle();
        problems[0]!.AsObject().Select(p => p.Key).Should().Equal("type", "title", "detail", "instance");
        ((string?)problems[0]!["type"]).Should().Be("https://schema.fitko.de/fit-connect/events/problems/schema-violation");
        ((string?)problems[0]!["instance"]).Should().Be("data");
    }

    [Fact]
    public void Caller_payload_is_copied_not_adopted()
    {
        var payload = FitConnectEvents.AuthenticationTagsPayload("a", null, null);

        Signer.Sign(FitConnectEvents.AcceptSubmission, SubmissionId, CaseId, payload, IssuedAt);
        Signer.Sign(FitConnectEvents.AcceptSubmission, SubmissionId, CaseId, payload, IssuedAt);

        payload.Parent.Should().BeNull();
        payload["authenticationTags"]!.AsObject().Select(p => p.Key).Should().Equal("metadata");
    }

    [Fact]
    public void Validator_refuses_other_keys_tampered_claims_and_foreign_issuers()
    {
        var token = SubmitSubmissionToken();
        var parts = token.Split('.');
        var claims = DecodePart(token, 1);
        claims["txn"] = "case:" + Guid.NewGuid();
        var tampered = parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString())) + "." + parts[2];

        SecurityEventTokenValidator.Verify(token, keys.Recipient).Failure.Should().Be("signature invalid");
        SecurityEventTokenValidator.Verify(tampered, SigningKey).Failure.Should().Be("signature invalid");
        SecurityEventTokenValidator.Verify(token, SigningKey, "https://other.example").Failure.Should().Be("issuer missing or unexpected");
        SecurityEventTokenValidator.Verify(parts[0] + "." + parts[1], SigningKey).IsValid.Should().BeFalse();
    }

    [Theory]
    [InlineData("""{"typ":"JWT","alg":"PS512","kid":"k"}""", "typ must be secevent+jwt")]
    [InlineData("""{"typ":"secevent+jwt","alg":"RS512","kid":"k"}""", "alg must be PS512")]
    [InlineData("""{"typ":"secevent+jwt","alg":"none","kid":"k"}""", "alg must be PS512")]
    public void Validator_refuses_wrong_typ_and_alg_even_with_a_valid_signature(string headerJson, string failure)
    {
        var claims = DecodePart(SubmitSubmissionToken(), 1).ToJsonString();
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(headerJson)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims));
        var signature = SigningKey.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA512, RSASignaturePadding.Pss);

        SecurityEventTokenValidator.Verify(input + "." + Base64Url.EncodeToString(signature), SigningKey).Failure.Should().Be(failure);
    }

    [Fact]
    public void Validator_requires_exactly_one_event()
    {
        var claims = DecodePart(SubmitSubmissionToken(), 1);
        claims["events"]!.AsObject()[FitConnectEvents.AcceptSubmission] = new JsonObject();
        var input = SubmitSubmissionToken().Split('.')[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = SigningKey.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA512, RSASignaturePadding.Pss);

        SecurityEventTokenValidator.Verify(input + "." + Base64Url.EncodeToString(signature), SigningKey).Failure
            .Should().Be("events must contain exactly one event");
    }

    [Fact]
    public async Task Microsoft_IdentityModel_accepts_the_SET_as_PS512_secevent_jwt()
    {
        using var publicKey = RSA.Create();
        publicKey.ImportParameters(SigningKey.ExportParameters(false));
        var parameters = new TokenValidationParameters
        {
            IssuerSigningKey = new RsaSecurityKey(publicKey),
            ValidIssuer = Issuer,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            ValidAlgorithms = ["PS512"],
            ValidTypes = ["secevent+jwt"],
        };

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(SubmitSubmissionToken(), parameters);

        result.IsValid.Should().BeTrue(result.Exception?.Message);
    }

    [Fact]
    public void Signer_refuses_small_keys_and_relative_event_types()
    {
        using var small = RSA.Create(1024);

        ((Action)(() => _ = new SecurityEventTokenSigner(small, "k", Issuer))).Should().Throw<ArgumentException>();
        ((Action)(() => Signer.Sign("submit-submission", SubmissionId, CaseId, new JsonObject(), IssuedAt))).Should().Throw<ArgumentException>();
    }
}
