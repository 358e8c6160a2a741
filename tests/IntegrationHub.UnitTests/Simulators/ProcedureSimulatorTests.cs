using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using IntegrationHub.Delivery;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using static IntegrationHub.UnitTests.Simulators.SimulatorTestSupport;

namespace IntegrationHub.UnitTests.Simulators;

/// <summary>One simulator server (real Kestrel on 127.0.0.1) shared by the procedure tests.</summary>
public sealed class SimulatorServerFixture : IAsyncLifetime
{
    public const string PinnedArs = Ars;
    public const string UnpinnedArs = "064120000000";

    public SimulatorServer Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public X509Certificate2 HubCertificate { get; } = CreateSigningCertificate("Hub Musterstadt");

    public X509Certificate2 OtherCertificate { get; } = CreateSigningCertificate("Somebody else");

    public async Task InitializeAsync()
    {
        Server = await SimulatorServer.StartAsync();
        Server.Pins.Pin(PinnedArs, HubCertificate);
        Client = Server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        HubCertificate.Dispose();
        OtherCertificate.Dispose();
    }
}

public sealed class ProcedureSimulatorTests : IClassFixture<SimulatorServerFixture>
{
    private static readonly XNamespace Fall = "urn:integrationhub:xoev:fall:1.0";
    private readonly SimulatorServerFixture _fixture;

    public ProcedureSimulatorTests(SimulatorServerFixture fixture) => _fixture = fixture;

    private SimulatorServer Server => _fixture.Server;

    [Fact]
    public async Task Prosoz_accepts_a_signed_handover_with_201_and_an_aktenzeichen()
    {
        var submissionId = Guid.NewGuid();
        var body = SignedSozialhilfe(submissionId, seed: 1);

        using var response = await Post("prosoz/api/v1/faelle", body, Guid.NewGuid().ToString());

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/xml");
        var receiptBytes = await response.Content.ReadAsByteArrayAsync();
        SchemaErrors(receiptBytes).Should().BeEmpty();
        var receipt = XDocument.Load(new MemoryStream(receiptBytes)).Root!;
        receipt.Name.Should().Be(Fall + "fall.quittung.0002");
        receipt.Element(Fall + "ergebnis")!.Value.Should().Be("ANGENOMMEN");
        receipt.Element(Fall + "submissionId")!.Value.Should().Be(submissionId.ToString());
        var aktenzeichen = receipt.Element(Fall + "aktenzeichen")!.Value;
        aktenzeichen.Should().MatchRegex(@"^50\.21-SGB12-\d{4}-\d{6}$");
        response.Headers.Location!.ToString().Should().EndWith(Uri.EscapeDataString(aktenzeichen));
        var bezug = receipt.Element(Fall + "bezugNachrichtUUID")!.Value;
        bezug.Should().Be(NachrichtUuid(body));

        Server.Prosoz.CaseCountFor(submissionId).Should().Be(1);
        var created = Server.Prosoz.Cases.Single(c => c.SubmissionId == submissionId);
        created.Aktenzeichen.Should().Be(aktenzeichen);
        created.AuthorArs.Should().Be(SimulatorServerFixture.PinnedArs);
        created.Leistungsart.Should().BeOneOf("GRUNDSICHERUNG_ALTER_ERWERBSMINDERUNG", "HILFE_ZUM_LEBENSUNTERHALT");
        Server.Prosoz.Calls.Should().Contain(c => c.SubmissionId == submissionId && c.StatusCode == 201 && c.SignatureOk == true && !c.Duplicate);

        var list = JsonNode.Parse(await _fixture.Client.GetStringAsync("prosoz/api/v1/faelle"))!.AsArray();
        list.Should().Contain(n => n!["aktenzeichen"]!.GetValue<string>() == aktenzeichen && n["submissionId"]!.GetValue<string>() == submissionId.ToString());
    }

