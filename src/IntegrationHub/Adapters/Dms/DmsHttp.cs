using System.Net.Http.Headers;
using System.Text.Json;
using IntegrationHub.Delivery;

namespace IntegrationHub.Adapters.Dms;

/// <summary>
/// One request to a DMS: bearer key, idempotency key, the target's timeout per request, and the answer sorted into
/// success, permanent refusal (4xx other than 408/429, with the DMS's problem text) and transient failure (5xx,
/// 408, 429, timeouts, transport errors; with the DMS's Retry-After).
/// </summary>
internal static class DmsHttp
{
    private const int MaxProblemCharacters = 500;

    public static Uri BaseUri(DeliveryCall call) => new(call.Options.BaseUrl.TrimEnd('/') + "/");

    /// <summary>Sends the request; the answer's body is read within the same timeout. The caller disposes the response.</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, DeliveryCall call, string? apiKey, HttpRequestMessage request, string what,
        CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(call.Options.Timeout);
        if (!string.IsNullOrEmpty(apiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        request.Headers.Add("Idempotency-Key", call.IdempotencyKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/hal+json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json", 0.9));
        try
        {
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            return response;
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TransientDeliveryException($"{call.Target} did not answer {what} within {call.Options.Timeout}.", null, e);
        }
        catch (HttpRequestException e)
        {
            throw new TransientDeliveryException($"{call.Target} could not be reached for {what}: {e.Message}", null, e);
        }
    }

    /// <summary>Throws unless the answer is a success.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, DeliveryCall call, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var status = (int)response.StatusCode;
        if (QuittungHttpClient.IsPermanent(response.StatusCode))
            throw new PermanentDeliveryException($"{call.Target} refused {what} ({status}): {await ProblemTextAsync(response, ct)}");
        throw new TransientDeliveryException($"{call.Target} answered {status} to {what}.", RetryAfter(response));
    }

    /// <summary>"title: detail" of an RFC 7807 problem, or the start of whatever else the DMS said.</summary>
    public static async Task<string> ProblemTextAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                var title = json.RootElement.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                var detail = json.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                if (title is not null || detail is not null) text = string.Join(": ", new[] { title, detail }.Where(s => !string.IsNullOrEmpty(s)));
            }
        }
        catch (JsonException)
        {
            // Not JSON: the raw text it is.
        }
        if (text.Length == 0) text = response.ReasonPhrase ?? "no details";
        return text.Length <= MaxProblemCharacters ? text : text[..MaxProblemCharacters];
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date > DateTimeOffset.UtcNow ? date - DateTimeOffset.UtcNow : TimeSpan.Zero;
        return null;
    }
}
