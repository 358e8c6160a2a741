using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Operations.Access;

/// <summary>
/// Who may use the operations console and API. Three ways in, one principal: an API key (X-Api-Key or
/// "Authorization: ApiKey …", for hubctl and scripts), an OIDC provider's JWT (Bearer), or the console's cookie after
/// signing in with a key. Policies ops:reader, ops:operator and ops:admin require at least that role.
/// </summary>
public static class OperatorAuthentication
{
    public const string Scheme = "Operations";
    public const string ApiKeyScheme = "OperatorApiKey";
    public const string JwtScheme = "OperatorJwt";
    public const string CookieScheme = "OperatorCookie";
    public const string ReaderPolicy = "ops:reader";
    public const string OperatorPolicy = "ops:operator";
    public const string AdminPolicy = "ops:admin";
    public const string RoleClaim = "hub:role";
    public const string MunicipalityClaim = "hub:ars";
    public const string ApiKeyHeader = "X-Api-Key";
    public const string LoginPath = "/ops/login";

    public static IServiceCollection AddOperatorAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OperationsOptions>().Bind(configuration.GetSection(OperationsOptions.Section));
        var options = configuration.GetSection(OperationsOptions.Section).Get<OperationsOptions>() ?? new OperationsOptions();
        services.AddSingleton<OperatorDirectory>();

        var authentication = services.AddAuthentication()
            .AddPolicyScheme(Scheme, "Operations", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyScheme, _ => { })
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "hub-ops";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = options.SessionLifetime;
                o.SlidingExpiration = true;
                o.LoginPath = LoginPath;
                o.AccessDeniedPath = "/ops/denied";
                // The API answers 401/403 problems; only pages redirect to the login form.
                o.Events.OnRedirectToLogin = c => RedirectOrStatus(c, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = c => RedirectOrStatus(c, StatusCodes.Status403Forbidden);
            });
        if (!string.IsNullOrWhiteSpace(options.Oidc.Issuer))
            authentication.AddJwtBearer(JwtScheme, o =>
            {
                o.MapInboundClaims = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = options.Oidc.Issuer,
                    ValidAudience = options.Oidc.Audience,
                    IssuerSigningKeys = options.Oidc.SigningKeyFiles.Select(LoadKey).ToList(),
                    NameClaimType = options.Oidc.NameClaim,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                o.Events = new JwtBearerEvents { OnTokenValidated = c => { c.Principal = OperatorDirectory.FromOidc(c.Principal!, options.Oidc); return Task.CompletedTask; } };
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(ReaderPolicy, p => p.AddAuthenticationSchemes(Scheme).RequireAssertion(c => HasRole(c.User, OperatorRole.Reader)))
            .AddPolicy(OperatorPolicy, p => p.AddAuthenticationSchemes(Scheme).RequireAssertion(c => HasRole(c.User, OperatorRole.Operator)))
            .AddPolicy(AdminPolicy, p => p.AddAuthenticationSchemes(Scheme).RequireAssertion(c => HasRole(c.User, OperatorRole.Admin)));
        return services;
    }

    /// <summary>The operator behind a request (authenticated by one of the schemes), or null.</summary>
    public static Operator? Operator(this ClaimsPrincipal principal)
    {
        if (principal.Identity is not { IsAuthenticated: true, Name: { } name }) return null;
        if (!Enum.TryParse<OperatorRole>(principal.FindFirstValue(RoleClaim), ignoreCase: true, out var role)) return null;
        var municipalities = principal.FindAll(MunicipalityClaim).Select(c => c.Value).ToList();
        return new Operator(name, role, municipalities.Count == 0 ? null : municipalities);
    }

    public static ClaimsPrincipal Principal(Operator who, string authenticationType)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, who.Name), new(RoleClaim, who.Role.ToString().ToLowerInvariant()) };
        claims.AddRange((who.Municipalities ?? []).Select(a => new Claim(MunicipalityClaim, a)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, ClaimTypes.Name, RoleClaim));
    }

    private static bool HasRole(ClaimsPrincipal user, OperatorRole required) => user.Operator() is { } who && who.Role >= required;

    private static string SelectScheme(HttpContext context)
    {
        if (context.Request.Headers.ContainsKey(ApiKeyHeader)) return ApiKeyScheme;
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase)) return ApiKeyScheme;
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && context.RequestServices.GetRequiredService<IOptions<OperationsOptions>>().Value.Oidc.Issuer.Length > 0) return JwtScheme;
        return CookieScheme;
    }

    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/ops")) context.Response.Redirect(context.RedirectUri);
        else context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    private static SecurityKey LoadKey(string file)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(file));
        return new RsaSecurityKey(rsa);
    }

    /// <summary>Checks X-Api-Key / "Authorization: ApiKey" against the configured operators' key hashes.</summary>
    private sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, OperatorDirectory operators)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var key = Request.Headers[ApiKeyHeader].ToString();
            if (key.Length == 0)
            {
                var authorization = Request.Headers.Authorization.ToString();
                if (authorization.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase)) key = authorization["ApiKey ".Length..].Trim();
            }
            if (key.Length == 0) return Task.FromResult(AuthenticateResult.NoResult());
            return Task.FromResult(operators.FindByKey(key) is { } who
                ? AuthenticateResult.Success(new AuthenticationTicket(Principal(who, ApiKeyScheme), ApiKeyScheme))
                : AuthenticateResult.Fail("Unknown API key."));
        }
    }
}

