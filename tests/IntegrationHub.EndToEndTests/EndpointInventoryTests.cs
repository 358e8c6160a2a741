using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Operations.Access;
using IntegrationHub.Problems;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// Every endpoint the hub maps, read from its EndpointDataSource: each is on the anonymous allow-list or refuses a
/// caller without credentials (401 problem, or for console pages a redirect to the sign-in page). A new endpoint
/// that forgets its authentication fails here. Operations endpoints that need more than the reader role refuse a reader.
/// </summary>
[Collection(AccessCollection.Name)]
public sealed class EndpointInventoryTests(AccessHubFixture hub, ITestOutputHelper output)
{
    /// <summary>Anonymous on purpose: "METHOD pattern" as the route table has it.</summary>
    private static readonly HashSet<string> Anonymous =
    [
        "GET /health/live", "GET /health/ready",                                  // probes
        "GET /openapi/{documentName}.json",                                       // the intake API's description
        "GET /.well-known/jwks.json",                                             // the key that signs events and tokens
        "GET /v1/destinations/{destinationId:guid}",                              // FIT-Connect: public destination info
        "GET /v1/destinations/{destinationId:guid}/keys/{keyId}",                 // and its public encryption keys
        "GET /api/v1/delivery-services/{service}/destinations/{destinationId:guid}/signing-key", // public key to register at FITKO
        "POST /token", "POST /api/v1/evidence/token",                             // the token endpoints (they check client credentials)
        "GET /ops/login", "POST /ops/login", "GET /ops/denied",                   // the console's sign-in page
    ];

    /// <summary>Sample values for route parameters; an unknown parameter fails the test until it gets one here.</summary>
    private static readonly Dictionary<string, string> Samples = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ars"] = HubFixture.Offenbach,
        ["target"] = "prosoz",
        ["service"] = AccessHubFixture.DeliveryServiceName,
        ["documentName"] = "v1",
        ["pseudonym"] = "pseudonym-unknown",
        ["keyId"] = "no-such-kid",
        ["kid"] = "no-such-kid",
    };

    [Fact]
    public async Task Every_endpoint_is_on_the_anonymous_allow_list_or_refuses_callers_without_credentials()
    {
        var endpoints = Endpoints();
        endpoints.Should().HaveCountGreaterThan(40, "the inventory reads the hub's whole route table");
        endpoints.Select(e => e.Key).Should().Contain(Anonymous, "the allow-list names only endpoints that exist");

        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = hub.BaseAddress };
        var failures = new List<string>();
        foreach (var endpoint in endpoints)
        {
            using var response = await client.SendAsync(Request(endpoint));
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{endpoint.Key} -> {status}");
            if (status >= 500) failures.Add($"{endpoint.Key}: {status} {body}");
            else if (Anonymous.Contains(endpoint.Key)) continue;
            else if (endpoint.Pattern.StartsWith("/ops", StringComparison.Ordinal))
            {
                if (status != 302 || response.Headers.Location?.ToString().Contains(OperatorAuthentication.LoginPath) != true)
                    failures.Add($"{endpoint.Key}: {status} (expected a redirect to {OperatorAuthentication.LoginPath})");
            }
            else if (status != 401 || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                failures.Add($"{endpoint.Key}: {status} {response.Content.Headers.ContentType?.MediaType} (expected a 401 problem)");
        }
        failures.Should().BeEmpty();
    }

    [Fact]
    public async Task Operations_endpoints_that_need_operator_or_admin_refuse_a_reader_with_a_problem()
    {
        var restricted = Endpoints().Where(e => e.Pattern.StartsWith("/api/v1/operations", StringComparison.Ordinal)
            && e.Policy is OperatorAuthentication.OperatorPolicy or OperatorAuthentication.AdminPolicy).ToList();
        restricted.Should().HaveCountGreaterThan(10);

        using var reader = hub.Operations(AccessHubFixture.ReaderKey);
        var failures = new List<string>();
        foreach (var endpoint in restricted)
        {
            using var response = await reader.SendAsync(Request(endpoint));
            var text = await response.Content.ReadAsStringAsync();
            var type = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? JsonNode.Parse(text)?["type"]?.GetValue<string>() : null;
            if (response.StatusCode != HttpStatusCode.Forbidden || type != ProblemTypes.OperatorForbidden.Uri)
                failures.Add($"{endpoint.Key}: {(int)response.StatusCode} {type}");
        }
        failures.Should().BeEmpty();
    }

    [Fact]
    public async Task Console_actions_that_need_an_operator_send_a_signed_in_reader_to_the_denied_page()
    {
        var restricted = Endpoints().Where(e => e.Pattern.StartsWith("/ops/", StringComparison.Ordinal)
            && e.Policy is OperatorAuthentication.OperatorPolicy or OperatorAuthentication.AdminPolicy).ToList();
        restricted.Should().NotBeEmpty();

        using var session = new ConsoleSession(hub.BaseAddress);
        (await session.LoginAsync(AccessHubFixture.ReaderKey)).StatusCode.Should().Be(HttpStatusCode.Redirect);
        foreach (var endpoint in restricted)
        {
            // Authorization comes before the form's antiforgery check: no token needed to be refused.
            using var response = await session.PostAsync("/ops", Path(endpoint), [], withToken: false);
            response.StatusCode.Should().Be(HttpStatusCode.Redirect, endpoint.Key);
            response.Headers.Location!.ToString().Should().Contain("/ops/denied", endpoint.Key);
        }
    }

    private sealed record Inventoried(string Method, string Pattern, RoutePattern Route, string? Policy)
    {
        public string Key => $"{Method} {Pattern}";
    }

    private List<Inventoried> Endpoints() =>
        hub.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => new Inventoried(m, "/" + e.RoutePattern.RawText!.TrimStart('/'), e.RoutePattern,
                    e.Metadata.GetOrderedMetadata<IAuthorizeData>().LastOrDefault()?.Policy)))
            .DistinctBy(e => e.Key).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();

    private static HttpRequestMessage Request(Inventoried endpoint)
    {
        var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), Path(endpoint));
        if (endpoint.Method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        return request;
    }

    /// <summary>The pattern with a sample value for each parameter: a fresh GUID for ids, 1 for numbers.</summary>
    private static string Path(Inventoried endpoint)
    {
        var path = new StringBuilder();
        foreach (var segment in endpoint.Route.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart parameter => Sample(endpoint, parameter),
                    _ => throw new InvalidOperationException($"{endpoint.Key}: unexpected route part"),
                });
        }
        return path.ToString();
    }

    private static string Sample(Inventoried endpoint, RoutePatternParameterPart parameter)
    {
        var constraints = parameter.ParameterPolicies.Select(p => p.Content).ToList();
        if (constraints.Contains("int")) return "1";
        if (Samples.TryGetValue(parameter.Name, out var sample)) return sample;
        if (constraints.Contains("guid") || parameter.Name == "id" || parameter.Name.EndsWith("Id", StringComparison.Ordinal)) return Guid.NewGuid().ToString();
        throw new InvalidOperationException($"{endpoint.Key}: give route parameter '{parameter.Name}' a sample value in {nameof(Samples)}.");
    }
}
