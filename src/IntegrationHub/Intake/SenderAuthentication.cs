using IntegrationHub.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Intake;

/// <summary>Endpoint filter: a valid sender access token is required; the client id is put on the request.</summary>
public sealed class RequireSenderToken : IEndpointFilter
{
    private const string ClientItem = "integrationhub.sender-client";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (await AuthenticateAsync(http) is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return ProblemResults.Problem(ProblemTypes.Unauthorized, "Send a valid access token from /token as 'Authorization: Bearer'.");
        }
        return await next(context);
    }

    /// <summary>
    /// The client id of the request's bearer token, or null; checked once per request (the rate limiter, which runs
    /// first and partitions by client, and this filter share the result).
    /// </summary>
    public static async Task<string?> AuthenticateAsync(HttpContext http)
    {
        if (http.Items.TryGetValue(ClientItem, out var known)) return known as string;
        var header = http.Request.Headers.Authorization.ToString();
        var clientId = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? await http.RequestServices.GetRequiredService<AccessTokens>().ValidateAsync(header["Bearer ".Length..].Trim())
            : null;
        http.Items[ClientItem] = clientId;
        return clientId;
    }

    /// <summary>The client authenticated by <see cref="AuthenticateAsync"/>, or null.</summary>
    public static string? AuthenticatedClient(HttpContext http) => http.Items.TryGetValue(ClientItem, out var known) ? known as string : null;

    public static string ClientOf(HttpContext http) => (string)http.Items[ClientItem]!;
}
