using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;

namespace IntegrationHub.EndToEndTests;

/// <summary>The wire details existing FIT-Connect sender clients rely on, checked over raw HTTP.</summary>
[Collection(HubCollection.Name)]
public sealed class IntakeApiTests(HubFixture hub)
{
    private readonly HttpClient _http = hub.Factory.CreateClient();

    [Fact]
    public async Task Token_endpoint_accepts_credentials_in_the_form_body_and_as_http_basic()
    {
        var form = await _http.PostAsync("/token", TokenForm(includeCredentials: true));
        var basic = new HttpRequestMessage(HttpMethod.Post, "/token") { Content = TokenForm(includeCredentials: false) };
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{HubFixture.ClientId}:{hub.ClientSecret}")));
        var viaBasic = await _http.SendAsync(basic);

        foreach (var response in new[] { form, viaBasic })
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var body = await Json(response);
            body["token_type"]!.GetValue<string>().Should().Be("Bearer");
            body["access_token"]!.GetValue<string>().Split('.').Should().HaveCount(3);
            body["expires_in"]!.GetValue<int>().Should().BePositive();
        }
    }

    [Fact]
    public async Task Wrong_client_secret_gets_a_problem_with_the_oauth_error()
    {
        var response = await _http.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = HubFixture.ClientId, ["client_secret"] = "wrong",
        }));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await Json(response);
        problem["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:invalid-client");
        problem["error"]!.GetValue<string>().Should().Be("invalid_client");
    }

    [Fact]
    public async Task Destination_info_names_its_services_and_the_key_is_a_public_RSA_OAEP_256_JWK()
    {
        var destination = await Json(await _http.GetAsync($"/v1/destinations/{HubFixture.OffenbachWohngeld}"));
        var service = destination["services"]!.AsArray().Should().ContainSingle().Subject!;
        service["identifier"]!.GetValue<string>().Should().Be(DemoServices.LeikaUrn(DemoServices.WohngeldLeikaKey));
        service["submissionSchemas"]![0]!["schemaUri"]!.GetValue<string>().Should().Be(DemoServices.WohngeldSchemaUri);
        var kid = destination["encryptionKid"]!.GetValue<string>();

        var jwk = await Json(await _http.GetAsync($"/v1/destinations/{HubFixture.OffenbachWohngeld}/keys/{kid}"));
        jwk.Select(p => p.Key).Should().BeEquivalentTo("kty", "n", "e", "alg", "use", "key_ops", "kid");
        jwk["kty"]!.GetValue<string>().Should().Be("RSA");
        jwk["alg"]!.GetValue<string>().Should().Be("RSA-OAEP-256");
        jwk["use"]!.GetValue<string>().Should().Be("enc");
        jwk["key_ops"]!.AsArray().Select(o => o!.GetValue<string>()).Should().Equal("wrapKey");
        jwk["kid"]!.GetValue<string>().Should().Be(kid);
        Jwk.ImportPublic(jwk).KeySize.Should().Be(4096);
    }

    [Fact]
    public async Task Unknown_destination_and_unknown_key_are_specific_problems()
    {
        var destination = await _http.GetAsync($"/v1/destinations/{Guid.NewGuid()}");
        var key = await _http.GetAsync($"/v1/destinations/{HubFixture.OffenbachWohngeld}/keys/no-such-key");

        destination.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Json(destination))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:destination-not-found");
        key.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Json(key))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:key-not-found");
    }

    [Fact]
    public async Task Submission_api_without_a_token_answers_401_with_a_problem_body()
    {
        var response = await _http.PostAsJsonAsync("/v1/submissions", new { destinationId = HubFixture.OffenbachWohngeld });

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().Should().StartWith("Bearer");
        (await Json(response))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:unauthorized");
    }

    [Fact]
    public async Task The_sender_flow_answers_exactly_201_204_and_202_with_json_bodies()
    {
        var token = await TokenAsync();
        var attachmentId = Guid.NewGuid();
        var create = await Send(HttpMethod.Post, "/v1/submissions", token, JsonContent.Create(new
        {
            destinationId = HubFixture.OffenbachSozialhilfe,
            announcedAttachments = new[] { attachmentId },
            serviceType = new { name = DemoServices.SozialhilfeName, identifier = DemoServices.LeikaUrn(DemoServices.SozialhilfeLeikaKey) },
        }));
        create.StatusCode.Should().Be(HttpStatusCode.Created);
        var created = await Json(create);
        var submissionId = created["submissionId"]!.GetValue<Guid>();
        created["caseId"]!.GetValue<Guid>().Should().NotBeEmpty();
        created["destinationId"]!.GetValue<Guid>().Should().Be(HubFixture.OffenbachSozialhilfe);

        var key = await DestinationKeyAsync(HubFixture.OffenbachSozialhilfe);
        var pdf = MinimalPdf.Create("Anlage");
        var upload = await Send(HttpMethod.Put, $"/v1/submissions/{submissionId}/attachments/{attachmentId}", token, Jose(JweEncryptor.Encrypt(pdf, key.Rsa, key.Kid)));
        upload.StatusCode.Should().Be(HttpStatusCode.NoContent);

        var application = ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 201);
        var metadata = Metadata(application.Xml, DemoServices.SozialhilfeSchemaUri, DemoServices.SozialhilfeLeikaKey, (attachmentId, pdf));
        var submit = await Send(HttpMethod.Put, $"/v1/submissions/{submissionId}", token, JsonContent.Create(new
        {
            encryptedMetadata = JweEncryptor.Encrypt(Encoding.UTF8.GetBytes(metadata.ToJsonString()), key.Rsa, key.Kid),
            encryptedData = JweEncryptor.Encrypt(application.Xml, key.Rsa, key.Kid, "application/xml"),
        }));
        submit.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var submitted = await Json(submit);
        submitted["submissionId"]!.GetValue<Guid>().Should().Be(submissionId);
        submitted["caseId"]!.GetValue<Guid>().Should().Be(created["caseId"]!.GetValue<Guid>());

        var (submission, _) = await hub.WaitUntilSettledAsync(submissionId);
        submission.Status.Should().Be(Ledger.SubmissionStatus.Accepted);
    }

    [Fact]
    public async Task Submitting_before_all_announced_attachments_arrived_is_a_problem_and_changes_nothing()
    {
        var token = await TokenAsync();
        var created = await Json(await Send(HttpMethod.Post, "/v1/submissions", token, JsonContent.Create(new
        {
            destinationId = HubFixture.OffenbachWohngeld,
            announcedAttachments = new[] { Guid.NewGuid() },
            serviceType = new { name = DemoServices.WohngeldName, identifier = DemoServices.LeikaUrn(DemoServices.WohngeldLeikaKey) },
        })));
        var submissionId = created["submissionId"]!.GetValue<Guid>();
        var key = await DestinationKeyAsync(HubFixture.OffenbachWohngeld);

        var submit = await Send(HttpMethod.Put, $"/v1/submissions/{submissionId}", token, JsonContent.Create(new
        {
            encryptedMetadata = JweEncryptor.Encrypt("{}"u8, key.Rsa, key.Kid),
            encryptedData = JweEncryptor.Encrypt("<x/>"u8, key.Rsa, key.Kid),
        }));

        submit.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var problem = await Json(submit);
        problem["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:attachment-missing");
        problem["missingAttachments"]!.AsArray().Should().ContainSingle();
        var status = await Json(await Send(HttpMethod.Get, $"/v1/submissions/{submissionId}", token));
        status["status"]!.GetValue<string>().Should().Be("incomplete");
    }

    [Fact]
    public async Task Two_simultaneous_submits_of_one_submission_take_one_and_refuse_the_other()
    {
        var token = await TokenAsync();
        var created = await Json(await Send(HttpMethod.Post, "/v1/submissions", token, JsonContent.Create(new
        {
            destinationId = HubFixture.OffenbachSozialhilfe,
            serviceType = new { name = DemoServices.SozialhilfeName, identifier = DemoServices.LeikaUrn(DemoServices.SozialhilfeLeikaKey) },
        })));
        var submissionId = created["submissionId"]!.GetValue<Guid>();
        var key = await DestinationKeyAsync(HubFixture.OffenbachSozialhilfe);
        HttpContent Body(int seed)
        {
            var application = ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed);
            var metadata = Metadata(application.Xml, DemoServices.SozialhilfeSchemaUri, DemoServices.SozialhilfeLeikaKey);
            return JsonContent.Create(new
            {
                encryptedMetadata = JweEncryptor.Encrypt(Encoding.UTF8.GetBytes(metadata.ToJsonString()), key.Rsa, key.Kid),
                encryptedData = JweEncryptor.Encrypt(application.Xml, key.Rsa, key.Kid),
            });
        }

        var answers = await Task.WhenAll(
            Send(HttpMethod.Put, $"/v1/submissions/{submissionId}", token, Body(203)),
            Send(HttpMethod.Put, $"/v1/submissions/{submissionId}", token, Body(204)));

        answers.Select(a => a.StatusCode).Should().BeEquivalentTo([HttpStatusCode.Accepted, HttpStatusCode.Conflict]);
        var (submission, _) = await hub.WaitUntilSettledAsync(submissionId);
        submission.Status.Should().Be(Ledger.SubmissionStatus.Accepted, "the blobs belong to the submit that was taken");
    }

    [Fact]
    public async Task Attachments_must_be_announced_jose_and_compact_jwe()
    {
        var token = await TokenAsync();
        var announced = Guid.NewGuid();
        var created = await Json(await Send(HttpMethod.Post, "/v1/submissions", token, JsonContent.Create(new
        {
            destinationId = HubFixture.DarmstadtWohngeld,
            announcedAttachments = new[] { announced },
            serviceType = new { name = DemoServices.WohngeldName, identifier = DemoServices.LeikaUrn(DemoServices.WohngeldLeikaKey) },
        })));
        var id = created["submissionId"]!.GetValue<Guid>();

        var notAnnounced = await Send(HttpMethod.Put, $"/v1/submissions/{id}/attachments/{Guid.NewGuid()}", token, Jose("a.b.c.d.e"));
        var wrongType = await Send(HttpMethod.Put, $"/v1/submissions/{id}/attachments/{announced}", token, new StringContent("a.b.c.d.e", Encoding.ASCII, "application/pdf"));
        var notJwe = await Send(HttpMethod.Put, $"/v1/submissions/{id}/attachments/{announced}", token, Jose("this is { not a JWE"));

        (await Json(notAnnounced))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:attachment-not-announced");
        wrongType.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        notJwe.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Json(notJwe))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:malformed-jwe");
    }

    [Fact]
    public async Task Service_the_destination_does_not_offer_and_bad_json_are_specific_problems()
    {
        var token = await TokenAsync();
        var wrongService = await Send(HttpMethod.Post, "/v1/submissions", token, JsonContent.Create(new
        {
            destinationId = HubFixture.OffenbachWohngeld,
            serviceType = new { name = "Hundesteuer", identifier = "urn:de:fim:leika:leistung:99999999999999" },
        }));
        var badJson = await Send(HttpMethod.Post, "/v1/submissions", token, new StringContent("{not json", Encoding.UTF8, "application/json"));
        var wrongShape = await Send(HttpMethod.Post, "/v1/submissions", token, new StringContent("""{"destinationId": 42}""", Encoding.UTF8, "application/json"));

        wrongService.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await Json(wrongService))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:service-not-offered");
        (await Json(badJson))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:invalid-request");
        (await Json(wrongShape))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:invalid-request");
    }

    [Fact]
    public async Task Another_clients_submission_and_case_are_invisible()
    {
        var outcome = await hub.Sender().SubmitAsync(
            ApplicationFactory.Wohngeld(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 202), HubFixture.DarmstadtWohngeld);
        var otherToken = await TokenAsync(HubFixture.NarrowClientId);

        var submission = await Send(HttpMethod.Get, $"/v1/submissions/{outcome.SubmissionId}", otherToken);
        var events = await Send(HttpMethod.Get, $"/v1/cases/{outcome.CaseId}/events", otherToken);

        submission.StatusCode.Should().Be(HttpStatusCode.NotFound);
        events.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Json(events))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:case-not-found");
    }

    [Fact]
    public async Task Health_openapi_and_unknown_paths_answer_with_json()
    {
        (await _http.GetAsync("/health/live")).StatusCode.Should().Be(HttpStatusCode.OK);
        var ready = await _http.GetAsync("/health/ready");
        ready.StatusCode.Should().Be(HttpStatusCode.OK, await ready.Content.ReadAsStringAsync());
        var checks = (await Json(ready))["checks"]!.AsObject().Select(c => c.Key).ToList();
        checks.Should().Contain(["ledger", "blob-store"]).And.Contain(c => c.Contains("masstransit", StringComparison.OrdinalIgnoreCase));
        var openApi = await Json(await _http.GetAsync("/openapi/v1.json"));
        openApi["paths"]!.AsObject().Select(p => p.Key).Should().Contain(["/v1/submissions", "/v1/submissions/{submissionId}", "/v1/cases/{caseId}/events", "/token"]);
        var missing = await _http.GetAsync("/no/such/path");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Json(missing))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:not-found");
    }

    private FormUrlEncodedContent TokenForm(bool includeCredentials, string clientId = HubFixture.ClientId)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (includeCredentials)
        {
            form["client_id"] = clientId;
            form["client_secret"] = hub.ClientSecret;
        }
        return new FormUrlEncodedContent(form);
    }

    private async Task<string> TokenAsync(string clientId = HubFixture.ClientId) =>
        (await Json(await _http.PostAsync("/token", TokenForm(true, clientId))))["access_token"]!.GetValue<string>();

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request);
    }

    private async Task<(System.Security.Cryptography.RSA Rsa, string Kid)> DestinationKeyAsync(Guid destinationId)
    {
        var kid = (await Json(await _http.GetAsync($"/v1/destinations/{destinationId}")))["encryptionKid"]!.GetValue<string>();
        return (Jwk.ImportPublic(await Json(await _http.GetAsync($"/v1/destinations/{destinationId}/keys/{kid}"))), kid);
    }

    private static StringContent Jose(string compact) => new(compact, Encoding.ASCII, "application/jose");

    private static JsonObject Metadata(byte[] data, string schemaUri, string leikaKey, params (Guid Id, byte[] Content)[] attachments) => new()
    {
        ["$schema"] = EfaOnlineService.MetadataSchemaUri,
        ["contentStructure"] = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["hash"] = new JsonObject { ["type"] = "sha512", ["content"] = Sha512.Hex(data) },
                ["submissionSchema"] = new JsonObject { ["schemaUri"] = schemaUri, ["mimeType"] = "application/xml" },
            },
            ["attachments"] = new JsonArray(attachments.Select(a => (JsonNode)new JsonObject
            {
                ["attachmentId"] = a.Id.ToString(),
                ["hash"] = new JsonObject { ["type"] = "sha512", ["content"] = Sha512.Hex(a.Content) },
                ["purpose"] = "attachment",
                ["filename"] = "anlage.pdf",
                ["mimeType"] = "application/pdf",
            }).ToArray()),
        },
        ["publicServiceType"] = new JsonObject { ["name"] = "Test", ["identifier"] = DemoServices.LeikaUrn(leikaKey) },
    };

    private static async Task<JsonObject> Json(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
}
