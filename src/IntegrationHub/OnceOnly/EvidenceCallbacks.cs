using System.Net;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// Where results of asynchronous evidence requests may go: https only, and only to an origin on the requester's allow-list
/// (<see cref="EvidenceRequesterOptions.CallbackOrigins"/>), so a requester's token cannot make the hub post personal data,
/// signed, to any address. http is allowed only for a loopback host with Hub:OnceOnly:AllowHttpLoopbackCallbacks on.
/// </summary>
public static class EvidenceCallbacks
{
    /// <summary>What is wrong with a configured origin; null if it is a valid one.</summary>
    public static string? OriginProblem(string origin, bool allowHttpLoopback)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0 || uri.AbsolutePath != "/"
            || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            return "must be an origin such as https://procedure.example (scheme, host, port; no path).";
        return SchemeProblem(uri, allowHttpLoopback);
    }

    /// <summary>Why a callback URL may not be used by a requester with these origins; null if it may.</summary>
    public static string? UrlProblem(Uri callback, IEnumerable<string> origins, bool allowHttpLoopback)
    {
        if (SchemeProblem(callback, allowHttpLoopback) is { } scheme) return "callbackUrl " + scheme;
        if (callback.UserInfo.Length > 0) return "callbackUrl must not carry credentials.";
        var allowed = origins.Any(o => Uri.TryCreate(o, UriKind.Absolute, out var origin)
            && origin.Scheme == callback.Scheme && origin.Port == callback.Port
            && string.Equals(origin.IdnHost, callback.IdnHost, StringComparison.OrdinalIgnoreCase));
        return allowed ? null : "callbackUrl is not on this requester's callback origins (Hub:EvidenceRequesters[].CallbackOrigins).";
    }

    private static string? SchemeProblem(Uri uri, bool allowHttpLoopback) =>
        uri.Scheme == Uri.UriSchemeHttps ? null
        : uri.Scheme == Uri.UriSchemeHttp && allowHttpLoopback && IsLoopback(uri) ? null
        : allowHttpLoopback ? "must be https (http only on a loopback host)." : "must be https.";

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback && (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
