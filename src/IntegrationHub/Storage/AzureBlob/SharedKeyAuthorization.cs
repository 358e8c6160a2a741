using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Storage.AzureBlob;

/// <summary>
/// Shared Key authorization for the Blob service ("Authorize with Shared Key", version 2009-09-19 and later):
/// HMAC-SHA256 with the account key over a canonical string built from the request.
/// </summary>
public static class SharedKeyAuthorization
{
    /// <summary>Adds <c>x-ms-date</c> (when missing) and the <c>Authorization: SharedKey account:signature</c> header.</summary>
    /// <remarks>Call last: every header that takes part in the signature must already be set.</remarks>
    public static void Authorize(HttpRequestMessage request, string accountName, byte[] accountKey, DateTimeOffset now)
    {
        if (!request.Headers.Contains("x-ms-date"))
            request.Headers.TryAddWithoutValidation("x-ms-date", now.UtcDateTime.ToString("R", CultureInfo.InvariantCulture));
        var signature = Sign(BuildStringToSign(request, accountName), accountKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("SharedKey", $"{accountName}:{signature}");
    }

    public static string Sign(string stringToSign, byte[] accountKey) =>
        Convert.ToBase64String(HMACSHA256.HashData(accountKey, Encoding.UTF8.GetBytes(stringToSign)));

    public static string BuildStringToSign(HttpRequestMessage request, string accountName)
    {
        ArgumentNullException.ThrowIfNull(request.RequestUri);
        var content = request.Content?.Headers;
        // Since version 2015-02-21 a zero Content-Length is signed as an empty string.
        var length = content?.ContentLength is long l and > 0 ? l.ToString(CultureInfo.InvariantCulture) : "";

        var sb = new StringBuilder(256);
        sb.Append(request.Method.Method.ToUpperInvariant()).Append('\n');
        sb.Append(Header(content, "Content-Encoding")).Append('\n');
        sb.Append(Header(content, "Content-Language")).Append('\n');
        sb.Append(length).Append('\n');
        sb.Append(Header(content, "Content-MD5")).Append('\n');
        sb.Append(Header(content, "Content-Type")).Append('\n');
        sb.Append(Header(request.Headers, "Date")).Append('\n');
        sb.Append(Header(request.Headers, "If-Modified-Since")).Append('\n');
        sb.Append(Header(request.Headers, "If-Match")).Append('\n');
        sb.Append(Header(request.Headers, "If-None-Match")).Append('\n');
        sb.Append(Header(request.Headers, "If-Unmodified-Since")).Append('\n');
        sb.Append(Header(request.Headers, "Range")).Append('\n');
        AppendCanonicalizedHeaders(sb, request);
        AppendCanonicalizedResource(sb, request.RequestUri, accountName);
        return sb.ToString();
    }

    private static string Header(HttpHeaders? headers, string name) =>
        headers is not null && headers.NonValidated.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    private static void AppendCanonicalizedHeaders(StringBuilder sb, HttpRequestMessage request)
    {
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in request.Headers.NonValidated)
        {
            if (!name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase)) continue;
            headers[name.ToLowerInvariant()] = UnfoldWhitespace(string.Join(",", values));
        }
        foreach (var (name, value) in headers) sb.Append(name).Append(':').Append(value).Append('\n');
    }

    private static string UnfoldWhitespace(string value)
    {
        var sb = new StringBuilder(value.Length);
        var inWhitespace = false;
        foreach (var c in value.Trim())
        {
            var ws = c is ' ' or '\t' or '\r' or '\n';
            if (ws && inWhitespace) continue;
            sb.Append(ws ? ' ' : c);
            inWhitespace = ws;
        }
        return sb.ToString();
    }

    /// <summary>
    /// <c>/{account}{path as sent}</c> plus the sorted, decoded query parameters. The path is the request's full
    /// (escaped) path, so a path-style endpoint (Azurite, <c>http://host:port/account/container/blob</c>) signs
    /// <c>/account/account/container/blob</c> and a host-style one (<c>https://account.blob.core.windows.net/container/blob</c>)
    /// signs <c>/account/container/blob</c>, as the service expects.
    /// </summary>
    private static void AppendCanonicalizedResource(StringBuilder sb, Uri uri, string accountName)
    {
        sb.Append('/').Append(accountName).Append(uri.AbsolutePath);
        var query = uri.Query;
        if (query.Length <= 1) return;

        var parameters = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = Decode(eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            if (!parameters.TryGetValue(name, out var list)) parameters[name] = list = [];
            list.Add(value);
        }
        foreach (var (name, values) in parameters)
        {
            values.Sort(StringComparer.Ordinal);
            sb.Append('\n').Append(name).Append(':').Append(string.Join(",", values));
        }
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
}
