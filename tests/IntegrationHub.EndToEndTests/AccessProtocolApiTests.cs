using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.OnceOnly;
using IntegrationHub.OnceOnly.Protocol;
using IntegrationHub.Simulators;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub with the access protocol's query API enabled (an API key) and a configured protocol key.</summary>
public sealed class AccessProtocolHubFixture : HubFixture
{
    public string ProtocolApiKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
    [
        new("Hub:OnceOnly:ProtocolApiKeySha256", Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ProtocolApiKey)))),
        new("Hub:OnceOnly:ProtocolKey", "end-to-end-protocol-key"),
    ];
}

/// <summary>A citizen's Datenschutzcockpit reads the access protocol per person, by pseudonym or by the person's data.</summary>
public sealed class AccessProtocolApiTests(AccessProtocolHubFixture hub) : IClassFixture<AccessProtocolHubFixture>
{
    private IAccessProtocol Protocol => hub.Factory.Services.GetRequiredService<IAccessProtocol>();

    private HttpClient Cockpit(string? apiKey = "")
    {
        var client = hub.Factory.CreateClient();
        if (apiKey is not null) client.DefaultRequestHeaders.Add(AccessProtocolApi.ApiKeyHeader, apiKey.Length == 0 ? hub.ProtocolApiKey : apiKey);
        return client;
    }

    // A fresh IDNr per test: the fixture's ledger is shared by the class's tests.
    private static string NewIdNr() => "1" + string.Concat(Enumerable.Range(0, 10).Select(_ => RandomNumberGenerator.GetInt32(10)));

    private async Task<List<AccessProtocolEntry>> ProtocolLookupsAsync(PersonReference person)
    {
        var pseudonym = Protocol.PseudonymOf(person);
        var entries = new List<AccessProtocolEntry>
        {
            new(DateTimeOffset.UtcNow.AddMinutes(-3), Guid.NewGuid(), HubFixture.Offenbach, "Wohngeldbehörde Offenbach", "hub-validation", pseudonym,
                EvidenceTypes.Meldedaten, "Prüfung der Anschrift im Wohngeldantrag", "§ 23 WoGG", null, EvidenceOutcomes.Provided, null, "melderegister-offenbach"),
            new(DateTimeOffset.UtcNow.AddMinutes(-2), Guid.NewGuid(), HubFixture.Offenbach, "Sozialamt Offenbach", "prosoz", pseudonym,
                EvidenceTypes.Einkommen, "Prüfung Hilfe zum Lebensunterhalt", null, null, EvidenceOutcomes.Refused, "NO_LEGAL_BASIS_OR_CONSENT", null),
            new(DateTimeOffset.UtcNow.AddMinutes(-1), Guid.NewGuid(), HubFixture.Darmstadt, "Sozialamt Darmstadt", "prosoz", pseudonym,
                EvidenceTypes.Leistungsbezug, "Prüfung Hilfe zum Lebensunterhalt", null, "consent-4711", EvidenceOutcomes.TimedOut, null, "sozialamt-offenbach"),
        };
        foreach (var entry in entries) await Protocol.AppendAsync(entry, default);
        return entries;
    }

