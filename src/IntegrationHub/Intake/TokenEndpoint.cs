using System.Text;
using IntegrationHub.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IntegrationHub.Intake;

/// <summary>OAuth2 token endpoint (client_credentials) for registered sender clients.</summary>
public static class TokenEndpoint
{
    public static void MapTokenEndpoint(this IEndpointRouteBuilder app) =>
        app.MapPost("/token", IssueAsync).WithTags("Authentication").DisableAntiforgery().RequireRateLimiting(RateLimits.TokenPolicy);

    private static async Task<IResult> IssueAsync(HttpRequest request, SenderClients clients, AccessTokens tokens)
    {
        var (clientId, secret, problem) = await ReadClientCredentialsAsync(request);
        if (problem is not null) return problem;

        var client = clients.Authenticate(clientId, secret);
        if (client is null)
            return OAuthProblem(ProblemTypes.InvalidClient, "invalid_client", "Unknown client or wrong secret.");

        var scope = string.Join(' ', client.Destinations.Select(d => $"send:destination:{d}"));
        return Results.Json(new
        {
            access_token = tokens.Issue(client.ClientId, scope),
            token_type = "Bearer",
            expires_in = (int)tokens.Lifetime.TotalSeconds,
            scope,
        });
    }

    /// <summary>
    /// The credentials of a client_credentials token request, in the form body or as HTTP Basic (RFC 6749 2.3.1; clients
    /// use either), or the OAuth problem to answer instead. Shared by every token endpoint of the hub.
    /// </summary>
    public static async Task<(string ClientId, string Secret, IResult? Problem)> ReadClientCredentialsAsync(HttpRequest request)
    {
        if (!request.HasFormContentType)
            return ("", "", OAuthProblem(ProblemTypes.InvalidRequest, "invalid_request", "Send application/x-www-form-urlencoded."));
        var form = await request.ReadFormAsync();
        if (form["grant_type"] != "client_credentials")
            return ("", "", OAuthProblem(ProblemTypes.UnsupportedGrantType, "unsupported_grant_type", "grant_type must be client_credentials."));
        string? clientId = form["client_id"], secret = form["client_secret"];
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && TryDecodeBasic(header[6..].Trim(), out var basicId, out var basicSecret))
            (clientId, secret) = (basicId, basicSecret);
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret))
            return ("", "", OAuthProblem(ProblemTypes.InvalidClient, "invalid_client", "Client credentials are missing."));
        return (clientId, secret, null);
    }

    private static bool TryDecodeBasic(string value, out string id, out string secret)
    {
        id = secret = string.Empty;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value));
            var colon = decoded.IndexOf(':');
            if (colon <= 0) return false;
            id = Uri.UnescapeDataString(decoded[..colon]);
            secret = Uri.UnescapeDataString(decoded[(colon + 1)..]);
            return true;
        }
        catch (FormatException) { return false; }
    }

    // OAuth2 clients read "error"; everyone else reads the problem type.
    public static IResult OAuthProblem(ProblemType type, string error, string detail) =>
        ProblemResults.Problem(type, detail, new Dictionary<string, object?> { ["error"] = error });
}
