using System.Security.Claims;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Intake;

/// <summary>Short-lived access tokens for sender clients (OAuth2 client_credentials), signed PS512 by the hub.</summary>
public sealed class AccessTokens(KeyStore keys, IOptions<HubOptions> options)
{
    public const string Audience = "integrationhub:submission-api";
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public TimeSpan Lifetime => TimeSpan.FromMinutes(options.Value.Limits.AccessTokenMinutes);

    public string Issue(string clientId, string scope)
    {
        var now = DateTime.UtcNow;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.PublicBaseUrl,
            Audience = Audience,
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
            ValidAudience = Audience,
            IssuerSigningKey = SigningKey(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSsaPssSha512],
            ClockSkew = TimeSpan.FromSeconds(30),
        });
        return result.IsValid && result.Claims.TryGetValue("client_id", out var id) ? id as string : null;
    }

    private RsaSecurityKey SigningKey()
    {
        var key = keys.HubSigningKey;
        return new RsaSecurityKey(key.Rsa) { KeyId = key.Kid };
    }
}
