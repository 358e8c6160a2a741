using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using IntegrationHub.Intake;
using IntegrationHub.Problems;
using IntegrationHub.Simulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub with tight limits (3 requests per 2-second window) so the tests reach them quickly.</summary>
public sealed class RateLimitHubFixture : HubFixture
{
    public const int Permits = 3;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) => new Dictionary<string, string>
    {
        ["Hub:Limits:RateLimit:PermitLimit"] = Permits.ToString(CultureInfo.InvariantCulture),
        ["Hub:Limits:RateLimit:TokenPermitLimit"] = Permits.ToString(CultureInfo.InvariantCulture),
        ["Hub:Limits:RateLimit:Window"] = Window.ToString("c"),
    };

    /// <summary>A new sender client (its own rate-limit partition) with a valid access token, minted without /token.</summary>
    public HttpClient NewSender()
    {
        var clientId = "efa-rate-" + Guid.NewGuid().ToString("N")[..8];
        Factory.Services.GetRequiredService<SenderClients>().Register(clientId, ClientSecret, [OffenbachWohngeld]);
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            Factory.Services.GetRequiredService<AccessTokens>().Issue(clientId, $"send:destination:{OffenbachWohngeld}"));
        return client;
    }
}

/// <summary>Rate limits per sender client on the submission API and per remote address on the token endpoint: 429 with Retry-After.</summary>
public sealed class RateLimitTests(RateLimitHubFixture hub) : IClassFixture<RateLimitHubFixture>
{
    [Fact]
    public async Task A_sender_over_its_limit_gets_429_with_Retry_After_while_another_client_is_unaffected_and_it_is_admitted_after_the_window()
    {
        using var a = hub.NewSender();
        using var b = hub.NewSender();

        var limited = await UntilLimitedAsync(() => a.GetAsync($"/v1/submissions/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        await ExpectRateLimitedAsync(limited);

        (await b.GetAsync($"/v1/submissions/{Guid.NewGuid()}")).StatusCode.Should().Be(HttpStatusCode.NotFound, "another client has its own budget");
        var again = await AdmittedAgainAsync(() => a.GetAsync($"/v1/submissions/{Guid.NewGuid()}"));
        again.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Forged_tokens_naming_a_client_do_not_spend_that_client_s_budget()
    {
        using var a = hub.NewSender();
        var clientId = new JsonWebToken(a.DefaultRequestHeaders.Authorization!.Parameter).GetClaim("client_id").Value;
        // Unsigned, so invalid: the limiter counts it against the caller's address, never against the client it names.
        var forged = new JsonWebTokenHandler().CreateToken($$"""{"client_id":"{{clientId}}","aud":"{{AccessTokens.Audience}}"}""");
        using var forger = hub.Factory.CreateClient();
        forger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", forged);

        var limited = await UntilLimitedAsync(() => forger.GetAsync($"/v1/submissions/{Guid.NewGuid()}"), HttpStatusCode.Unauthorized);
        await ExpectRateLimitedAsync(limited);
        (await a.GetAsync($"/v1/submissions/{Guid.NewGuid()}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_token_endpoint_limits_each_remote_address_so_secrets_cannot_be_guessed_quickly()
    {
        using var http = hub.Factory.CreateClient();
        Task<HttpResponseMessage> Token(string secret) => http.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = HubFixture.ClientId, ["client_secret"] = secret,
        }));

        var limited = await UntilLimitedAsync(() => Token("guess-" + Guid.NewGuid()), HttpStatusCode.Unauthorized);
        await ExpectRateLimitedAsync(limited);
        (await Token(hub.ClientSecret)).StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "the address is limited, whatever the secret");

        var again = await AdmittedAgainAsync(() => Token(hub.ClientSecret));
        again.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    /// <summary>Sends until the first 429 (every answer before it is <paramref name="before"/>); a window may end on the way.</summary>
    private static async Task<HttpResponseMessage> UntilLimitedAsync(Func<Task<HttpResponseMessage>> send, HttpStatusCode before)
    {
        for (var i = 0; i < 3 * RateLimitHubFixture.Permits; i++)
        {
            var response = await send();
            if (response.StatusCode == HttpStatusCode.TooManyRequests) return response;
            response.StatusCode.Should().Be(before);
        }
        throw new InvalidOperationException($"No 429 after {3 * RateLimitHubFixture.Permits} requests.");
    }

    /// <summary>Sends until an answer other than 429 comes, for at most five windows.</summary>
    private static async Task<HttpResponseMessage> AdmittedAgainAsync(Func<Task<HttpResponseMessage>> send)
    {
        var deadline = DateTime.UtcNow + 5 * RateLimitHubFixture.Window;
        while (true)
        {
            var response = await send();
            if (response.StatusCode != HttpStatusCode.TooManyRequests || DateTime.UtcNow > deadline) return response;
            await Task.Delay(200);
        }
    }

    private static async Task ExpectRateLimitedAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        JsonNode.Parse(text)!["type"]!.GetValue<string>().Should().Be(ProblemTypes.RateLimited.Uri);
        var retryAfter = response.Headers.RetryAfter!.Delta!.Value;
        retryAfter.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1)).And.BeLessThanOrEqualTo(RateLimitHubFixture.Window);
    }
}
