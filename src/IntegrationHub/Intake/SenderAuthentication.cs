using IntegrationHub.Problems;
using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Intake;

/// <summary>Endpoint filter: a valid sender access token is required; the client id is put on the request.</summary>
public sealed class RequireSenderToken(AccessTokens tokens) : IEndpointFilter
{
    private const string ClientItem = "integrationhub.sender-client";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        var clientId = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? await tokens.ValidateAsync(header["Bearer ".Length..].Trim())
            : null;
        if (clientId is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return ProblemResults.Problem(ProblemTypes.Unauthorized, "Send a valid access token from /token as 'Authorization: Bearer'.");
        }
        http.Items[ClientItem] = clientId;
        return await next(context);
    }

    public static string ClientOf(HttpContext http) => (string)http.Items[ClientItem]!;
}
