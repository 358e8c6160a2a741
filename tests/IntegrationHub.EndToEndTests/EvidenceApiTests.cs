using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Delivery;
using IntegrationHub.Intake.Callbacks;
using IntegrationHub.Ledger;
using IntegrationHub.OnceOnly;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Evidence;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The hub with evidence providers and requesters from configuration: Offenbach's Sozialamt (Prosoz SGB XII) and
/// Darmstadt's Wohngeldstelle. The provider adapter and the access protocol are parts wired elsewhere; here a scripted
/// provider (answers by IDNr) and a recording protocol stand in for them.
/// </summary>
public sealed class EvidenceHubFixture : HubFixture
{
    public const string SozialamtOffenbach = "prosoz-sgb12-of";
    public const string WohngeldDarmstadt = "wohngeld-da";
    /// <summary>IDNr for which the provider is down, and for which it never answers.</summary>
    public const string IdNrOutage = "90000000001", IdNrSlow = "90000000002";
    /// <summary>IDNr for which the provider is down until <see cref="ScriptedEvidenceProvider.OutagesLeft"/> calls have failed.</summary>
    public const string IdNrFlaky = "90000000003";

    private WebApplication? _receiver;
    /// <summary>A requester's callback endpoint on Kestrel: records what arrives, fails the first calls of a path if told to.</summary>
    public ConcurrentQueue<ReceivedCallback> Callbacks { get; } = new();
    /// <summary>Per callback name: how many calls get a 503 before one is taken.</summary>
    public ConcurrentDictionary<string, int> CallbackFailuresLeft { get; } = new();
    public Uri CallbackBase { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _receiver = builder.Build();
        _receiver.MapPost("/callbacks/{name}", async (string name, HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            if (CallbackFailuresLeft.AddOrUpdate(name, -1, (_, n) => n - 1) >= 0) return Results.StatusCode(503);
            Callbacks.Enqueue(new ReceivedCallback(name, request.Headers[CallbackAuthentication.TimestampHeader].ToString(),
                request.Headers[CallbackAuthentication.SignatureHeader].ToString(), buffer.ToArray()));
            return Results.NoContent();
        });
        await _receiver.StartAsync();
        CallbackBase = new Uri(_receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/callbacks/");
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_receiver is not null) await _receiver.DisposeAsync();
    }