    [Fact]
    public async Task Same_idempotency_key_replays_the_same_receipt_with_200_and_creates_no_second_case()
    {
        var submissionId = Guid.NewGuid();
        var body = SignedSozialhilfe(submissionId, seed: 2);
        var key = "handover-" + submissionId;
        var duplicatesBefore = Server.Prosoz.DuplicateCallCount;

        using var first = await Post("prosoz/api/v1/faelle", body, key);
        using var second = await Post("prosoz/api/v1/faelle", body, key);

        first.StatusCode.Should().Be(HttpStatusCode.Created);
        second.StatusCode.Should().Be(HttpStatusCode.OK);
        var firstReceipt = await first.Content.ReadAsStringAsync();
        (await second.Content.ReadAsStringAsync()).Should().Be(firstReceipt);
        Server.Prosoz.CaseCountFor(submissionId).Should().Be(1);
        Server.Prosoz.DuplicateCallCount.Should().Be(duplicatesBefore + 1);
        Server.Prosoz.Calls.Where(c => c.IdempotencyKey == key).Select(c => c.Duplicate).Should().Equal(false, true);
    }

    [Fact]
    public async Task Concurrent_calls_with_one_key_create_one_case()
    {
        var submissionId = Guid.NewGuid();
        var body = SignedWohngeld(submissionId, seed: 3);
        var key = "parallel-" + submissionId;

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Post("marius/api/v1/antraege", body, key)));

        responses.Count(r => r.StatusCode == HttpStatusCode.Created).Should().Be(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.OK).Should().Be(5);
        Server.Marius.CaseCountFor(submissionId).Should().Be(1);
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task Tampered_document_is_refused_with_422_and_creates_no_case()
    {
        var submissionId = Guid.NewGuid();
        var signed = Encoding.UTF8.GetString(SignedSozialhilfe(submissionId, seed: 4));
        var tampered = Encoding.UTF8.GetBytes(signed.Replace("<fall:zielsystem>prosoz</fall:zielsystem>", "<fall:zielsystem>prosoz2</fall:zielsystem>", StringComparison.Ordinal));
        tampered.Should().NotEqual(Encoding.UTF8.GetBytes(signed), "the test must really change the document");

        using var response = await Post("prosoz/api/v1/faelle", tampered, Guid.NewGuid().ToString());

        await ShouldBeProblem(response, 422, "urn:integrationhub:simulator:prosoz:signature-invalid");
        Server.Prosoz.CaseCountFor(submissionId).Should().Be(0);
        Server.Prosoz.Calls.Should().Contain(c => c.Outcome == "signature-invalid" && c.SignatureOk == false);
    }

    [Fact]
    public async Task Handover_from_an_ars_without_pin_is_refused_with_403()
    {
        var submissionId = Guid.NewGuid();
        var handover = BuildHandover(ApplicationFactory.Sozialhilfe(SimulatorServerFixture.UnpinnedArs, "60311", "Frankfurt am Main", 5), submissionId, SimulatorServerFixture.UnpinnedArs, "prosoz");
        var body = Sign(handover, _fixture.OtherCertificate);

        using var response = await Post("prosoz/api/v1/faelle", body, Guid.NewGuid().ToString());

        await ShouldBeProblem(response, 403, "urn:integrationhub:simulator:prosoz:signer-not-pinned");
        Server.Prosoz.CaseCountFor(submissionId).Should().Be(0);
    }

    [Fact]
    public async Task Handover_signed_with_another_certificate_than_the_pinned_one_is_refused()
    {
        var submissionId = Guid.NewGuid();
        var handover = BuildHandover(ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 6), submissionId, SimulatorServerFixture.PinnedArs, "prosoz");
        var body = Sign(handover, _fixture.OtherCertificate);

        using var response = await Post("prosoz/api/v1/faelle", body, Guid.NewGuid().ToString());

        await ShouldBeProblem(response, 422, "urn:integrationhub:simulator:prosoz:signature-invalid");
        Server.Prosoz.CaseCountFor(submissionId).Should().Be(0);
    }

    [Fact]
    public async Task Signed_but_schema_invalid_handover_is_refused_with_422()
    {
        var submissionId = Guid.NewGuid();
        var handover = BuildHandover(ApplicationFactory.WohngeldSchemaInvalid(Ars, Plz, Ort, 7), submissionId, SimulatorServerFixture.PinnedArs, "marius");
        var body = Sign(handover, _fixture.HubCertificate);

        using var response = await Post("marius/api/v1/antraege", body, Guid.NewGuid().ToString());

        var problem = await ShouldBeProblem(response, 422, "urn:integrationhub:simulator:marius:schema-invalid");
        problem["errors"]!.AsArray().Should().NotBeEmpty();
        problem.ToJsonString().Should().NotContain("6306A", "schema messages must not echo document values");
        Server.Marius.CaseCountFor(submissionId).Should().Be(0);
        Server.Marius.Calls.Should().Contain(c => c.Outcome == "schema-invalid" && c.SignatureOk == true);
    }

    [Fact]
    public async Task Missing_idempotency_key_is_400()
    {
        var submissionId = Guid.NewGuid();

        using var response = await Post("prosoz/api/v1/faelle", SignedSozialhilfe(submissionId, seed: 8), idempotencyKey: null);

        await ShouldBeProblem(response, 400, "urn:integrationhub:simulator:prosoz:idempotency-key-missing");
        Server.Prosoz.CaseCountFor(submissionId).Should().Be(0);
    }

    [Fact]
    public async Task Dtd_and_non_xml_bodies_are_refused()
    {
        var dtd = Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"boom\">]><x>&e;</x>");
        using (var response = await Post("prosoz/api/v1/faelle", dtd, Guid.NewGuid().ToString()))
        {
            await ShouldBeProblem(response, 400, "urn:integrationhub:simulator:prosoz:malformed-xml");
        }

        using var json = new HttpRequestMessage(HttpMethod.Post, "prosoz/api/v1/faelle") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        json.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var jsonResponse = await _fixture.Client.SendAsync(json);
        jsonResponse.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        Server.Prosoz.Calls.Should().Contain(c => c.Outcome == "unsupported-media-type" && c.StatusCode == 415);
    }

    [Fact]
    public async Task An_idempotency_key_reused_for_another_submission_is_409()
    {
        var key = "reused-" + Guid.NewGuid();
        var firstId = Guid.NewGuid();
        var secondId = Guid.NewGuid();
        using (var first = await Post("prosoz/api/v1/faelle", SignedSozialhilfe(firstId, seed: 14), key))
        {
            first.StatusCode.Should().Be(HttpStatusCode.Created);
        }

        using var second = await Post("prosoz/api/v1/faelle", SignedSozialhilfe(secondId, seed: 15), key);

        await ShouldBeProblem(second, 409, "urn:integrationhub:simulator:prosoz:idempotency-key-reused");
        Server.Prosoz.CaseCountFor(secondId).Should().Be(0);
    }

    [Fact]
    public async Task Marius_accepts_wohngeld_with_a_wg_number_and_refuses_sozialhilfe()
    {
        var wohngeldId = Guid.NewGuid();
        using (var accepted = await Post("marius/api/v1/antraege", SignedWohngeld(wohngeldId, seed: 9), Guid.NewGuid().ToString()))
        {
            accepted.StatusCode.Should().Be(HttpStatusCode.Created);
            var receipt = XDocument.Parse(await accepted.Content.ReadAsStringAsync()).Root!;
            receipt.Element(Fall + "aktenzeichen")!.Value.Should().MatchRegex(@"^WG-\d{4}-\d{6}$");
        }

        Server.Marius.Cases.Single(c => c.SubmissionId == wohngeldId).Leistungsart.Should().Be("WOHNGELD_MIETZUSCHUSS");

        var sozialhilfeId = Guid.NewGuid();
        var misrouted = Sign(BuildHandover(ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 10), sozialhilfeId, Ars, "marius"), _fixture.HubCertificate);
        using var refused = await Post("marius/api/v1/antraege", misrouted, Guid.NewGuid().ToString());
        await ShouldBeProblem(refused, 422, "urn:integrationhub:simulator:marius:unsupported-application");
        Server.Marius.CaseCountFor(sozialhilfeId).Should().Be(0);

        var list = JsonNode.Parse(await _fixture.Client.GetStringAsync("marius/api/v1/antraege"))!.AsArray();
        list.Should().Contain(n => n!["submissionId"]!.GetValue<string>() == wohngeldId.ToString());
    }

    [Fact]
    public async Task FailNext_answers_503_then_the_retry_succeeds()
    {
        // Marius gets the in-process switch, Prosoz the run-time endpoint; both shapes are covered.
        var submissionId = Guid.NewGuid();
        var body = SignedWohngeld(submissionId, seed: 12);
        var key = Guid.NewGuid().ToString();
        Server.Marius.Faults.FailNext(1);

        using (var failed = await Post("marius/api/v1/antraege", body, key))
        {
            await ShouldBeProblem(failed, 503, "urn:integrationhub:simulator:marius:fault-injected");
        }

        Server.Marius.CaseCountFor(submissionId).Should().Be(0);
        using (var retried = await Post("marius/api/v1/antraege", body, key))
        {
            retried.StatusCode.Should().Be(HttpStatusCode.Created, "a failed call stores nothing under its key");
        }

        Server.Marius.CaseCountFor(submissionId).Should().Be(1);
        Server.Marius.Calls.Where(c => c.IdempotencyKey == key).Select(c => c.Outcome).Should().Equal("fault-injected", "accepted");
    }

    [Fact]
    public async Task Faults_endpoint_sets_failures_and_latency_at_run_time()
    {
        var sozialId = Guid.NewGuid();
        var body = SignedSozialhilfe(sozialId, seed: 13);
        var key = Guid.NewGuid().ToString();
        using (var set = await _fixture.Client.PostAsync("prosoz/_faults", new StringContent("{\"failNext\":2,\"statusCode\":500,\"latencyMs\":50}", Encoding.UTF8, "application/json")))
        {
            set.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        try
        {
            var started = DateTime.UtcNow;
            using (var first = await Post("prosoz/api/v1/faelle", body, key))
            {
                first.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
            }

            (DateTime.UtcNow - started).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(40));
            using (var second = await Post("prosoz/api/v1/faelle", body, key))
            {
                second.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
            }

            using var third = await Post("prosoz/api/v1/faelle", body, key);
            third.StatusCode.Should().Be(HttpStatusCode.Created);
        }
        finally
        {
            using var reset = await _fixture.Client.PostAsync("prosoz/_faults", new StringContent("{\"reset\":true}", Encoding.UTF8, "application/json"));
        }

        Server.Prosoz.Faults.Latency.Should().Be(TimeSpan.Zero);
        var calls = JsonNode.Parse(await _fixture.Client.GetStringAsync("prosoz/_calls"))!;
        calls["calls"]!.AsArray().Count(c => c!["idempotencyKey"]?.GetValue<string>() == key).Should().Be(3);
    }

    [Fact]
    public async Task Container_with_two_attachment_parts_is_accepted_with_201_and_records_them()
    {
        var submissionId = Guid.NewGuid();
        var (body, anlagen, contents) = SignedWohngeldWithParts(submissionId, seed: 20, sizes: [70_000, 3]);

        using var response = await PostContainer("marius/api/v1/antraege", body, Parts(anlagen, contents), Guid.NewGuid().ToString());

        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var created = Server.Marius.Cases.Single(c => c.SubmissionId == submissionId);
        created.AttachmentCount.Should().Be(2);
        created.AttachmentBytes.Should().Be(70_003);
        var list = JsonNode.Parse(await _fixture.Client.GetStringAsync("marius/api/v1/antraege"))!.AsArray();
        list.Single(n => n!["submissionId"]!.GetValue<string>() == submissionId.ToString())!["attachmentCount"]!.GetValue<int>().Should().Be(2);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("longer")]
    [InlineData("shorter")]
    public async Task Tampered_attachment_part_is_refused_with_422_attachment_mismatch_and_creates_no_case(string tampering)
    {
        var submissionId = Guid.NewGuid();
        var (body, anlagen, contents) = SignedWohngeldWithParts(submissionId, seed: 21, sizes: [1000, 40_000]);
        var second = contents[1];
        contents[1] = tampering switch
        {
            "flip" => [.. second[..20_000], (byte)(second[20_000] ^ 1), .. second[20_001..]],
            "longer" => [.. second, 0],
            _ => second[..^1],
        };

        using var response = await PostContainer("marius/api/v1/antraege", body, Parts(anlagen, contents), Guid.NewGuid().ToString());

        var problem = await ShouldBeProblem(response, 422, "urn:integrationhub:simulator:marius:attachment-mismatch");
        problem["detail"]!.GetValue<string>().Should().Contain(anlagen[1].AnlageId.ToString());
        Server.Marius.CaseCountFor(submissionId).Should().Be(0);
        Server.Marius.Calls.Should().Contain(c => c.SubmissionId == submissionId && c.Outcome == "attachment-mismatch" && c.SignatureOk == true);
    }

    [Fact]
    public async Task Missing_attachment_part_is_refused_with_422_and_creates_no_case()
    {
        var submissionId = Guid.NewGuid();
        var (body, anlagen, contents) = SignedWohngeldWithParts(submissionId, seed: 22, sizes: [100, 200]);

        using var response = await PostContainer("marius/api/v1/antraege", body, Parts(anlagen, contents).Take(1), Guid.NewGuid().ToString());

        var problem = await ShouldBeProblem(response, 422, "urn:integrationhub:simulator:marius:attachment-missing");
        problem["detail"]!.GetValue<string>().Should().Contain(anlagen[1].AnlageId.ToString());
        Server.Marius.CaseCountFor(submissionId).Should().Be(0);
    }

    [Fact]
    public async Task Referenced_attachments_in_a_plain_XML_body_are_missing()
    {
        var submissionId = Guid.NewGuid();
        var (body, _, _) = SignedWohngeldWithParts(submissionId, seed: 23, sizes: [100]);

        using var response = await Post("marius/api/v1/antraege", body, Guid.NewGuid().ToString());

        await ShouldBeProblem(response, 422, "urn:integrationhub:simulator:marius:attachment-missing");
        Server.Marius.CaseCountFor(submissionId).Should().Be(0);
    }

    [Fact]
    public async Task Unreferenced_or_duplicate_parts_are_refused_with_422()
    {
        var submissionId = Guid.NewGuid();
        var (body, anlagen, contents) = SignedWohngeldWithParts(submissionId, seed: 24, sizes: [100]);
        var extra = Parts(anlagen, contents).Append(($"<{Guid.NewGuid()}>", "application/pdf", new ByteArrayContent([1, 2, 3])));

        using (var response = await PostContainer("marius/api/v1/antraege", body, extra, Guid.NewGuid().ToString()))
        {
            await ShouldBeProblem(response, 422, "urn:integrationhub:simulator:marius:attachment-unreferenced");
        }

        var twice = Parts(anlagen, contents).Concat(Parts(anlagen, contents));
        using (var response = await PostContainer("marius/api/v1/antraege", body, twice, Guid.NewGuid().ToString()))
        {
            await ShouldBeProblem(response, 422, "urn:integrationhub:simulator:marius:attachment-duplicate");
        }

        Server.Marius.CaseCountFor(submissionId).Should().Be(0);
    }

    [Fact]
    public async Task Inline_content_is_checked_against_its_signed_hash()
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 25);
        var goodId = Guid.NewGuid();
        var good = TestAnlage.Inline(Guid.NewGuid(), "nachweis.pdf", "application/pdf", [1, 2, 3, 4]);
        using (var accepted = await Post("marius/api/v1/antraege", Sign(BuildHandover(application, goodId, Ars, "marius", [good]), _fixture.HubCertificate), Guid.NewGuid().ToString()))
        {
            accepted.StatusCode.Should().Be(HttpStatusCode.Created);
        }

        Server.Marius.Cases.Single(c => c.SubmissionId == goodId).Should().Match<IntegrationHub.Simulators.Procedures.SimulatedCase>(c => c.AttachmentCount == 1 && c.AttachmentBytes == 4);

        var badId = Guid.NewGuid();
        var bad = good with { InlineContent = [1, 2, 3, 5] };
        using var refused = await Post("marius/api/v1/antraege", Sign(BuildHandover(application, badId, Ars, "marius", [bad]), _fixture.HubCertificate), Guid.NewGuid().ToString());
        await ShouldBeProblem(refused, 422, "urn:integrationhub:simulator:marius:attachment-mismatch");
        Server.Marius.CaseCountFor(badId).Should().Be(0);
    }

    [Fact]
    public async Task Container_whose_first_part_is_not_the_start_XML_is_400()
    {
        var submissionId = Guid.NewGuid();
        var (body, anlagen, contents) = SignedWohngeldWithParts(submissionId, seed: 26, sizes: [10]);

        using var response = await PostContainer("marius/api/v1/antraege", body, Parts(anlagen, contents), Guid.NewGuid().ToString(), start: "<something-else>");

        await ShouldBeProblem(response, 400, "urn:integrationhub:simulator:marius:malformed-multipart");
        Server.Marius.CaseCountFor(submissionId).Should().Be(0);
    }

    [Fact]
    public async Task Concurrent_containers_with_one_key_create_one_case()
    {
        var submissionId = Guid.NewGuid();
        var (body, anlagen, contents) = SignedWohngeldWithParts(submissionId, seed: 27, sizes: [300_000, 5]);
        var key = "container-" + submissionId;

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostContainer("marius/api/v1/antraege", body, Parts(anlagen, contents), key)));

        responses.Count(r => r.StatusCode == HttpStatusCode.Created).Should().Be(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.OK).Should().Be(3);
        Server.Marius.CaseCountFor(submissionId).Should().Be(1);
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task Sender_aborting_after_the_last_attachment_byte_creates_no_case()
    {
        // What the hub does when an attachment's GCM tag fails: every byte was sent (and they hash right), but the final
        // read throws, so the part is never closed and the request is aborted. The procedure must not take the case.
        var submissionId = Guid.NewGuid();
        var (body, anlagen, contents) = SignedWohngeldWithParts(submissionId, seed: 28, sizes: [2 * 1024 * 1024]);
        var key = Guid.NewGuid().ToString();
        var call = new HandoverCall(submissionId, "marius",
            new TargetOptions { Kind = "Marius", BaseUrl = Server.BaseAddress + "marius", Timeout = TimeSpan.FromSeconds(10) }, key, body,
            [new HandoverAttachment(anlagen[0].AnlageId, "application/pdf", contents[0].Length, _ => Task.FromResult<Stream>(new FailingAtEndStream(contents[0])))]);
        using var http = new HttpClient();

        var act = () => QuittungHttpClient.PostAsync(http, "api/v1/antraege", call, CancellationToken.None);

        (await act.Should().ThrowAsync<IOException>()).Which.Message.Should().Be(FailingAtEndStream.Failure);

        // The procedure sees the connection end mid-container and refuses (how far it got depends on what reached it
        // before the reset; a connection reset early enough never becomes a request at all). Never a case.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!Server.Marius.Calls.Any(c => c.IdempotencyKey == key) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Server.Marius.Calls.Where(c => c.IdempotencyKey == key).Select(c => c.Outcome).Should().OnlyContain(o => o == "malformed-multipart" || o == "aborted");
        Server.Marius.CaseCountFor(submissionId).Should().Be(0);
    }

    /// <summary>A signed Wohngeld handover referencing attachments of the given sizes, and their (random) contents.</summary>
    private (byte[] Body, List<TestAnlage> Anlagen, List<byte[]> Contents) SignedWohngeldWithParts(Guid submissionId, int seed, int[] sizes)
    {
        var contents = sizes.Select(size => System.Security.Cryptography.RandomNumberGenerator.GetBytes(size)).ToList();
        var anlagen = contents.Select((c, i) => TestAnlage.Referenced(Guid.NewGuid(), $"nachweis-{i}.pdf", "application/pdf", c)).ToList();
        var body = Sign(BuildHandover(ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed, withAttachment: false), submissionId, SimulatorServerFixture.PinnedArs, "marius", anlagen), _fixture.HubCertificate);
        return (body, anlagen, contents);
    }

    private static IEnumerable<(string ContentId, string MediaType, HttpContent Content)> Parts(List<TestAnlage> anlagen, List<byte[]> contents) =>
        anlagen.Select((a, i) => ($"<{a.AnlageId}>", a.MimeType, (HttpContent)new ByteArrayContent(contents[i])));

    private async Task<HttpResponseMessage> PostContainer(
        string path, byte[] signedXml, IEnumerable<(string ContentId, string MediaType, HttpContent Content)> parts, string idempotencyKey, string start = "<handover>")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Container(signedXml, parts, start) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await _fixture.Client.SendAsync(request);
    }

    private byte[] SignedSozialhilfe(Guid submissionId, int seed) =>
        Sign(BuildHandover(ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, seed), submissionId, SimulatorServerFixture.PinnedArs, "prosoz"), _fixture.HubCertificate);

    private byte[] SignedWohngeld(Guid submissionId, int seed) =>
        Sign(BuildHandover(ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed), submissionId, SimulatorServerFixture.PinnedArs, "marius"), _fixture.HubCertificate);

    private async Task<HttpResponseMessage> Post(string path, byte[] body, string? idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/xml");
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await _fixture.Client.SendAsync(request);
    }

    private static async Task<JsonObject> ShouldBeProblem(HttpResponseMessage response, int status, string type)
    {
        ((int)response.StatusCode).Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        problem["type"]!.GetValue<string>().Should().Be(type);
        problem["status"]!.GetValue<int>().Should().Be(status);
        return problem;
    }

    private static string NachrichtUuid(byte[] handover) =>
        XDocument.Load(new MemoryStream(handover)).Root!.Element(Fall + "nachrichtenkopf")!
            .Element(XName.Get("nachrichtUUID", ApplicationFactory.CommonNamespace))!.Value;
}

