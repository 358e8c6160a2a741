using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IntegrationHub.Cli;

/// <summary>The hub refused the request: the problem's title and detail are what the operator sees (exit code 1).</summary>
public sealed class HubRefusedException(int status, string title, string? detail, string? type) : Exception(title)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
    public string? Type { get; } = type;
}

/// <summary>No answer from the hub: not running, wrong address, or a timeout (exit code 3).</summary>
public sealed class HubUnreachableException(string message) : Exception(message);

/// <summary>The command line is wrong in a way the parser cannot see (exit code 2).</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Calls the operations API with the operator's API key; answers are JSON text, refusals become exceptions.</summary>
public sealed class HubClient(HttpClient http, string? apiKey)
{
    public const string ApiPrefix = "api/v1/operations/";
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<string> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<string> PostAsync(string path, JsonNode body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);

    public static T Read<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new HubUnreachableException("The hub answered with an empty body.");

    private async Task<string> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, ApiPrefix + path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrEmpty(apiKey)) request.Headers.Add("X-Api-Key", apiKey);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try { response = await http.SendAsync(request, ct); }
        catch (HttpRequestException e) { throw new HubUnreachableException($"Cannot reach the hub at {http.BaseAddress}: {e.Message}"); }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { throw new HubUnreachableException($"The hub at {http.BaseAddress} did not answer in time."); }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode) return text;
            throw Refusal((int)response.StatusCode, response.ReasonPhrase, text);
        }
    }

    private static HubRefusedException Refusal(int status, string? reason, string text)
    {
        try
        {
            if (JsonNode.Parse(text) is JsonObject problem && problem["title"]?.GetValue<string>() is { } title)
                return new HubRefusedException(status, title, problem["detail"]?.GetValue<string>(), problem["type"]?.GetValue<string>());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { }
        return new HubRefusedException(status, $"HTTP {status} {reason}".TrimEnd(), null, null);
    }
}