    public string RequesterSecret { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
    /// <summary>The HMAC key of the callbacks: a secret of its own, not derived from the client secret.</summary>
    public string CallbackSecret { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    public ScriptedEvidenceProvider Provider { get; } = new();
    public RecordingAccessProtocol Protocol { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(RequesterSecret)));
        return new Dictionary<string, string>
        {
            ["Hub:OnceOnly:SyncTimeout"] = "00:00:01",
            ["Hub:OnceOnly:PollInterval"] = "00:00:00.100",
            ["Hub:OnceOnly:InitialBackoff"] = "00:00:00.200",
            ["Hub:OnceOnly:MaxBackoff"] = "00:00:01",
            ["Hub:Targets:melderegister-of:Kind"] = "EvidenceProvider",
            ["Hub:Targets:melderegister-of:BaseUrl"] = "http://melderegister-of.invalid/",
            ["Hub:Targets:sozialamt-of:Kind"] = "EvidenceProvider",
            ["Hub:Targets:sozialamt-of:BaseUrl"] = "http://sozialamt-of.invalid/",
            ["Hub:Targets:melderegister-da:Kind"] = "EvidenceProvider",
            ["Hub:Targets:melderegister-da:BaseUrl"] = "http://melderegister-da.invalid/",
            // Tenant 0 is Offenbach, tenant 1 Darmstadt (appsettings.json).
            ["Hub:Tenants:0:Evidence:Providers:0:Type"] = EvidenceTypes.Meldedaten,
            ["Hub:Tenants:0:Evidence:Providers:0:Target"] = "melderegister-of",
            ["Hub:Tenants:0:Evidence:Providers:0:LegalBases:0"] = "§ 67a Abs. 1 SGB X",
            ["Hub:Tenants:0:Evidence:Providers:0:LegalBases:1"] = "§ 23 Abs. 3 WoGG",
            ["Hub:Tenants:0:Evidence:Providers:1:Type"] = EvidenceTypes.Leistungsbezug,
            ["Hub:Tenants:0:Evidence:Providers:1:Target"] = "sozialamt-of",
            ["Hub:Tenants:0:Evidence:Providers:1:LegalBases:0"] = "§ 118 Abs. 1 SGB XII",
            ["Hub:Tenants:1:Evidence:Providers:0:Type"] = EvidenceTypes.Meldedaten,
            ["Hub:Tenants:1:Evidence:Providers:0:Target"] = "melderegister-da",
            ["Hub:Tenants:1:Evidence:Providers:0:LegalBases:0"] = "§ 23 Abs. 3 WoGG",
            ["Hub:EvidenceRequesters:0:ClientId"] = SozialamtOffenbach,
            ["Hub:EvidenceRequesters:0:SecretSha256"] = hash,
            ["Hub:EvidenceRequesters:0:Ars"] = Offenbach,
            ["Hub:EvidenceRequesters:0:Authority"] = "Sozialamt Offenbach",
            ["Hub:EvidenceRequesters:0:Procedure"] = "Prosoz SGB XII",
            ["Hub:EvidenceRequesters:0:EvidenceTypes:0"] = EvidenceTypes.Leistungsbezug,
            ["Hub:EvidenceRequesters:0:EvidenceTypes:1"] = EvidenceTypes.Meldedaten,
            ["Hub:EvidenceRequesters:0:EvidenceTypes:2"] = EvidenceTypes.Einkommen,
            ["Hub:EvidenceRequesters:0:LegalBases:LEISTUNGSBEZUG:0"] = "§ 118 Abs. 1 SGB XII",
            ["Hub:EvidenceRequesters:0:LegalBases:MELDEDATEN:0"] = "§ 67a Abs. 1 SGB X",
            // The receiver listens on http loopback: allowed only with the development setting, and only on the allow-list.
            ["Hub:OnceOnly:AllowHttpLoopbackCallbacks"] = "true",
            ["Hub:EvidenceRequesters:0:CallbackOrigins:0"] = CallbackBase.GetLeftPart(UriPartial.Authority),
            ["Hub:EvidenceRequesters:0:CallbackSecret"] = CallbackSecret,
            ["Hub:EvidenceRequesters:1:ClientId"] = WohngeldDarmstadt,
            ["Hub:EvidenceRequesters:1:SecretSha256"] = hash,
            ["Hub:EvidenceRequesters:1:Ars"] = Darmstadt,
            ["Hub:EvidenceRequesters:1:Authority"] = "Wohngeldstelle Darmstadt",
            ["Hub:EvidenceRequesters:1:Procedure"] = "Marius Wohngeld",
            ["Hub:EvidenceRequesters:1:EvidenceTypes:0"] = EvidenceTypes.Meldedaten,
            ["Hub:EvidenceRequesters:1:LegalBases:MELDEDATEN:0"] = "§ 23 Abs. 3 WoGG",
        };
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.RemoveAll<IEvidenceProvider>();
        services.RemoveAll<IAccessProtocol>();
        services.AddSingleton<IEvidenceProvider>(Provider);
        services.AddSingleton<IAccessProtocol>(Protocol);
    }
}

/// <summary>Answers by the person's IDNr: outage and slow IDNrs misbehave, everyone else gets evidence of the asked type.</summary>
public sealed class ScriptedEvidenceProvider : IEvidenceProvider
{
    public ConcurrentQueue<(string Provider, EvidenceRequest Request)> Calls { get; } = new();
    private int _outagesLeft;
    public int OutagesLeft { get => Volatile.Read(ref _outagesLeft); set => Volatile.Write(ref _outagesLeft, value); }

    public async Task<EvidenceAnswer> AskAsync(EvidenceRequest request, TargetOptions provider, string providerName, CancellationToken ct)
    {
        Calls.Enqueue((providerName, request));
        if (request.Person.IdNr == EvidenceHubFixture.IdNrOutage) throw new HttpRequestException("connection refused");
        if (request.Person.IdNr == EvidenceHubFixture.IdNrSlow) await Task.Delay(Timeout.Infinite, ct);
        if (request.Person.IdNr == EvidenceHubFixture.IdNrFlaky && Interlocked.Decrement(ref _outagesLeft) >= 0)
            throw new TransientDeliveryException("503 Service Unavailable");
        var data = request.EvidenceType == EvidenceTypes.Leistungsbezug
            ? new JsonObject { ["leistung"] = "Grundsicherung im Alter (SGB XII)", ["seit"] = "2023-02-01", ["aktenzeichen"] = "50.2-SH-2023-0815" }
            : new JsonObject { ["anschrift"] = new JsonObject { ["strasse"] = "Kaiserstraße", ["hausnummer"] = "8", ["postleitzahl"] = "63065", ["ort"] = "Offenbach am Main" } };
        return new EvidenceAnswer.Provided(data, new EvidenceDocument("application/pdf", "nachweis.pdf", "%PDF-1.7"u8.ToArray()),
            new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero), null);
    }
}

