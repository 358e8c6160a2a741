using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.EndToEndTests;

/// <summary>An OIDC provider the hub trusts (its public key as a PEM file): issues operators' tokens, each part can be made wrong.</summary>
public sealed class OidcProvider : IDisposable
{
    public const string Issuer = "https://idp.kommunal-it.example/realms/hub";
    public const string Audience = "integrationhub-operations";
    public RSA Key { get; } = RSA.Create(2048);
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"oidc-{Guid.NewGuid():N}.pem");

    /// <summary>The hub's settings trusting this provider.</summary>
    public IEnumerable<KeyValuePair<string, string>> Settings()
    {
        File.WriteAllText(_keyFile, Key.ExportSubjectPublicKeyInfoPem());
        return new Dictionary<string, string>
        {
            ["Hub:Operations:Oidc:Issuer"] = Issuer,
            ["Hub:Operations:Oidc:Audience"] = Audience,
            ["Hub:Operations:Oidc:SigningKeyFiles:0"] = _keyFile,
        };
    }

    /// <summary>A token for the person <paramref name="subject"/> (by default derived from the display name <paramref name="name"/>).</summary>
    public string Token(string name, string[] roles, string[]? ars = null, string audience = Audience, RSA? signer = null, TimeSpan? validFor = null,
        string? subject = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject ?? "sub-" + name, ["preferred_username"] = name, ["roles"] = roles };
        if (ars is not null) claims["ars"] = ars;
        var now = DateTime.UtcNow;
        var lifetime = validFor ?? TimeSpan.FromMinutes(5);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = now + lifetime - TimeSpan.FromMinutes(10),
            NotBefore = now + lifetime - TimeSpan.FromMinutes(10),
            Expires = now + lifetime,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signer ?? Key), SecurityAlgorithms.RsaSha256),
        });
    }

    public static void SignIn(HttpClient client, string token) => client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

    public void Dispose()
    {
        Key.Dispose();
        File.Delete(_keyFile);
    }
}