/// <summary>Hands out its content, then fails the read that would end it, as a stream whose authentication tag does not verify.</summary>
internal sealed class FailingAtEndStream(byte[] content) : Stream
{
    public const string Failure = "The authentication tag does not verify.";
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_position == content.Length)
        {
            throw new IOException(Failure);
        }

        var n = Math.Min(count, content.Length - _position);
        Array.Copy(content, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// A 50 MB attachment from the hub's QuittungHttpClient through the simulator over real HTTP (Kestrel on 127.0.0.1):
/// neither side holds it, so the whole process allocates far less than the attachment's size. Runs alone, so the
/// process-wide allocation figure is not disturbed by other tests.
/// </summary>
[Collection(IntegrationHub.UnitTests.Jose.Streaming.LargePayloadCollection.Name)]
public sealed class ProcedureSimulatorLargeAttachmentTests(SimulatorServerFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<SimulatorServerFixture>
{
    private const int Megabyte = 1024 * 1024;

    [Fact]
    public async Task Fifty_megabyte_attachment_streams_through_the_simulator_with_bounded_allocations()
    {
        const long size = 50L * Megabyte;
        const long allocationBound = 4L * Megabyte;
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        await MeasureAsync(http, 5L * Megabyte, seed: 40); // warm-up: JIT, connection, pools

        var (submissionId, allocated, elapsed) = await MeasureAsync(http, size, seed: 41);
        var small = await MeasureAsync(http, 5L * Megabyte, seed: 42); // for comparison: allocations do not grow with the size

        var created = fixture.Server.Marius.Cases.Single(c => c.SubmissionId == submissionId);
        created.AttachmentCount.Should().Be(1);
        created.AttachmentBytes.Should().Be(size);
        output.WriteLine($"{size / Megabyte} MiB attachment, hub QuittungHttpClient -> simulator over HTTP on 127.0.0.1: {size / (double)Megabyte / elapsed.TotalSeconds:F0} MiB/s "
            + $"(incl. generating and hashing the bytes on both sides), process-wide managed allocations {allocated / 1024.0:F0} KiB "
            + $"({100.0 * allocated / size:F2} % of the attachment); for 5 MiB: {small.Allocated / 1024.0:F0} KiB");
        allocated.Should().BeLessThan(allocationBound);
    }

    [Fact]
    public async Task Repeated_large_container_is_answered_from_the_stored_receipt()
    {
        // The procedure replays a known key without reading the parts; the sender still gets the receipt.
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var (submissionId, call) = await PrepareAsync(50L * Megabyte, seed: 43);
        var first = await QuittungHttpClient.PostAsync(http, "api/v1/antraege", call, CancellationToken.None);
        var duplicatesBefore = fixture.Server.Marius.DuplicateCallCount;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var second = await QuittungHttpClient.PostAsync(http, "api/v1/antraege", call, CancellationToken.None);

        output.WriteLine($"replay of a 50 MiB container took {clock.ElapsedMilliseconds} ms");
        second.Should().Be(first);
        fixture.Server.Marius.DuplicateCallCount.Should().Be(duplicatesBefore + 1);
        fixture.Server.Marius.CaseCountFor(submissionId).Should().Be(1);
    }

    /// <summary>Sends one handover whose attachment is generated while it is sent; measures only the transfer (client and server).</summary>
    private async Task<(Guid SubmissionId, long Allocated, TimeSpan Elapsed)> MeasureAsync(HttpClient http, long size, int seed)
    {
        var (submissionId, call) = await PrepareAsync(size, seed);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var receipt = await QuittungHttpClient.PostAsync(http, "api/v1/antraege", call, CancellationToken.None);
        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        receipt.Aktenzeichen.Should().MatchRegex(@"^WG-\d{4}-\d{6}$");
        return (submissionId, allocated, clock.Elapsed);
    }

    private async Task<(Guid SubmissionId, HandoverCall Call)> PrepareAsync(long size, int seed)
    {
        var submissionId = Guid.NewGuid();
        var anlageId = Guid.NewGuid();
        var sha512 = await PatternStream.Sha512HexAsync(size, seed);
        var anlage = new TestAnlage(anlageId, "scan.pdf", "application/pdf", sha512, size, null);
        var body = Sign(BuildHandover(ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed, withAttachment: false), submissionId, SimulatorServerFixture.PinnedArs, "marius", [anlage]),
            fixture.HubCertificate);
        var call = new HandoverCall(submissionId, "marius",
            new TargetOptions { Kind = "Marius", BaseUrl = fixture.Server.BaseAddress + "marius", Timeout = TimeSpan.FromSeconds(30) }, Guid.NewGuid().ToString(), body,
            [new HandoverAttachment(anlageId, "application/pdf", size, _ => Task.FromResult<Stream>(new PatternStream(size, seed)))]);
        return (submissionId, call);
    }
}

/// <summary>A reproducible pseudo-random stream of a given length that is generated, not stored.</summary>
internal sealed class PatternStream(long length, int seed) : Stream
{
    private ulong _state = (ulong)seed * 0x9E3779B97F4A7C15UL + 1;
    private long _position;

    public static async Task<string> Sha512HexAsync(long length, int seed)
    {
        using var sha512 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA512);
        await using var stream = new PatternStream(length, seed);
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            sha512.AppendData(buffer, 0, read);
        }

        return Convert.ToHexStringLower(sha512.GetHashAndReset());
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < n; i++)
        {
            // xorshift64: cheap, and no run of it repeats within the stream.
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            buffer[i] = (byte)_state;
        }

        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
