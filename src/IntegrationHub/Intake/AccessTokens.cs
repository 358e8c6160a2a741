using System.Security.Claims;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Intake;

/// <summary>Short-lived access tokens for sender clients (OAuth2 client_credentials), signed PS512 by the hub.</summary>
public sealed class AccessTokens(KeyStore keys, IOptions<HubOptions> options) : HubAccessTokens(keys, options, Audience)
{
    public const string Audience = "integrationhub:submission-api";
}

/// <summary>
/// The hub's short-lived access tokens (OAuth2 client_credentials), signed PS512 with the hub's key, one audience per API:
/// a token for one API never opens another. With <paramref name="requiredScope"/>, a token must also carry that scope.
/// </summary>
public abstract class HubAccessTokens(KeyStore keys, IOptions<HubOptions> options, string audience, string? requiredScope = null)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public TimeSpan Lifetime => TimeSpan.FromMinutes(options.Value.Limits.AccessTokenMinutes);

    public string Issue(string clientId, string scope)
    {
        var now = DateTime.UtcNow;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.PublicBaseUrl,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            Claims = new Dictionary<string, object> { ["client_id"] = clientId, ["sub"] = clientId, ["scope"] = scope },
            SigningCredentials = new SigningCredentials(SigningKey(), SecurityAlgorithms.RsaSsaPssSha512),
        });
    }

    /// <summary>Returns the client id of a valid token, or null.</summary>
    public async Task<string?> ValidateAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = options.Value.PublicBaseUrl,
            ValidAudience = audience,
            IssuerSigningKey = SigningKey(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSsaPssSha512],
            ClockSkew = TimeSpan.FromSeconds(30),
        });
        if (!result.IsValid) return null; // its Claims are not to be read then
        if (requiredScope is not null && !(result.Claims.TryGetValue("scope", out var scope) && scope as string == requiredScope)) return null;
        return result.Claims.TryGetValue("client_id", out var id) ? id as string : null;
    }

    private RsaSecurityKey SigningKey()
    {
        var key = keys.HubSigningKey;
        return new RsaSecurityKey(key.Rsa) { KeyId = key.Kid };
    }
}
