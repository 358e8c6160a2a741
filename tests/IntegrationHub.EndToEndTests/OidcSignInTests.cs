using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub trusting an OIDC provider's tokens for the operations API (its public key as a PEM file).</summary>
public sealed class OidcHubFixture : HubFixture
{
    public OidcProvider Provider { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) => Provider.Settings();

    public string Token(string name, string[] roles, string[]? ars = null, string audience = OidcProvider.Audience, RSA? signer = null,
        TimeSpan? validFor = null) => Provider.Token(name, roles, ars, audience, signer, validFor);

    public HttpClient Client(string token)
    {
        var client = Factory.CreateClient();
        OidcProvider.SignIn(client, token);
        return client;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Provider.Dispose();
    }
}

public sealed class OidcSignInTests(OidcHubFixture hub) : IClassFixture<OidcHubFixture>
{
    private const string Me = "/api/v1/operations/me";

    [Fact]
    public async Task A_providers_token_signs_in_with_the_role_and_municipalities_from_its_claims()
    {
        var me = await hub.Client(hub.Token("m.mueller", ["operator"], [HubFixture.Darmstadt])).GetFromJsonAsync<JsonObject>(Me);

        me!["name"]!.GetValue<string>().Should().Be("m.mueller");
        me["role"]!.GetValue<string>().Should().Be("operator");
        me["municipalities"]!.AsArray().Select(a => a!.GetValue<string>()).Should().Equal(HubFixture.Darmstadt);
        me["mayAct"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public async Task A_token_without_the_municipality_claim_sees_no_municipality_and_only_the_star_grants_all()
    {
        var none = await hub.Client(hub.Token("n.claim", ["admin"])).GetFromJsonAsync<JsonObject>(Me);
        var all = await hub.Client(hub.Token("a.all", ["admin"], ["*"])).GetFromJsonAsync<JsonObject>(Me);

        none!["municipalities"]!.AsArray().Should().BeEmpty("a token that names no municipality grants none, not all");
        all!["municipalities"].Should().BeNull("\"*\" is the explicit value for all municipalities");
    }

    [Fact]
    public async Task The_highest_hub_role_counts_and_other_roles_of_the_provider_are_ignored()
    {
        var me = await hub.Client(hub.Token("a.admin", ["offline_access", "reader", "admin"])).GetFromJsonAsync<JsonObject>(Me);

        me!["role"]!.GetValue<string>().Should().Be("admin");
    }

    [Fact]
    public async Task A_token_without_a_hub_role_is_no_operator()
    {
        var response = await hub.Client(hub.Token("guest", ["offline_access"])).GetAsync(Me);

        response.StatusCode.Should().BeOneOf(HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).Should().Contain("urn:integrationhub:problem:operator-");
    }

    [Theory]
    [InlineData("foreign audience")]
    [InlineData("expired")]
    [InlineData("signed by another key")]
    public async Task A_token_that_does_not_verify_is_refused_401(string what)
    {
        var token = what switch
        {
            "foreign audience" => hub.Token("m.mueller", ["admin"], audience: "another-api"),
            "expired" => hub.Token("m.mueller", ["admin"], validFor: TimeSpan.FromMinutes(-5)),
            _ => hub.Token("m.mueller", ["admin"], signer: RSA.Create(2048)),
        };

        var response = await hub.Client(token).GetAsync(Me);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await response.Content.ReadAsStringAsync()).Should().Contain("urn:integrationhub:problem:operator-unauthenticated");
    }
}
