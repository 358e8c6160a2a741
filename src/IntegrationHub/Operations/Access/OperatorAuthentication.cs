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
    /// <summary>The operator's stable identity: scheme and subject (see <see cref="Operations.Operator.Id"/>).</summary>
    public const string IdentityClaim = "hub:id";
    public const string ApiKeyHeader = "X-Api-Key";
    public const string LoginPath = "/ops/login";
    public const string ConsolePath = "/ops";

    public static IServiceCollection AddOperatorAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OperationsOptions>().Bind(configuration.GetSection(OperationsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OperationsOptions>, OperatorScopeValidation>();
        var options = configuration.GetSection(OperationsOptions.Section).Get<OperationsOptions>() ?? new OperationsOptions();
        services.AddSingleton<OperatorDirectory>();
        services.AddSingleton<SignInThrottle>();
        services.AddConsoleSessions();

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
                o.Events.OnValidatePrincipal = ConsoleSessions.ValidateAsync;
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
        // No municipality claim is no municipality; all of them is the explicit "*".
        return new Operator(name, role, global::IntegrationHub.Operations.Operator.Scope(principal.FindAll(MunicipalityClaim).Select(c => c.Value)),
            principal.FindFirstValue(IdentityClaim));
    }

    public static ClaimsPrincipal Principal(Operator who, string authenticationType, params Claim[] more)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, who.Name), new(RoleClaim, who.Role.ToString().ToLowerInvariant()), new(IdentityClaim, who.Id) };
        claims.AddRange((who.Municipalities ?? [global::IntegrationHub.Operations.Operator.AllMunicipalities]).Select(a => new Claim(MunicipalityClaim, a)));
        claims.AddRange(more);
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
        // The console's cookie counts on the console's pages only: the APIs take keys and tokens, which a browser never
        // sends by itself, so no page of the same site can act there for a signed-in operator.
        return context.Request.Path.StartsWithSegments(ConsolePath) ? CookieScheme : ApiKeyScheme;
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
    private sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, OperatorDirectory operators,
        SignInThrottle throttle) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var key = Request.Headers[ApiKeyHeader].ToString();
            if (key.Length == 0)
            {
                var authorization = Request.Headers.Authorization.ToString();
                if (authorization.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase)) key = authorization["ApiKey ".Length..].Trim();
            }
            if (key.Length == 0) return AuthenticateResult.NoResult();
            // An address that guessed too often is not even compared: a right key from there waits like a wrong one.
            if (throttle.Refuses(Context)) return AuthenticateResult.Fail("Too many failed sign-ins from this address.");
            if (operators.FindByKey(key) is { } who) return AuthenticateResult.Success(new AuthenticationTicket(Principal(who, ApiKeyScheme), ApiKeyScheme));
            await throttle.FailedAsync(Context, "api-key");
            return AuthenticateResult.Fail("Unknown API key.");
        }
    }
}

/// <summary>The configured operators; API keys are compared by their SHA-256, in constant time.</summary>
public sealed class OperatorDirectory(IOptionsMonitor<OperationsOptions> options)
{
    public const string ApiKeyIdentityPrefix = "apikey:";

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
            if (CryptographicOperations.FixedTimeEquals(hash, expected) && found is null) found = Of(entry);
        }
        return found;
    }

    /// <summary>
    /// The operator as configured now, for a console session signed in with the key whose <see cref="KeyFingerprint"/>
    /// is given; null once that key is no longer configured (removed or replaced).
    /// </summary>
    public Operator? FindBySession(string keyFingerprint) =>
        options.CurrentValue.Operators.FirstOrDefault(e => CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(KeyFingerprint(e.KeySha256)), Encoding.ASCII.GetBytes(keyFingerprint))) is { } entry ? Of(entry) : null;

    /// <summary>Names the key in a session cookie without carrying its hash: a derivation of the configured SHA-256.</summary>
    public static string KeyFingerprint(string keySha256) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("console-session:" + keySha256.Trim().ToLowerInvariant())))[..32];

    public static string HashKey(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key))).ToLowerInvariant();

    private static Operator Of(OperatorKeyOptions entry) =>
        new(entry.Name, entry.Role, Operator.Scope(entry.Municipalities), ApiKeyIdentityPrefix + entry.Name);

    /// <summary>Maps an OIDC provider's claims (name, role, municipalities) onto the hub's operator claims.</summary>
    internal static ClaimsPrincipal FromOidc(ClaimsPrincipal principal, OidcOptions oidc)
    {
        var subject = principal.FindFirstValue("sub");
        var name = principal.FindFirstValue(oidc.NameClaim) ?? subject ?? "unknown";
        var role = principal.FindAll(oidc.RoleClaim).Select(c => Enum.TryParse<OperatorRole>(c.Value, true, out var r) ? r : (OperatorRole?)null)
            .Where(r => r is not null).Max();
        // No hub role, or no subject to tell the person apart by (four-eyes compares it, not the display name): not an operator.
        if (role is null || string.IsNullOrWhiteSpace(subject)) return new ClaimsPrincipal(new ClaimsIdentity());
        // Without the municipality claim the person sees no municipality; "*" in it grants all.
        var scope = Operator.Scope(principal.FindAll(oidc.MunicipalityClaim).Select(c => c.Value));
        return OperatorAuthentication.Principal(new Operator(name, role.Value, scope, "oidc:" + subject), OperatorAuthentication.JwtScheme);
    }
}

/// <summary>
/// The embedded default's operator keys are printed in the README: fine on a developer's machine, a hole anywhere else.
/// The hub refuses to start when they are configured and it listens beyond the loopback interface.
/// </summary>
public static class LocalOperatorKeys
{
    private static readonly string[] Documented = ["reader-local-only", "operator-local-only", "admin-local-only", "approver-local-only"];

    public static IReadOnlyList<string> ConfiguredIn(OperationsOptions options)
    {
        var documented = Documented.Select(OperatorDirectory.HashKey).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return options.Operators.Where(o => documented.Contains(o.KeySha256)).Select(o => o.Name).ToList();
    }

    public static void RefuseIfExposed(OperationsOptions options, IEnumerable<string> urls)
    {
        var names = ConfiguredIn(options);
        var exposed = urls.Where(u => Uri.TryCreate(u.Replace("://+", "://0.0.0.0").Replace("://*", "://0.0.0.0"), UriKind.Absolute, out var uri)
            && !uri.IsLoopback && uri.Host != "localhost").ToList();
        if (names.Count > 0 && exposed.Count > 0)
            throw new InvalidOperationException($"The README's local operator keys are configured ({string.Join(", ", names)}) while the hub listens on " +
                $"{string.Join(", ", exposed)}: set Hub:Operations:Operators to keys of your own (KeySha256), or listen on 127.0.0.1 only.");
    }
}


/// <summary>
/// Every API-key operator names the municipalities it may see: ARS values, or "*" for all. An empty list would mean no
/// municipality at all (as an OIDC principal without the claim), which is never what a configuration meant: refused at start-up.
/// </summary>
internal sealed class OperatorScopeValidation : IValidateOptions<OperationsOptions>
{
    public ValidateOptionsResult Validate(string? name, OperationsOptions options)
    {
        var unscoped = options.Operators.Where(o => o.Municipalities.All(string.IsNullOrWhiteSpace)).Select(o => o.Name).ToList();
        return unscoped.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(
            $"Hub:Operations:Operators: {string.Join(", ", unscoped)} list(s) no Municipalities; name the ARS the operator may see, or \"*\" for all.");
    }
}