public sealed record ReceivedCallback(string Name, string Timestamp, string Signature, byte[] Body)
{
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
}

/// <summary>Records protocol entries; the pseudonym is a SHA-256 of the IDNr (or name and birth date).</summary>
public sealed class RecordingAccessProtocol : IAccessProtocol
{
    public ConcurrentQueue<AccessProtocolEntry> Entries { get; } = new();

    public Task AppendAsync(AccessProtocolEntry entry, CancellationToken ct)
    {
        Entries.Enqueue(entry);
        return Task.CompletedTask;
    }

    public string PseudonymOf(PersonReference person) =>
        "psn-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(person.IdNr ?? $"{person.Familienname}|{person.Vorname}|{person.Geburtsdatum}")))[..16];

    public AccessProtocolEntry Single(Guid requestId) => Entries.Should().ContainSingle(e => e.RequestId == requestId).Subject;
}

/// <summary>Specialist procedures asking for evidence through the requester API, synchronously.</summary>
public sealed class EvidenceApiTests(EvidenceHubFixture hub) : IClassFixture<EvidenceHubFixture>
{
    private const string IdNr = "12345678901";
    private readonly HttpClient _http = hub.Factory.CreateClient();

    private static JsonObject Body(string evidenceType = EvidenceTypes.Leistungsbezug, string municipality = HubFixture.Offenbach,
        string? legalBasis = "§ 118 Abs. 1 SGB XII", JsonObject? consent = null, string idNr = IdNr, string purpose = "Antrag auf Grundsicherung SH-2026-0107")
    {
        var body = new JsonObject
        {
            ["evidenceType"] = evidenceType,
            ["purpose"] = purpose,
            ["person"] = new JsonObject { ["idNr"] = idNr },
            ["municipality"] = municipality,
        };
        if (legalBasis is not null) body["legalBasis"] = legalBasis;
        if (consent is not null) body["consent"] = consent;
        return body;
    }

