using IntegrationHub.Operations.Access;
using IntegrationHub.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Operations.Api;

/// <summary>Marks the operations API's endpoints: their refusals are problems, not bare status codes or redirects.</summary>
internal sealed class OperationsApiEndpoint;

/// <summary>
/// Turns a failed authorization on the operations API into a problem: 401 operator-unauthenticated (after the schemes'
/// own challenge, which adds WWW-Authenticate for bearer tokens) or 403 operator-forbidden naming the role needed.
/// Every other endpoint keeps ASP.NET Core's default handling.
/// </summary>
internal sealed class OperationsAuthorizationResults : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        var endpoint = context.GetEndpoint();
        if (result.Succeeded || endpoint?.Metadata.GetMetadata<OperationsApiEndpoint>() is null)
        {
            await _default.HandleAsync(next, context, policy, result);
            return;
        }

        if (result.Challenged && SignInThrottle.RetryAfterSeconds(context) is > 0 and var wait)
        {
            context.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await ProblemResults.Problem(ProblemTypes.OperatorSignInThrottled, $"Try again in {wait} seconds.").ExecuteAsync(context);
            return;
        }
        if (result.Challenged)
        {
            foreach (var scheme in policy.AuthenticationSchemes) await context.ChallengeAsync(scheme);
            if (!context.Response.HasStarted)
                await ProblemResults.Problem(ProblemTypes.OperatorUnauthenticated, UnauthenticatedDetail(context.Request)).ExecuteAsync(context);
            return;
        }

        var needed = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().LastOrDefault()?.Policy switch
        {
            OperatorAuthentication.AdminPolicy => "admin",
            OperatorAuthentication.OperatorPolicy => "operator",
            _ => "reader",
        };
        await ProblemResults.Problem(ProblemTypes.OperatorForbidden, $"This needs the {needed} role.").ExecuteAsync(context);
    }

    private static string UnauthenticatedDetail(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (request.Headers.ContainsKey(OperatorAuthentication.ApiKeyHeader) || authorization.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase))
            return "The API key is not known.";
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return "The bearer token is not valid for the operations API (or OIDC sign-in is not configured).";
        return $"Send {OperatorAuthentication.ApiKeyHeader} (or Authorization: ApiKey …), an OIDC bearer token, or sign in at {OperatorAuthentication.LoginPath}.";
    }
}
