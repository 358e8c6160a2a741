using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Dms;
using IntegrationHub.Simulators.Dms;
using IntegrationHub.Tenancy;
using static IntegrationHub.UnitTests.Adapters.DmsTargetFixture;

namespace IntegrationHub.UnitTests.Adapters;

/// <summary>What the DMS simulator checks before it creates an object, and the Aktenplan mapping's choice.</summary>
public sealed class DmsSimulatorTests(DmsTargetFixture fixture) : IClassFixture<DmsTargetFixture>, IDisposable
{
    private readonly HttpClient _http = new();

    private static string Repository => $"dms/r/{DmsSimulator.DefaultRepositoryId}";

    [Fact]
    public async Task Object_without_its_mandatory_properties_is_refused_with_a_problem()
    {
        using var response = await CreateAsync(new JsonObject
        {
            ["sourceId"] = fixture.Dms.SourceId,
            ["sourceCategory"] = DmsSchema.Akte,
            ["sourceProperties"] = Properties((DmsSchema.FilingKey, "akte:test:" + Guid.NewGuid())),
        });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync()).Should().Contain("missing-properties").And.Contain(DmsSchema.AktenplanKey).And.Contain(DmsSchema.Title);
    }

    [Fact]
    public async Task Vorgang_whose_parent_does_not_exist_is_refused_with_404()
    {
        using var response = await CreateAsync(new JsonObject
        {
            ["sourceId"] = fixture.Dms.SourceId,
            ["sourceCategory"] = DmsSchema.Vorgang,
            ["parentId"] = "A999999999",
            ["sourceProperties"] = Properties((DmsSchema.FilingKey, "vorgang:" + Guid.NewGuid()), (DmsSchema.AktenplanKey, "1"), (DmsSchema.Aktenzeichen, "X-1")),
        });

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().Contain("parent-not-found");
    }

    [Fact]
    public async Task Dokument_without_uploaded_content_is_refused()
    {
        using var response = await CreateAsync(new JsonObject
        {
            ["sourceId"] = fixture.Dms.SourceId,
            ["sourceCategory"] = DmsSchema.Dokument,
            ["filename"] = "a.pdf",
            ["contentLocationUri"] = $"/{Repository}/blob/chunk/unknown",
            ["sourceProperties"] = Properties((DmsSchema.FilingKey, "doc:" + Guid.NewGuid())),
        });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("content-not-found");
    }

    [Fact]
    public async Task Second_object_with_the_same_filing_key_is_refused_with_409_and_found_by_search()
    {
        var key = "akte:test:" + Guid.NewGuid();
        var body = () => new JsonObject
        {
            ["sourceId"] = fixture.Dms.SourceId,
            ["sourceCategory"] = DmsSchema.Akte,
            ["sourceProperties"] = Properties((DmsSchema.FilingKey, key), (DmsSchema.AktenplanKey, "10.01"), (DmsSchema.Title, "Test")),
        };
        using var created = await CreateAsync(body());
        using var again = await CreateAsync(body());
        using var search = await SendAsync(HttpMethod.Get,
            $"{Repository}/srm?sourceid={Uri.EscapeDataString(fixture.Dms.SourceId)}&sourcecategories=%5B%22akte%22%5D&sourceproperties={Uri.EscapeDataString($"{{\"{DmsSchema.FilingKey}\":[\"{key}\"]}}")}");

        created.StatusCode.Should().Be(HttpStatusCode.Created);
        created.Headers.Location!.OriginalString.Should().StartWith($"/{Repository}/o2m/A");
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var items = (await search.Content.ReadFromJsonAsync<JsonObject>())!["items"]!.AsArray();
        items.Should().ContainSingle();
        items[0]!["_links"]!["self"]!["href"]!.GetValue<string>().Should().Be(created.Headers.Location.OriginalString);
    }

    [Fact]
    public async Task Call_without_a_bearer_key_is_refused_with_401()
    {
        using var response = await _http.GetAsync(new Uri(fixture.Server.BaseAddress, Repository));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");
    }

    [Fact]
    public void Aktenplan_mapping_picks_the_most_specific_entry_and_the_first_among_equals()
    {
        var tenant = new TenantOptions
        {
            Ars = "064350014014",
            Aktenplan =
            [
                new AktenplanEntry { Key = "00.01", AkteTitle = "Allgemein" },
                new AktenplanEntry { DocumentType = "Bescheid", Key = "00.02", AkteTitle = "Bescheide" },
                new AktenplanEntry { LeikaKey = "99107004017000", Key = "50.22.01", AkteTitle = "Wohngeld" },
                new AktenplanEntry { LeikaKey = "99107004017000", Key = "50.22.09", AkteTitle = "Wohngeld (zweiter)" },
                new AktenplanEntry { LeikaKey = "99107004017000", DocumentType = "bescheid", Key = "50.22.02", AkteTitle = "Wohngeld Bescheide" },
            ],
        };

        Aktenplans.Resolve(tenant, "99107004017000", "Bescheid").Key.Should().Be("50.22.02");
        Aktenplans.Resolve(tenant, "99107004017000", "Antrag").Key.Should().Be("50.22.01");
        Aktenplans.Resolve(tenant, "99079005000000", "Bescheid").Key.Should().Be("00.02");
        Aktenplans.Resolve(tenant, "99079005000000", "Antrag").Key.Should().Be("00.01");
    }

    private static JsonObject Properties(params (string Key, string Value)[] properties) => new()
    {
        ["properties"] = new JsonArray(properties.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["values"] = new JsonArray(p.Value) }).ToArray()),
    };

    private async Task<HttpResponseMessage> CreateAsync(JsonObject body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Server.BaseAddress, $"{Repository}/o2m")) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return await _http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, new Uri(fixture.Server.BaseAddress, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return await _http.SendAsync(request);
    }

    public void Dispose() => _http.Dispose();
}
