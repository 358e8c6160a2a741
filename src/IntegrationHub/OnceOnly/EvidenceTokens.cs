using System.Text;
using IntegrationHub.Problems;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// Access tokens of evidence requesters (OAuth2 client_credentials at /api/v1/evidence/token), signed PS512 with the
/// hub's key like sender tokens but for another audience: neither kind of token opens the other's API.
/// </summary>
public sealed class EvidenceAccessTokens(KeyStore keys, IOptions<HubOptions> options)
{
    public const string Audience = "integrationhub:evidence-api";
    public const string Scope = "evidence:request";
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public TimeSpan Lifetime => TimeSpan.FromMinutes(options.Value.Limits.AccessTokenMinutes);

    public string Issue(string clientId)
    {
        var now = DateTime.UtcNow;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.PublicBaseUrl,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            Claims = new Dictionary<string, object> { ["client_id"] = clientId, ["sub"] = clientId, ["scope"] = Scope },
            SigningCredentials = new SigningCredentials(SigningKey(), SecurityAlgorithms.RsaSsaPssSha512),
        });
    }

    /// <summary>Returns the client id of a valid requester token, or null.</summary>
    public async Task<string?> ValidateAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = options.Value.PublicBaseUrl,
            ValidAudience = Audience,
            IssuerSigningKey = SigningKey(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSsaPssSha512],
            ClockSkew = TimeSpan.FromSeconds(30),
        });
        return result.IsValid && result.Claims.TryGetValue("scope", out var scope) && scope as string == Scope
            && result.Claims.TryGetValue("client_id", out var id) ? id as string : null;
    }

    private RsaSecurityKey SigningKey()
    {
        var key = keys.HubSigningKey;
        return new RsaSecurityKey(key.Rsa) { KeyId = key.Kid };
    }
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
        if (!request.HasFormContentType)
            return OAuthProblem(ProblemTypes.InvalidRequest, "invalid_request", "Send application/x-www-form-urlencoded.");
        var form = await request.ReadFormAsync();
        if (form["grant_type"] != "client_credentials")
            return OAuthProblem(ProblemTypes.UnsupportedGrantType, "unsupported_grant_type", "grant_type must be client_credentials.");
        string? clientId = form["client_id"], secret = form["client_secret"];
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && TryDecodeBasic(header[6..].Trim(), out var basicId, out var basicSecret))
            (clientId, secret) = (basicId, basicSecret);
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret))
            return OAuthProblem(ProblemTypes.InvalidClient, "invalid_client", "Client credentials are missing.");
        if (requesters.Authenticate(clientId, secret) is not { } requester)
            return OAuthProblem(ProblemTypes.InvalidClient, "invalid_client", "Unknown requester or wrong secret.");
        return Results.Json(new
        {
            access_token = tokens.Issue(requester.ClientId),
            token_type = "Bearer",
            expires_in = (int)tokens.Lifetime.TotalSeconds,
            scope = EvidenceAccessTokens.Scope,
        });
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

    private static IResult OAuthProblem(ProblemType type, string error, string detail) =>
        ProblemResults.Problem(type, detail, new Dictionary<string, object?> { ["error"] = error });
}
