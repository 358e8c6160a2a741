using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Ledger;
using IntegrationHub.OnceOnly;
using IntegrationHub.OnceOnly.Protocol;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Evidence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub with Offenbach's Sozialamt asking the simulated registers in XNachweis style, and the real access protocol.</summary>
public sealed class OnceOnlyHubFixture : HubFixture
{
    public const string Requester = "prosoz-sgb12-of";
    public string RequesterSecret { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
    public string ProtocolApiKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) => new Dictionary<string, string>
    {
        ["Hub:Targets:sozialamt-of:Kind"] = "EvidenceProvider",
        ["Hub:Targets:sozialamt-of:BaseUrl"] = new Uri(simulators.BaseAddress, "evidence/sozialamt/").ToString(),
        ["Hub:Targets:sozialamt-of:Timeout"] = "00:00:05",
        ["Hub:Tenants:0:Evidence:Providers:0:Type"] = EvidenceTypes.Leistungsbezug,
        ["Hub:Tenants:0:Evidence:Providers:0:Target"] = "sozialamt-of",
        ["Hub:Tenants:0:Evidence:Providers:0:LegalBases:0"] = "§ 118 Abs. 1 SGB XII",
        ["Hub:EvidenceRequesters:0:ClientId"] = Requester,
        ["Hub:EvidenceRequesters:0:SecretSha256"] = Sha256Hex(RequesterSecret),
        ["Hub:EvidenceRequesters:0:Ars"] = Offenbach,
        ["Hub:EvidenceRequesters:0:Authority"] = "Sozialamt Offenbach",
        ["Hub:EvidenceRequesters:0:Procedure"] = "Prosoz SGB XII",
        ["Hub:EvidenceRequesters:0:EvidenceTypes:0"] = EvidenceTypes.Leistungsbezug,
        ["Hub:EvidenceRequesters:0:LegalBases:LEISTUNGSBEZUG:0"] = "§ 118 Abs. 1 SGB XII",
        ["Hub:OnceOnly:ProtocolApiKeySha256"] = Sha256Hex(ProtocolApiKey),
    };

    private static string Sha256Hex(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}

/// <summary>
/// A Prosoz-like procedure asks, through the hub, whether a person already receives SGB XII benefits: answered from the
/// simulated Sozialamt in XNachweis style; refused without legal basis or consent and across municipalities; a provider
/// outage is a clear 503; and the access protocol lists every one of these for the person and fails verification once a
/// row is altered in the database.
/// </summary>
public sealed class OnceOnlyFlowTests(OnceOnlyHubFixture hub) : IClassFixture<OnceOnlyHubFixture>
{
    private static readonly RegisteredPerson Horst = EvidenceDefaults.HorstBeispiel;

    [Fact]
    public async Task Benefit_lookups_are_answered_refused_or_unavailable_and_every_one_is_in_a_tamper_evident_protocol()
    {
        using var http = hub.Factory.CreateClient();
        var token = await TokenAsync(http);

        // Does Horst Beispiel already receive Grundsicherung? The Sozialamt's register says so, with its Aktenzeichen.
        var answered = await AskAsync(http, token, legalBasis: "§ 118 Abs. 1 SGB XII");
        answered.StatusCode.Should().Be(HttpStatusCode.OK);
        var evidence = (await answered.Content.ReadFromJsonAsync<JsonObject>())!["evidence"]!;
        evidence["laufend"]!.GetValue<string>().Should().Be("true");
        evidence["aktenzeichen"]!.GetValue<string>().Should().NotBeNullOrEmpty();
        hub.Simulators.Evidence.Sozialamt.Calls.Should().Contain(c => c.RequesterArs == HubFixture.Offenbach && c.Nachweisart == "LEISTUNGSBEZUG");

        (await ReasonAsync(await AskAsync(http, token, legalBasis: null))).Should().Be("KEINE_RECHTSGRUNDLAGE");
        (await ReasonAsync(await AskAsync(http, token, legalBasis: "§ 118 Abs. 1 SGB XII", municipality: HubFixture.Darmstadt))).Should().Be("ANDERE_KOMMUNE");

        hub.Simulators.Evidence.Sozialamt.Faults.OutageFor(TimeSpan.FromMinutes(1));
        try
        {
            (await AskAsync(http, token, legalBasis: "§ 118 Abs. 1 SGB XII")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        }
        finally
        {
            hub.Simulators.Evidence.Sozialamt.Faults.Reset();
        }

        // The citizen's view: every lookup about him, answered or not, newest first.
        using var lookup = new HttpRequestMessage(HttpMethod.Post, "/api/v1/protocol/persons/lookup") { Content = JsonContent.Create(new { idNr = Horst.IdNr }) };
        lookup.Headers.Add("X-Api-Key", hub.ProtocolApiKey);
        var protocol = (await (await http.SendAsync(lookup)).Content.ReadFromJsonAsync<JsonObject>())!;
        protocol["entries"]!.AsArray().Select(e => e!["outcome"]!.GetValue<string>())
            .Should().Equal(EvidenceOutcomes.Unavailable, EvidenceOutcomes.Refused, EvidenceOutcomes.Refused, EvidenceOutcomes.Provided);
        protocol["entries"]!.AsArray().Should().OnlyContain(e => e!["requesterProcedure"]!.GetValue<string>() == "Prosoz SGB XII");
        protocol.ToJsonString().Should().NotContain(Horst.IdNr!).And.NotContain(Horst.Familienname, "the protocol holds a pseudonym, never the person");

        (await VerifyAsync()).Intact.Should().BeTrue();
        var altered = await hub.InLedgerAsync(db => db.AccessProtocol.OrderBy(r => r.Sequence).Select(r => r.Sequence).FirstAsync());
        await hub.InLedgerAsync(db => db.Database.ExecuteSqlAsync($"UPDATE \"AccessProtocol\" SET \"Outcome\" = 'REFUSED' WHERE \"Sequence\" = {altered}"));
        var broken = await VerifyAsync();
        broken.Intact.Should().BeFalse("a row was altered behind the hub's back");
        broken.BrokenAt.Should().Be(altered);
    }

    private Task<ChainVerification> VerifyAsync() => hub.InLedgerAsync(db => AccessProtocolVerifier.VerifyAsync(db));

    private async Task<string> TokenAsync(HttpClient http)
    {
        var response = await http.PostAsync("/api/v1/evidence/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = OnceOnlyHubFixture.Requester, ["client_secret"] = hub.RequesterSecret,
        }));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
    }

    private static async Task<HttpResponseMessage> AskAsync(HttpClient http, string token, string? legalBasis, string municipality = HubFixture.Offenbach)
    {
        var body = new JsonObject
        {
            ["evidenceType"] = EvidenceTypes.Leistungsbezug,
            ["purpose"] = "Prüfung vorrangiger Leistungen im Antrag auf Hilfe zum Lebensunterhalt",
            ["person"] = new JsonObject { ["idNr"] = Horst.IdNr },
            ["municipality"] = municipality,
        };
        if (legalBasis is not null) body["legalBasis"] = legalBasis;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/evidence/requests") { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    private static async Task<string> ReasonAsync(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["reason"]!.GetValue<string>();
    }
}
