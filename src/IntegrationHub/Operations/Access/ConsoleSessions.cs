using System.Globalization;
using System.Security.Claims;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Operations.Access;

/// <summary>
/// A console session (the cookie after signing in with an API key) is re-checked on every request: it ends when its key
/// is no longer configured, when the operator's name, role or municipalities changed, and after
/// <see cref="OperationsOptions.SessionAbsoluteLifetime"/> however active it was. Its cookies are Secure when the hub's
/// public base URL is https.
/// </summary>
public static class ConsoleSessions
{
    /// <summary>Which key the session was signed in with (<see cref="OperatorDirectory.KeyFingerprint"/>).</summary>
    public const string KeyClaim = "hub:key";
    /// <summary>When the session began (Unix seconds): sliding renewals do not move it.</summary>
    public const string SinceClaim = "hub:since";

    internal static IServiceCollection AddConsoleSessions(this IServiceCollection services)
    {
        services.AddOptions<CookieAuthenticationOptions>(OperatorAuthentication.CookieScheme).PostConfigure<IOptions<HubOptions>>((o, hub) =>
        {
            if (PublicOverHttps(hub.Value)) o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        });
        services.AddOptions<AntiforgeryOptions>().PostConfigure<IOptions<HubOptions>>((o, hub) =>
        {
            if (PublicOverHttps(hub.Value)) o.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        });
        return services;
    }

    public static bool PublicOverHttps(HubOptions hub) => hub.PublicBaseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The session's principal for an operator who signed in with <paramref name="key"/>.</summary>
    public static ClaimsPrincipal Principal(Operator who, string key) => OperatorAuthentication.Principal(who, OperatorAuthentication.CookieScheme,
        new Claim(KeyClaim, OperatorDirectory.KeyFingerprint(OperatorDirectory.HashKey(key))),
        new Claim(SinceClaim, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var options = services.GetRequiredService<IOptionsMonitor<OperationsOptions>>().CurrentValue;
        var principal = context.Principal;
        var signedIn = principal?.Operator();
        var since = long.TryParse(principal?.FindFirstValue(SinceClaim), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : (DateTimeOffset?)null;
        var current = principal?.FindFirstValue(KeyClaim) is { } key ? services.GetRequiredService<OperatorDirectory>().FindBySession(key) : null;
        if (signedIn is not null && current is not null && since is { } start && DateTimeOffset.UtcNow - start < options.SessionAbsoluteLifetime
            && Same(signedIn, current))
            return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(OperatorAuthentication.CookieScheme);
    }

    private static bool Same(Operator a, Operator b) =>
        a.Id == b.Id && a.Name == b.Name && a.Role == b.Role
        && (a.Municipalities is null ? b.Municipalities is null : b.Municipalities is not null && a.Municipalities.Order().SequenceEqual(b.Municipalities.Order()));
}