/// <summary>The configured operators; API keys are compared by their SHA-256, in constant time.</summary>
public sealed class OperatorDirectory(IOptionsMonitor<OperationsOptions> options)
{
    public Operator? FindByKey(string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        Operator? found = null;
        foreach (var entry in options.CurrentValue.Operators)
        {
            byte[] expected;
            try { expected = Convert.FromHexString(entry.KeySha256); }
            catch (FormatException) { continue; }
            // No early exit: every configured key is compared, so timing does not tell which one nearly matched.
            if (CryptographicOperations.FixedTimeEquals(hash, expected) && found is null)
                found = new Operator(entry.Name, entry.Role, entry.Municipalities.Count == 0 ? null : entry.Municipalities);
        }
        return found;
    }

    public static string HashKey(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToLowerInvariant();

    /// <summary>Maps an OIDC provider's claims (name, role, municipalities) onto the hub's operator claims.</summary>
    internal static ClaimsPrincipal FromOidc(ClaimsPrincipal principal, OidcOptions oidc)
    {
        var name = principal.FindFirstValue(oidc.NameClaim) ?? principal.FindFirstValue("sub") ?? "unknown";
        var role = principal.FindAll(oidc.RoleClaim).Select(c => Enum.TryParse<OperatorRole>(c.Value, true, out var r) ? r : (OperatorRole?)null)
            .Where(r => r is not null).Max();
        if (role is null) return new ClaimsPrincipal(new ClaimsIdentity()); // no hub role: not an operator
        var ars = principal.FindAll(oidc.MunicipalityClaim).Select(c => c.Value).ToList();
        return OperatorAuthentication.Principal(new Operator(name, role.Value, ars.Count == 0 ? null : ars), OperatorAuthentication.JwtScheme);
    }
}

/// <summary>
/// The embedded default's operator keys are printed in the README: fine on a developer's machine, a hole anywhere else.
/// The hub says so at start-up when they are configured and it listens beyond the loopback interface.
/// </summary>
public static class LocalOperatorKeys
{
    private static readonly string[] Documented = ["reader-local-only", "operator-local-only", "admin-local-only", "approver-local-only"];

    public static IReadOnlyList<string> ConfiguredIn(OperationsOptions options)
    {
        var documented = Documented.Select(OperatorDirectory.HashKey).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return options.Operators.Where(o => documented.Contains(o.KeySha256)).Select(o => o.Name).ToList();
    }

    public static void WarnIfExposed(OperationsOptions options, IEnumerable<string> urls, ILogger logger)
    {
        var names = ConfiguredIn(options);
        var exposed = urls.Where(u => Uri.TryCreate(u.Replace("://+", "://0.0.0.0").Replace("://*", "://0.0.0.0"), UriKind.Absolute, out var uri)
            && !uri.IsLoopback && uri.Host != "localhost").ToList();
        if (names.Count > 0 && exposed.Count > 0)
            logger.LogWarning("The README's local operator keys are configured ({Operators}) while the hub listens on {Urls}: " +
                "replace Hub:Operations:Operators before anyone else can reach it", string.Join(", ", names), string.Join(", ", exposed));
    }
}

