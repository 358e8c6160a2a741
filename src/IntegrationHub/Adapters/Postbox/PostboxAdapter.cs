using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Adapters.Postbox;

/// <summary>
/// The citizen's BundID postbox (ZBP) through FIT-Connect's bridge: for each milestone a status for the status monitor
/// and, when the step carries a document (Eingangsbestätigung, Nachforderung, Bescheid), a message first. Both go to
/// the postbox of the submission's reply channel at the trust level the citizen logged in with; a submission without a
/// postbox is done without a call. Message and status ids derive from the idempotency key, so a retried step sends the
/// same ids and the postbox keeps one of each.
/// </summary>
public sealed class PostboxAdapter(HttpClient http, TimeProvider time, ILogger<PostboxAdapter> logger) : ITargetAdapter
{
    public const string KindName = "Postbox";
    public const string NoPostbox = "no-postbox";
    public const string ApiKeyHeader = "X-Api-Key";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const long MaxDocumentBytes = 10 * 1024 * 1024;

    private static readonly ConcurrentDictionary<(string Pem, string? Issuer), IdentityProviderTrust> Trusts = new();

    public string Kind => KindName;

    public async Task<DeliveryOutcome> DeliverAsync(DeliveryCall call, CancellationToken ct)
    {
        if (!call.Step.StartsWith(DeliverySteps.PostboxPrefix, StringComparison.Ordinal))
            throw new PermanentDeliveryException($"{KindName} takes postbox steps only, not '{call.Step}'.");
        var options = call.TargetSettings.Get<PostboxOptions>() ?? new PostboxOptions();
        var metadata = await call.ReadMetadataAsync(ct); // the reply channel, not the application
        var citizen = CitizenPostbox.From(metadata, TrustOf(options));
        if (citizen.MailboxUuid is not { } mailbox)
        {
            logger.LogInformation("Postbox step {Step}: the submission names no postbox, nothing sent", call.Step);
            return DeliveryOutcome.Done(NoPostbox);
        }

        var notice = new PostboxNotice(call.Submission.Id, call.Submission.ServiceName, call.Tenant.Name,
            call.Submission.DecidedAt ?? call.Submission.SubmittedAt ?? call.Submission.CreatedAt, call.Payload, await DocumentAsync(call, ct));
        Guid? messageId = null;
        if (PostboxEnvelopes.HasMessage(call.Payload))
        {
            messageId = PostboxEnvelopes.IdFor(call.IdempotencyKey, "message");
            await SendAsync(call, options, "api/v1/messages", messageId.Value, PostboxEnvelopes.Message(messageId.Value, mailbox, citizen.TrustLevel, notice), ct);
        }
        var statusId = PostboxEnvelopes.IdFor(call.IdempotencyKey, "status");
        await SendAsync(call, options, "api/v1/status", statusId, PostboxEnvelopes.Status(statusId, mailbox, notice), ct);
        logger.LogInformation("Postbox step {Step} sent at trust level {Level}", call.Step, citizen.TrustLevel);
        return DeliveryOutcome.Done((messageId ?? statusId).ToString("D"));
    }

    private static IdentityProviderTrust TrustOf(PostboxOptions options) =>
        string.IsNullOrWhiteSpace(options.IdentityProviderKey)
            ? IdentityProviderTrust.None
            : Trusts.GetOrAdd((options.IdentityProviderKey, options.IdentityProviderIssuer), k => IdentityProviderTrust.FromPem(PemOrFile(k.Pem), k.Issuer));

    // The key as PEM text, or the path of a PEM file (e.g. one the identity provider publishes into a shared volume).
    private static string PemOrFile(string value) =>
        value.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal) ? value : File.ReadAllText(value);

    private static async Task<PostboxDocument?> DocumentAsync(DeliveryCall call, CancellationToken ct)
    {
        if (call.Payload.DocumentBlob is not { } blob) return null;
        await using var stream = await call.OpenDocumentAsync(blob, ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxDocumentBytes) throw new PermanentDeliveryException($"The document exceeds the postbox's {MaxDocumentBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        return new PostboxDocument(await call.DocumentNameAsync(ct) ?? $"{call.Payload.DocumentKind ?? "Dokument"}.pdf",
            call.Payload.DocumentMimeType ?? "application/pdf", buffer.ToArray());
    }

    private async Task SendAsync(DeliveryCall call, PostboxOptions options, string path, Guid id, JsonObject envelope, CancellationToken ct)
    {
        using var request = CreateRequest(new Uri(new Uri(EnsureSlash(call.Options.BaseUrl)), path), id, envelope, call.SigningCertificate,
            call.Submission.Ars, options, time.GetUtcNow(), call.IdempotencyKey);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(call.Options.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            await EnsureAcceptedAsync(response, call.Target, path, timeout.Token);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TransientDeliveryException($"{call.Target} did not answer within {call.Options.Timeout}.", null, e);
        }
    }

    /// <summary>
    /// One postbox call: the envelope as JSON body, the author token (made now, <c>jti</c> the envelope's id), the author
    /// certificate, the detached signature over exactly these body bytes, the idempotency key and the bridge's API key.
    /// </summary>
    public static HttpRequestMessage CreateRequest(Uri url, Guid id, JsonObject envelope, X509Certificate2 certificate, string author,
        PostboxOptions options, DateTimeOffset now, string idempotencyKey)
    {
        var body = Encoding.UTF8.GetBytes(envelope.ToJsonString());
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
            AuthorToken.Create(certificate, author, options.Audience, id.ToString("D"), now, options.TokenLifetime));
        request.Headers.Add(AuthorToken.CertificateHeader, AuthorToken.EncodeCertificate(certificate));
        request.Headers.Add(AuthorToken.ContentSignatureHeader, AuthorToken.SignContent(certificate, body));
        request.Headers.Add(IdempotencyKeyHeader, idempotencyKey + "|" + id.ToString("D"));
        if (!string.IsNullOrEmpty(options.ApiKey)) request.Headers.Add(ApiKeyHeader, options.ApiKey);
        return request;
    }

    /// <summary>
    /// 2xx (201 new, 200 a repeat the postbox already has) is done; a 4xx other than 408/429 is a refusal for good, with
    /// the postbox's problem text; anything else is worth another try later, after the postbox's Retry-After if it gave one.
    /// </summary>
    public static async Task EnsureAcceptedAsync(HttpResponseMessage response, string target, string path, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var problem = await ReadProblemAsync(response, ct);
        if (QuittungHttpClient.IsPermanent(response.StatusCode))
            throw new PermanentDeliveryException($"{target} refused {path} with {(int)response.StatusCode}: {problem}");
        throw new TransientDeliveryException($"{target} answered {(int)response.StatusCode}: {problem}", RetryAfter(response));
    }

    private static async Task<string> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            if (JsonNode.Parse(text) is JsonObject problem)
                return string.Join(" ", new[] { problem["type"], problem["title"], problem["detail"] }
                    .Select(n => n?.ToString()).Where(s => !string.IsNullOrEmpty(s)));
        }
        catch (System.Text.Json.JsonException)
        {
            // not a problem document: the raw text, shortened, says enough
        }
        return text.Length <= 300 ? text : text[..300];
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta
        ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);

    private static string EnsureSlash(string url) => url.EndsWith('/') ? url : url + "/";
}
