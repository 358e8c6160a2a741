using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators.Crypto;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// A FIT-Connect sender over raw HTTP, one call per step, so hostile tests can bend each step (what is announced, what is
/// uploaded, what the JWE strings are). Every answer is returned as it came; nothing throws on a non-2xx status.
/// </summary>
public sealed class RawSender(HubFixture hub, string clientId = HubFixture.ClientId)
{
    private readonly HttpClient _http = hub.Factory.CreateClient();
    private string? _token;

    public HttpClient Http => _http;

    public async Task<string> TokenAsync()
    {
        if (_token is not null) return _token;
        var response = await _http.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = hub.ClientSecret,
        }));
        response.EnsureSuccessStatusCode();
        return _token = (await JsonAsync(response))["access_token"]!.GetValue<string>();
    }

    /// <summary>The destination's published encryption key, as a sender fetches it.</summary>
    public async Task<(RSA Rsa, string Kid)> KeyAsync(Guid destinationId)
    {
        var kid = (await JsonAsync(await _http.GetAsync($"/v1/destinations/{destinationId}")))["encryptionKid"]!.GetValue<string>();
        return (Jwk.ImportPublic(await JsonAsync(await _http.GetAsync($"/v1/destinations/{destinationId}/keys/{kid}"))), kid);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer ?? await TokenAsync());
        return await _http.SendAsync(request);
    }

    public Task<HttpResponseMessage> CreateAsync(Guid destinationId, string serviceName, string leikaUrn, IEnumerable<Guid> announced) =>
        SendAsync(HttpMethod.Post, "/v1/submissions", JsonContent.Create(new
        {
            destinationId,
            announcedAttachments = announced.ToArray(),
            serviceType = new { name = serviceName, identifier = leikaUrn },
        }));

    public Task<HttpResponseMessage> UploadAsync(Guid submissionId, Guid attachmentId, string compactJwe) =>
        SendAsync(HttpMethod.Put, $"/v1/submissions/{submissionId}/attachments/{attachmentId}",
            new StringContent(compactJwe, Encoding.ASCII, "application/jose"));

    public Task<HttpResponseMessage> SubmitAsync(Guid submissionId, string encryptedMetadata, string encryptedData) =>
        SendAsync(HttpMethod.Put, $"/v1/submissions/{submissionId}", JsonContent.Create(new { encryptedMetadata, encryptedData }));

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>The problem type of an answer, or its status when it has no problem body.</summary>
    public static async Task<string> ProblemTypeAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonNode.Parse(text)?["type"]?.GetValue<string>() ?? $"{(int)response.StatusCode} without problem type";
        }
        catch (System.Text.Json.JsonException)
        {
            return $"{(int)response.StatusCode} without JSON";
        }
    }
}
