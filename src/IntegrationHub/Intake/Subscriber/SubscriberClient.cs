using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Delivery;

namespace IntegrationHub.Intake.Subscriber;

/// <summary>One submission the delivery service offers for pickup.</summary>
public sealed record OfferedSubmission(Guid SubmissionId, Guid CaseId, Guid DestinationId);

/// <summary>A page of <c>GET /v1/destinations/{id}/submissions</c>.</summary>
public sealed record OfferedPage(IReadOnlyList<OfferedSubmission> Submissions, int TotalCount);

/// <summary>
/// The subscriber side of the FIT-Connect Submission API v1, as the hub calls it: an OAuth token (client credentials,
/// scope <c>subscribe:destination:{id}</c> per destination, renewed before it runs out), list the submissions of a
/// destination, fetch one with its encrypted metadata and data, download an attachment as received, post an event
/// (a Security Event Token) to the case. A 401 fetches a fresh token once.
/// </summary>
public sealed class SubscriberClient(string name, DeliveryServiceOptions options, IHttpClientFactory httpFactory, TimeProvider time)
{
    public const string HttpClientName = "fitconnect-subscriber";
    private const string JoseMediaType = "application/jose";

    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private string? _token;
    private DateTimeOffset _renewAt;

    public string Name => name;
    public DeliveryServiceOptions Options => options;

    public async Task<OfferedPage> ListAsync(Guid destinationId, int offset, int limit, CancellationToken ct)
    {
        var json = await GetJsonAsync($"v1/destinations/{destinationId}/submissions?offset={offset}&limit={limit}", 1024 * 1024, ct)
            ?? throw new DeliveryServiceException($"{name} listed destination {destinationId} without a body.");
        var list = new List<OfferedSubmission>();
        foreach (var node in json["submissions"] as JsonArray ?? [])
        {
            if (node is JsonObject o && Guid.TryParse(Str(o["submissionId"]), out var id) && Guid.TryParse(Str(o["caseId"]), out var caseId))
                list.Add(new OfferedSubmission(id, caseId, Guid.TryParse(Str(o["destinationId"]), out var d) ? d : destinationId));
        }
        var total = json["totalCount"] is JsonValue v && v.TryGetValue<int>(out var t) ? t : list.Count;
        return new OfferedPage(list, total);
    }

    /// <summary>The submission for pickup (encryptedMetadata, encryptedData, attachments, serviceType); null once it is gone.</summary>
    public Task<JsonObject?> GetSubmissionAsync(Guid submissionId, long maxBytes, CancellationToken ct) =>
        GetJsonAsync($"v1/submissions/{submissionId}", maxBytes, ct);

    /// <summary>An attachment as the sender uploaded it (a compact JWE), streamed; the caller disposes the response.</summary>
    public async Task<HttpResponseMessage> GetAttachmentAsync(Guid submissionId, Guid attachmentId, CancellationToken ct)
    {
        var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"v1/submissions/{submissionId}/attachments/{attachmentId}"),
            HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.IsSuccessStatusCode) return response;
        using (response) throw await FailureAsync(response, $"attachment {attachmentId} of submission {submissionId}", ct);
    }

    /// <summary>Posts a Security Event Token to the case's event log. Repeating it with the same jti changes nothing there.</summary>
    public async Task PostEventAsync(Guid caseId, string token, string idempotencyKey, CancellationToken ct)
    {
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"v1/cases/{caseId}/events") { Content = new StringContent(token, Encoding.ASCII) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(JoseMediaType);
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
            return request;
        }, HttpCompletionOption.ResponseContentRead, ct);
        if (!response.IsSuccessStatusCode) throw await FailureAsync(response, $"event for case {caseId}", ct);
    }

    private async Task<JsonObject?> GetJsonAsync(string path, long maxBytes, CancellationToken ct)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (!response.IsSuccessStatusCode) throw await FailureAsync(response, path, ct);
        if (response.Content.Headers.ContentLength > maxBytes)
            throw new DeliveryServiceException($"{name} answered {path} with more than {maxBytes} bytes.");
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw new DeliveryServiceException($"{name} answered {path} with more than {maxBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        try
        {
            return JsonNode.Parse(buffer.ToArray()) as JsonObject ?? throw new DeliveryServiceException($"{name} answered {path} without a JSON object.");
        }
        catch (JsonException)
        {
            throw new DeliveryServiceException($"{name} answered {path} with invalid JSON.");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, HttpCompletionOption completion, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await TokenAsync(ct);
            using var request = create();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Timeout);
            HttpResponseMessage response;
            try
            {
                response = await Client().SendAsync(request, completion, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"{name} did not answer within {options.Timeout}.");
            }
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0) return response;
            response.Dispose();
            await ForgetTokenAsync(token, ct);
        }
    }

    private async Task<string> TokenAsync(CancellationToken ct)
    {
        await _tokenGate.WaitAsync(ct);
        try
        {
            if (_token is not null && time.GetUtcNow() < _renewAt) return _token;
            var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = options.ClientId,
                ["client_secret"] = options.ClientSecret,
                ["scope"] = string.Join(' ', options.Destinations.Select(d => $"subscribe:destination:{d}")),
            });
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Timeout);
            using var response = await Client().PostAsync(options.TokenUri, form, timeout.Token);
            if (!response.IsSuccessStatusCode) throw await FailureAsync(response, "token", ct);
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) as JsonObject;
            _token = Str(json?["access_token"]) ?? throw new DeliveryServiceException($"{name}'s token endpoint answered without access_token.");
            var lifetime = TimeSpan.FromSeconds(json!["expires_in"] is JsonValue e && e.TryGetValue<double>(out var s) ? s : 300);
            // Renewed a little early, so a token never runs out in the middle of a pickup.
            _renewAt = time.GetUtcNow() + lifetime - TimeSpan.FromSeconds(Math.Min(60, lifetime.TotalSeconds / 2));
            return _token;
        }
        catch (JsonException)
        {
            throw new DeliveryServiceException($"{name}'s token endpoint answered with invalid JSON.");
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    private async Task ForgetTokenAsync(string rejected, CancellationToken ct)
    {
        await _tokenGate.WaitAsync(ct);
        try { if (_token == rejected) _token = null; }
        finally { _tokenGate.Release(); }
    }

    private HttpClient Client()
    {
        var client = httpFactory.CreateClient(HttpClientName);
        client.BaseAddress = options.BaseUri;
        client.Timeout = System.Threading.Timeout.InfiniteTimeSpan; // per call: options.Timeout, see SendAsync
        return client;
    }

    /// <summary>4xx (other than 408/429) is permanent; 5xx, 408 and 429 are "not now", with the service's Retry-After.</summary>
    private async Task<Exception> FailureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string? problemType = null;
        try
        {
            if (JsonNode.Parse(await response.Content.ReadAsStringAsync(ct)) is JsonObject problem) problemType = Str(problem["type"]);
        }
        catch (JsonException)
        {
        }
        var message = $"{name} answered {status} for {what}" + (problemType is null ? "" : $" ({problemType})");
        if (status is >= 500 or 408 or 429)
            return new TransientDeliveryException(message, response.Headers.RetryAfter?.Delta);
        return new PermanentDeliveryException(message);
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>The delivery service answered in a way the protocol does not allow.</summary>
public sealed class DeliveryServiceException(string message) : Exception(message);