    [Fact]
    public async Task A_persons_entries_are_listed_by_pseudonym_newest_first_and_paged()
    {
        var person = new PersonReference(NewIdNr());
        var entries = await ProtocolLookupsAsync(person);
        await ProtocolLookupsAsync(new PersonReference(NewIdNr())); // someone else's, not listed
        var pseudonym = Protocol.PseudonymOf(person);

        var page = await Cockpit().GetFromJsonAsync<ProtocolPage>($"/api/v1/protocol/persons/{pseudonym}");

        page!.Pseudonym.Should().Be(pseudonym);
        page.Total.Should().Be(3);
        page.Entries.Select(e => e.RequestId).Should().Equal(entries.Select(e => e.RequestId).Reverse());
        page.Entries.Select(e => e.Sequence).Should().BeInDescendingOrder();
        var refused = page.Entries[1];
        refused.Should().BeEquivalentTo(new
        {
            RequesterArs = HubFixture.Offenbach,
            RequesterAuthority = "Sozialamt Offenbach",
            RequesterProcedure = "prosoz",
            EvidenceType = EvidenceTypes.Einkommen,
            Purpose = "Prüfung Hilfe zum Lebensunterhalt",
            LegalBasis = (string?)null,
            ConsentReference = (string?)null,
            Outcome = EvidenceOutcomes.Refused,
            ReasonCode = "NO_LEGAL_BASIS_OR_CONSENT",
            Provider = (string?)null,
        });
        refused.At.Should().BeCloseTo(entries[1].At, TimeSpan.FromMilliseconds(1));

        var second = await Cockpit().GetFromJsonAsync<ProtocolPage>($"/api/v1/protocol/persons/{pseudonym}?offset=1&limit=1");
        second!.Total.Should().Be(3);
        second.Entries.Should().ContainSingle().Which.RequestId.Should().Be(entries[1].RequestId);
    }

    [Fact]
    public async Task The_cockpit_looks_a_person_up_by_IDNr_or_by_name_and_birth_date_without_knowing_the_pseudonym()
    {
        var idNr = NewIdNr();
        var byIdNr = await ProtocolLookupsAsync(new PersonReference(idNr));
        var byName = await ProtocolLookupsAsync(new PersonReference(null, "Yılmaz", "Ayşe", new DateOnly(1975, 6, 2)));

        var response = await Cockpit().PostAsJsonAsync("/api/v1/protocol/persons/lookup", new { idNr });
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var page = await response.Content.ReadFromJsonAsync<ProtocolPage>();
        page!.Entries.Select(e => e.RequestId).Should().Equal(byIdNr.Select(e => e.RequestId).Reverse());

        response = await Cockpit().PostAsJsonAsync("/api/v1/protocol/persons/lookup",
            new { familienname = " yılmaz", vorname = "AYŞE", geburtsdatum = "1975-06-02" });
        page = await response.Content.ReadFromJsonAsync<ProtocolPage>();
        page!.Entries.Select(e => e.RequestId).Should().Contain(byName.Select(e => e.RequestId));

        response = await Cockpit().PostAsJsonAsync("/api/v1/protocol/persons/lookup", new { idNr = NewIdNr() });
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<ProtocolPage>())!.Entries.Should().BeEmpty("nobody looked this person up");

        // What the cockpit sees is what the chain holds: the protocol still verifies.
        var output = new StringWriter();
        (await hub.Factory.Services.VerifyAccessProtocolAsync(output)).Should().Be(0, output.ToString());
    }

    [Fact]
    public async Task Without_the_right_API_key_the_protocol_answers_401_unauthorized()
    {
        var pseudonym = Protocol.PseudonymOf(new PersonReference(NewIdNr()));

        foreach (var client in new[] { Cockpit(apiKey: null), Cockpit(apiKey: "wrong-key") })
        {
            var get = await client.GetAsync($"/api/v1/protocol/persons/{pseudonym}");
            get.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await get.Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:unauthorized");
            var post = await client.PostAsJsonAsync("/api/v1/protocol/persons/lookup", new { idNr = NewIdNr() });
            post.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }
    }

    [Fact]
    public async Task An_incomplete_person_or_a_bad_page_is_a_specific_problem()
    {
        var response = await Cockpit().PostAsJsonAsync("/api/v1/protocol/persons/lookup", new { familienname = "Müller", geburtsdatum = "1980-01-31" });
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        problem!["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:person-reference-invalid");
        problem["detail"]!.GetValue<string>().Should().NotContain("Müller", "problems never echo personal data");

        response = await Cockpit().GetAsync($"/api/v1/protocol/persons/{Protocol.PseudonymOf(new PersonReference(NewIdNr()))}?limit=0");
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>().Should().Be("urn:integrationhub:problem:invalid-request");
    }
}
