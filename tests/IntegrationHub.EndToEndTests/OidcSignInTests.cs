using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub trusting an OIDC provider's tokens for the operations API (its public key as a PEM file).</summary>
public sealed class OidcHubFixture : HubFixture
{
    public const string Issuer = "https://idp.kommunal-it.example/realms/hub";
    public const string Audience = "integrationhub-operations";
    public RSA ProviderKey { get; } = RSA.Create(2048);
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"oidc-{Guid.NewGuid():N}.pem");

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators)
    {
        File.WriteAllText(_keyFile, ProviderKey.ExportSubjectPublicKeyInfoPem());
        return new Dictionary<string, string>
        {
            ["Hub:Operations:Oidc:Issuer"] = Issuer,
            ["Hub:Operations:Oidc:Audience"] = Audience,
            ["Hub:Operations:Oidc:SigningKeyFiles:0"] = _keyFile,
        };
    }

    /// <summary>A token as the provider would issue it; each part can be made wrong.</summary>
    public string Token(string name, string[] roles, string[]? ars = null, string audience = Audience, RSA? signer = null, TimeSpan? validFor = null)
    {
        var claims = new Dictionary<string, object> { ["preferred_username"] = name, ["roles"] = roles };
        if (ars is not null) claims["ars"] = ars;
        var now = DateTime.UtcNow;
        var lifetime = validFor ?? TimeSpan.FromMinutes(5);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = now + lifetime - TimeSpan.FromMinutes(10),
            NotBefore = now + lifetime - TimeSpan.FromMinutes(10),
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signer ?? ProviderKey), SecurityAlgorithms.RsaSha256),
        });
    }

    public HttpClient Client(string token)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
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
