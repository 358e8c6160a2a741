using System.Net;
using System.Text.RegularExpressions;

namespace IntegrationHub.EndToEndTests;

/// <summary>A person's browser session with the console over plain HTTP: cookies kept, redirects not followed.</summary>
public sealed partial class ConsoleSession : IDisposable
{
    private readonly HttpClient _http;

    public ConsoleSession(Uri hub)
    {
        _http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = hub };
    }

    public async Task<HttpResponseMessage> GetAsync(string path) => await _http.GetAsync(path);

    public async Task<(HttpStatusCode Status, string Html)> PageAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The antiforgery token of the page's first form.</summary>
    public static string TokenIn(string html) => TokenField().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value)
        : throw new InvalidOperationException("The page has no form with an antiforgery token.");

    /// <summary>Posts a form as the page <paramref name="formPage"/> would, with its antiforgery token.</summary>
    public async Task<HttpResponseMessage> PostAsync(string formPage, string action, IEnumerable<KeyValuePair<string, string>> fields, bool withToken = true)
    {
        var (_, html) = await PageAsync(formPage);
        var all = fields.ToList();
        if (withToken) all.Add(new("__af", TokenIn(html)));
        return await _http.PostAsync(action, new FormUrlEncodedContent(all));
    }

    /// <summary>Any request with the session's cookies, as a page of the same site could make the browser send.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => await _http.SendAsync(request);

    public async Task<HttpResponseMessage> LoginAsync(string key) => await PostAsync("/ops/login", "/ops/login", [new("apiKey", key)]);

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("name=\"__af\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