    private async Task<string> TokenAsync(string clientId = EvidenceHubFixture.SozialamtOffenbach)
    {
        var response = await _http.PostAsync("/api/v1/evidence/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = hub.RequesterSecret,
        }));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return (await Json(response))["access_token"]!.GetValue<string>();
    }

    private async Task<HttpResponseMessage> AskAsync(JsonObject body, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/evidence/requests") { Content = JsonContent.Create(body) };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request);
    }

    private static async Task<JsonObject> Json(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    private async Task<JsonObject> RefusalAsync(HttpResponseMessage response, string reason)
    {
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var problem = await Json(response);
        problem["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:evidence-refused");
        problem["reason"]!.GetValue<string>().Should().Be(reason);
        var entry = hub.Protocol.Single(Guid.Parse(problem["requestId"]!.GetValue<string>()));
        entry.Outcome.Should().Be(EvidenceOutcomes.Refused);
        entry.ReasonCode.Should().Be(reason);
        return problem;
    }

    [Fact]
    public async Task Prosoz_asks_whether_the_person_already_receives_SGB_XII_benefits_and_gets_the_evidence()
    {
        var response = await AskAsync(Body(), await TokenAsync());

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var answer = await Json(response);
        answer["outcome"]!.GetValue<string>().Should().Be(EvidenceOutcomes.Provided);
        answer["provider"]!.GetValue<string>().Should().Be("sozialamt-of");
        answer["evidence"]!["leistung"]!.GetValue<string>().Should().Be("Grundsicherung im Alter (SGB XII)");
        answer["evidence"]!["aktenzeichen"]!.GetValue<string>().Should().Be("50.2-SH-2023-0815");
        answer["document"]!["mediaType"]!.GetValue<string>().Should().Be("application/pdf");
        Convert.FromBase64String(answer["document"]!["content"]!.GetValue<string>()).Should().Equal("%PDF-1.7"u8.ToArray());

        var requestId = Guid.Parse(answer["requestId"]!.GetValue<string>());
        hub.Provider.Calls.Should().Contain(c => c.Request.RequestId == requestId && c.Provider == "sozialamt-of" && c.Request.RequesterArs == HubFixture.Offenbach);
        var entry = hub.Protocol.Single(requestId);
        entry.Should().BeEquivalentTo(new
        {
            RequesterArs = HubFixture.Offenbach, RequesterAuthority = "Sozialamt Offenbach", RequesterProcedure = "Prosoz SGB XII",
            EvidenceType = EvidenceTypes.Leistungsbezug, Purpose = "Antrag auf Grundsicherung SH-2026-0107", LegalBasis = "§ 118 Abs. 1 SGB XII",
            Outcome = EvidenceOutcomes.Provided, Provider = "sozialamt-of", PersonPseudonym = hub.Protocol.PseudonymOf(new PersonReference(IdNr)),
        });
        JsonSerializer.Serialize(entry).Should().NotContain(IdNr);
    }

    // ----- consent: only as the citizen gave it in an application -----

    /// <summary>An application to Offenbach, accepted by the hub; its einwilligung covers MELDEDATEN and LEISTUNGSBEZUG (Sozialhilfe) or MELDEDATEN and EINKOMMEN (Wohngeld).</summary>
    private async Task<(Guid SubmissionId, RegisteredPerson Applicant)> AcceptedApplicationAsync(int seed, bool wohngeld = false)
    {
        var application = wohngeld
            ? ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: seed)
            : ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: seed);
        var submissionId = (await hub.Sender().SubmitAsync(application, wohngeld ? HubFixture.OffenbachWohngeld : HubFixture.OffenbachSozialhilfe)).SubmissionId!.Value;
        await HubFixture.WaitForAsync(() => hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submissionId)),
            s => s.Status == SubmissionStatus.Accepted);
        return (submissionId, ApplicationApplicant.Of(application).Person);
    }

    private static JsonObject Consent(Guid submissionId, params string[] scope) =>
        new() { ["reference"] = SubmissionConsents.Reference(submissionId), ["scope"] = new JsonArray(scope.Select(t => (JsonNode)t).ToArray()) };

    private async Task<JsonObject> ConsentUnverifiedAsync(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var problem = await Json(response);
        problem["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:evidence-consent-unverified");
        problem["reason"]!.GetValue<string>().Should().Be(EvidenceRefusalReasons.EinwilligungNichtBelegt);
        var requestId = Guid.Parse(problem["requestId"]!.GetValue<string>());
        hub.Protocol.Single(requestId).Outcome.Should().Be(EvidenceOutcomes.Refused, "a refused claim is in the access protocol too");
        hub.Provider.Calls.Should().NotContain(c => c.Request.RequestId == requestId);
        return problem;
    }

    [Fact]
    public async Task The_citizens_consent_in_an_application_suffices_and_a_person_may_be_named_instead_of_the_IDNr()
    {
        var (submissionId, applicant) = await AcceptedApplicationAsync(seed: 1201);
        var body = Body(evidenceType: EvidenceTypes.Meldedaten, legalBasis: null, consent: Consent(submissionId, EvidenceTypes.Meldedaten));
        body["person"] = new JsonObject
        {
            ["familienname"] = applicant.Familienname, ["vorname"] = applicant.Vorname, ["geburtsdatum"] = applicant.Geburtsdatum.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["anschrift"] = new JsonObject { ["strasse"] = "Kaiserstraße", ["hausnummer"] = "8", ["postleitzahl"] = "63065", ["ort"] = "Offenbach am Main" },
        };

        var response = await AskAsync(body, await TokenAsync());

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var requestId = Guid.Parse((await Json(response))["requestId"]!.GetValue<string>());
        hub.Provider.Calls.Single(c => c.Request.RequestId == requestId).Request.Person
            .Should().Be(new PersonReference(null, applicant.Familienname, applicant.Vorname, applicant.Geburtsdatum, "Kaiserstraße", "8", "63065", "Offenbach am Main"));
        var entry = hub.Protocol.Single(requestId);
        entry.ConsentReference.Should().Be($"submission:{submissionId}");
        JsonSerializer.Serialize(entry).Should().NotContain(applicant.Familienname).And.NotContain(applicant.Vorname);
    }

    [Fact]
    public async Task A_consent_the_requester_merely_claims_is_refused_with_its_own_problem()
    {
        var claimed = new JsonObject { ["reference"] = "EINW-2026-0042", ["scope"] = new JsonArray(EvidenceTypes.Meldedaten) };

        await ConsentUnverifiedAsync(await AskAsync(Body(evidenceType: EvidenceTypes.Meldedaten, legalBasis: null, consent: claimed), await TokenAsync()));
        await ConsentUnverifiedAsync(await AskAsync(Body(evidenceType: EvidenceTypes.Meldedaten, legalBasis: null,
            consent: Consent(Guid.NewGuid(), EvidenceTypes.Meldedaten)), await TokenAsync()));
    }

    [Fact]
    public async Task A_citizens_consent_does_not_cover_another_person()
    {
        var (submissionId, _) = await AcceptedApplicationAsync(seed: 1203);

        await ConsentUnverifiedAsync(await AskAsync(Body(evidenceType: EvidenceTypes.Meldedaten, legalBasis: null,
            consent: Consent(submissionId, EvidenceTypes.Meldedaten), idNr: IdNr), await TokenAsync()));
    }

    [Fact]
    public async Task Without_legal_basis_and_without_consent_the_lookup_is_refused()
    {
        var problem = await RefusalAsync(await AskAsync(Body(legalBasis: null), await TokenAsync()), "KEINE_RECHTSGRUNDLAGE");

        problem["refusedBy"]!.GetValue<string>().Should().Be("hub");
        hub.Provider.Calls.Should().NotContain(c => c.Request.RequestId == Guid.Parse(problem["requestId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Consent_that_does_not_cover_the_type_is_refused_as_missing_consent_whatever_scope_the_requester_claims()
    {
        // The Wohngeld application's einwilligung covers MELDEDATEN and EINKOMMEN, not LEISTUNGSBEZUG.
        var (submissionId, applicant) = await AcceptedApplicationAsync(seed: 1202, wohngeld: true);

        await RefusalAsync(await AskAsync(Body(legalBasis: null, consent: Consent(submissionId, EvidenceTypes.Leistungsbezug), idNr: applicant.IdNr!),
            await TokenAsync()), "EINWILLIGUNG_FEHLT");
    }

    [Fact]
    public async Task Without_a_purpose_the_lookup_is_refused()
    {
        await RefusalAsync(await AskAsync(Body(purpose: " "), await TokenAsync()), "ZWECK_FEHLT");
    }

    [Fact]
    public async Task A_requester_of_one_municipality_gets_nothing_about_cases_of_another()
    {
        var problem = await RefusalAsync(await AskAsync(Body(evidenceType: EvidenceTypes.Meldedaten, municipality: HubFixture.Darmstadt, legalBasis: "§ 23 Abs. 3 WoGG"), await TokenAsync()),
            "ANDERE_KOMMUNE");

        hub.Protocol.Single(Guid.Parse(problem["requestId"]!.GetValue<string>())).RequesterArs.Should().Be(HubFixture.Offenbach);
    }

    [Fact]
    public async Task A_requester_whose_role_does_not_allow_the_type_is_refused()
    {
        await RefusalAsync(await AskAsync(Body(municipality: HubFixture.Darmstadt), await TokenAsync(EvidenceHubFixture.WohngeldDarmstadt)), "ROLLE_NICHT_BERECHTIGT");
    }

    [Fact]
    public async Task A_type_without_a_provider_in_the_municipality_is_refused()
    {
        // The Sozialamt's role allows Einkommen, but Offenbach has no income register configured.
        await RefusalAsync(await AskAsync(Body(evidenceType: EvidenceTypes.Einkommen), await TokenAsync()), "KEIN_ANBIETER");
    }

    [Fact]
    public async Task A_legal_basis_configured_for_another_municipalitys_provider_does_not_count()
    {
        await RefusalAsync(await AskAsync(Body(evidenceType: EvidenceTypes.Meldedaten, municipality: HubFixture.Darmstadt, legalBasis: "§ 67a Abs. 1 SGB X"),
            await TokenAsync(EvidenceHubFixture.WohngeldDarmstadt)), "KEINE_RECHTSGRUNDLAGE");
    }

    [Fact]
    public async Task A_legal_basis_of_the_municipalitys_provider_not_configured_for_this_requester_does_not_count()
    {
        // Offenbach's Melderegister may be asked under § 23 WoGG (by the Wohngeldstelle); the Sozialamt has § 67a SGB X only.
        var problem = await RefusalAsync(await AskAsync(Body(evidenceType: EvidenceTypes.Meldedaten, legalBasis: "§ 23 Abs. 3 WoGG"), await TokenAsync()),
            "KEINE_RECHTSGRUNDLAGE");
        problem["detail"]!.GetValue<string>().Should().Contain("this requester");
    }

    [Fact]
    public async Task Without_a_token_the_api_answers_401()
    {
        var response = await AskAsync(Body(), token: null);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await Json(response))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:unauthorized");
        response.Headers.WwwAuthenticate.ToString().Should().Contain("invalid_token");
    }

    [Fact]
    public async Task A_sender_token_does_not_open_the_evidence_api_and_a_requester_token_does_not_open_the_submission_api()
    {
        var senderTokenResponse = await _http.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = HubFixture.ClientId, ["client_secret"] = hub.ClientSecret,
        }));
        var senderToken = (await Json(senderTokenResponse))["access_token"]!.GetValue<string>();

        (await AskAsync(Body(), senderToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var submission = new HttpRequestMessage(HttpMethod.Post, "/v1/submissions")
        {
            Content = JsonContent.Create(new { destinationId = HubFixture.OffenbachSozialhilfe, serviceType = new { identifier = "urn:de:fim:leika:leistung:99079005000000" } }),
        };
        submission.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync());
        (await _http.SendAsync(submission)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        // Nor does a requester get a token at the senders' endpoint, or a sender at the requesters'.
        (await _http.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = EvidenceHubFixture.SozialamtOffenbach, ["client_secret"] = hub.RequesterSecret,
        }))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await _http.PostAsync("/api/v1/evidence/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = HubFixture.ClientId, ["client_secret"] = hub.ClientSecret,
        }))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_provider_outage_is_503_and_protocolled()
    {
        var response = await AskAsync(Body(idNr: EvidenceHubFixture.IdNrOutage), await TokenAsync());

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        var problem = await Json(response);
        problem["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:evidence-provider-unavailable");
        hub.Protocol.Single(Guid.Parse(problem["requestId"]!.GetValue<string>())).Outcome.Should().Be(EvidenceOutcomes.Unavailable);
    }

    [Fact]
    public async Task A_provider_slower_than_the_sync_timeout_is_504_and_protocolled()
    {
        var response = await AskAsync(Body(idNr: EvidenceHubFixture.IdNrSlow), await TokenAsync());

        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        var problem = await Json(response);
        problem["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:evidence-timeout");
        hub.Protocol.Single(Guid.Parse(problem["requestId"]!.GetValue<string>())).Outcome.Should().Be(EvidenceOutcomes.TimedOut);
    }

    [Theory]
    [InlineData("""{"evidenceType":"FUEHRERSCHEIN","purpose":"x","person":{"idNr":"12345678901"},"municipality":"064130000000"}""", "evidenceType must be one of")]
    [InlineData("""{"evidenceType":"MELDEDATEN","purpose":"x","person":{"idNr":"123"},"municipality":"064130000000"}""", "person.idNr must have 11 digits")]
    [InlineData("""{"evidenceType":"MELDEDATEN","purpose":"x","person":{"familienname":"Mustermann"},"municipality":"064130000000"}""", "person needs idNr, or familienname, vorname and geburtsdatum")]
    [InlineData("""{"evidenceType":"MELDEDATEN","purpose":"x","person":{"idNr":"12345678901"},"municipality":"0641"}""", "municipality must be the 12-digit ARS")]
    [InlineData("""{"evidenceType":"MELDEDATEN","purpose":"x","person":{"idNr":"12345678901"},"municipality":"064130000000","consent":{"scope":["MELDEDATEN"]}}""", "consent.reference is required")]
    [InlineData("""[1,2]""", "The body must be a JSON object")]
    public async Task Malformed_requests_get_invalid_request_naming_the_field_but_not_its_value(string json, string detail)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/evidence/requests") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync());

        var response = await _http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await Json(response);
        problem["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:invalid-request");
        problem["detail"]!.GetValue<string>().Should().Contain(detail).And.NotContain("Mustermann");
    }

    // Asynchronous requests: 202, the ledger keeps them, the worker retries, the callback arrives once.

    private async Task<(Guid RequestId, string StatusUrl)> AskAsyncWithCallbackAsync(JsonObject body, string callbackName, string? token = null)
    {
        body["callbackUrl"] = new Uri(hub.CallbackBase, callbackName).ToString();
        var response = await AskAsync(body, token ?? await TokenAsync());
        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var accepted = await Json(response);
        return (Guid.Parse(accepted["requestId"]!.GetValue<string>()), accepted["statusUrl"]!.GetValue<string>());
    }

    private async Task<JsonObject> StatusAsync(string statusUrl, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, statusUrl);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? await TokenAsync());
        var response = await _http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return await Json(response);
    }

    private async Task<ReceivedCallback> CallbackAsync(string name)
    {
        var received = await HubFixture.WaitForAsync(() => Task.FromResult(hub.Callbacks.Where(c => c.Name == name).ToList()), c => c.Count > 0);
        received.Should().NotBeEmpty($"the callback {name} should have arrived; the ledger has {string.Join("; ", await hub.InLedgerAsync(db => db.EvidenceRequests.AsNoTracking().Select(r => r.Status + " " + r.Attempts + "/" + r.CallbackAttempts + " next " + r.NextAttemptAt).ToListAsync()))}");
        // The requester checks the HMAC with the callback secret configured for it; the hash of its client secret (which the
        // hub stores, and anyone reading the configuration knows) is no key.
        new CallbackAuthentication().Verify(hub.CallbackSecret, received[0].Timestamp, received[0].Signature, received[0].Body).Should().Be(CallbackVerdict.Valid);
        var clientSecretHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hub.RequesterSecret)));
        new CallbackAuthentication().Verify(clientSecretHash, received[0].Timestamp, received[0].Signature, received[0].Body).Should().NotBe(CallbackVerdict.Valid);
        return received[0];
    }

    [Fact]
    public async Task With_a_callback_url_the_request_is_accepted_and_the_evidence_arrives_at_the_callback()
    {
        var (requestId, statusUrl) = await AskAsyncWithCallbackAsync(Body(), "provided");

        statusUrl.Should().Be($"/api/v1/evidence/requests/{requestId}");
        var callback = (await CallbackAsync("provided")).Json;
        callback["requestId"]!.GetValue<string>().Should().Be(requestId.ToString());
        callback["outcome"]!.GetValue<string>().Should().Be(EvidenceOutcomes.Provided);
        callback["evidence"]!["aktenzeichen"]!.GetValue<string>().Should().Be("50.2-SH-2023-0815");

        var status = await HubFixture.WaitForAsync(() => StatusAsync(statusUrl), s => s["status"]!.GetValue<string>() == "Delivered");
        status["outcome"]!.GetValue<string>().Should().Be(EvidenceOutcomes.Provided);
        var record = await hub.InLedgerAsync(db => db.EvidenceRequests.AsNoTracking().SingleAsync(r => r.Id == requestId));
        record.ProtectedRequest.Should().BeNull("a finished request keeps no personal data");
        record.ProtectedResult.Should().BeNull("the result is kept only until the callback took it");
        hub.Protocol.Single(requestId).Outcome.Should().Be(EvidenceOutcomes.Provided);
    }

    [Fact]
    public async Task During_a_provider_outage_the_request_is_retried_until_the_provider_is_back_and_the_callback_arrives_once()
    {
        hub.Provider.OutagesLeft = 2;
        var (requestId, statusUrl) = await AskAsyncWithCallbackAsync(Body(idNr: EvidenceHubFixture.IdNrFlaky), "outage");

        var record = await hub.InLedgerAsync(db => db.EvidenceRequests.AsNoTracking().SingleAsync(r => r.Id == requestId));
        (record.ProtectedRequest ?? "").Should().NotContain(EvidenceHubFixture.IdNrFlaky, "the stored request is encrypted");

        (await CallbackAsync("outage")).Json["outcome"]!.GetValue<string>().Should().Be(EvidenceOutcomes.Provided);
        var status = await HubFixture.WaitForAsync(() => StatusAsync(statusUrl), s => s["status"]!.GetValue<string>() == "Delivered");
        status["attempts"]!.GetValue<int>().Should().Be(3);
        hub.Protocol.Entries.Where(e => e.RequestId == requestId).Select(e => e.Outcome)
            .Should().Equal(EvidenceOutcomes.Unavailable, EvidenceOutcomes.Unavailable, EvidenceOutcomes.Provided);
        await Task.Delay(500);
        hub.Callbacks.Count(c => c.Name == "outage").Should().Be(1);
    }

    [Fact]
    public async Task A_failing_callback_is_retried_and_the_result_delivered_once()
    {
        hub.CallbackFailuresLeft["flaky-callback"] = 2;
        var (_, statusUrl) = await AskAsyncWithCallbackAsync(Body(), "flaky-callback");

        await CallbackAsync("flaky-callback");
        var status = await HubFixture.WaitForAsync(() => StatusAsync(statusUrl), s => s["status"]!.GetValue<string>() == "Delivered");
        status["callbackAttempts"]!.GetValue<int>().Should().Be(3);
        await Task.Delay(500);
        hub.Callbacks.Count(c => c.Name == "flaky-callback").Should().Be(1);
    }

    [Fact]
    public async Task A_refusal_by_the_rules_is_answered_at_once_even_with_a_callback_url()
    {
        var body = Body(legalBasis: null);
        body["callbackUrl"] = new Uri(hub.CallbackBase, "refused").ToString();

        await RefusalAsync(await AskAsync(body, await TokenAsync()), "KEINE_RECHTSGRUNDLAGE");
        await Task.Delay(300);
        hub.Callbacks.Should().NotContain(c => c.Name == "refused");
    }

    [Fact]
    public async Task Only_the_requester_that_asked_can_read_the_status()
    {
        var (_, statusUrl) = await AskAsyncWithCallbackAsync(Body(), "own-status");

        var request = new HttpRequestMessage(HttpMethod.Get, statusUrl);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(EvidenceHubFixture.WohngeldDarmstadt));
        var response = await _http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Json(response))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:evidence-request-not-found");
    }

    [Theory]
    [InlineData("https://collector.example/callbacks/x", EvidenceHubFixture.SozialamtOffenbach, "not on this requester's callback origins")]
    [InlineData("http://169.254.169.254/latest/meta-data", EvidenceHubFixture.SozialamtOffenbach, "must be https (http only on a loopback host)")]
    [InlineData("http://127.0.0.1:1/callbacks/x", EvidenceHubFixture.SozialamtOffenbach, "not on this requester's callback origins")]
    [InlineData(null, EvidenceHubFixture.WohngeldDarmstadt, "no callback secret")]
    public async Task A_callback_url_off_the_requesters_allow_list_is_refused_and_nothing_is_stored(string? url, string clientId, string detail)
    {
        var body = Body(evidenceType: EvidenceTypes.Meldedaten, legalBasis: clientId == EvidenceHubFixture.WohngeldDarmstadt ? "§ 23 Abs. 3 WoGG" : "§ 67a Abs. 1 SGB X",
            municipality: clientId == EvidenceHubFixture.WohngeldDarmstadt ? HubFixture.Darmstadt : HubFixture.Offenbach);
        // Darmstadt's requester names the very receiver Offenbach's may use: the allow-list is per requester.
        body["callbackUrl"] = url ?? new Uri(hub.CallbackBase, "darmstadt").ToString();
        var before = await hub.InLedgerAsync(db => db.EvidenceRequests.CountAsync());

        var response = await AskAsync(body, await TokenAsync(clientId));

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var problem = await Json(response);
        problem["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:evidence-callback-not-allowed");
        problem["detail"]!.GetValue<string>().Should().Contain(detail);
        (await hub.InLedgerAsync(db => db.EvidenceRequests.CountAsync())).Should().Be(before);
    }

    [Fact]
    public async Task A_callback_url_that_is_not_an_absolute_http_url_is_invalid()
    {
        var body = Body();
        body["callbackUrl"] = "file:///etc/passwd";

        var response = await AskAsync(body, await TokenAsync());

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Json(response))["detail"]!.GetValue<string>().Should().Contain("callbackUrl");
    }
}
