using IntegrationHub.Intake;
using IntegrationHub.Problems;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// Access tokens of evidence requesters (OAuth2 client_credentials at /api/v1/evidence/token), signed PS512 with the
/// hub's key like sender tokens but for another audience: neither kind of token opens the other's API.
/// </summary>
public sealed class EvidenceAccessTokens(KeyStore keys, IOptions<HubOptions> options)
    : HubAccessTokens(keys, options, Audience, Scope)
{
    public const string Audience = "integrationhub:evidence-api";
    public const string Scope = "evidence:request";

    public string Issue(string clientId) => Issue(clientId, Scope);
}

/// <summary>Endpoint filter: a valid requester token of a still registered requester; the requester is put on the request.</summary>
public sealed class RequireRequesterToken(EvidenceAccessTokens tokens, EvidenceRequesters requesters) : IEndpointFilter
{
    private const string RequesterItem = "integrationhub.evidence-requester";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        var clientId = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? await tokens.ValidateAsync(header["Bearer ".Length..].Trim())
            : null;
        if (clientId is null || requesters.Find(clientId) is not { } requester)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return ProblemResults.Problem(ProblemTypes.Unauthorized, "Send a valid access token from /api/v1/evidence/token as 'Authorization: Bearer'.");
        }
        http.Items[RequesterItem] = requester;
        return await next(context);
    }

    public static EvidenceRequester RequesterOf(HttpContext http) => (EvidenceRequester)http.Items[RequesterItem]!;
}

/// <summary>The requesters' OAuth2 token endpoint (client_credentials; credentials in the form or as HTTP Basic).</summary>
internal static class EvidenceTokenEndpoint
{
    public static async Task<IResult> IssueAsync(HttpRequest request, EvidenceRequesters requesters, EvidenceAccessTokens tokens)
    {
        var (clientId, secret, problem) = await TokenEndpoint.ReadClientCredentialsAsync(request);
        if (problem is not null) return problem;
        if (requesters.Authenticate(clientId, secret) is not { } requester)
            return TokenEndpoint.OAuthProblem(ProblemTypes.InvalidClient, "invalid_client", "Unknown requester or wrong secret.");
        return Results.Json(new
        {
            access_token = tokens.Issue(requester.ClientId),
            token_type = "Bearer",
            expires_in = (int)tokens.Lifetime.TotalSeconds,
            scope = EvidenceAccessTokens.Scope,
        });
    }
}
