using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.Postbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IntegrationHub.Simulators.EfA;

/// <summary>
/// An EfA online service acting as FIT-Connect sender against the hub (Submission API v1):
/// token, destination and key lookup, announce, upload encrypted attachments, submit encrypted
/// metadata and data. It logs ids and statuses only, never application content.
/// </summary>
public sealed class EfaOnlineService
{
    public const string MetadataSchemaUri = "https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json";
    private const string JoseMediaType = "application/jose";

    private readonly HttpClient _http;
    private readonly string _clientId;
    private readonly string _clientSecret;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private string? _accessToken;
    private DateTimeOffset _tokenRefreshAt;

    /// <param name="http">HttpClient whose BaseAddress is the hub.</param>
    /// <param name="clientId">OAuth client id of the online service.</param>
    /// <param name="clientSecret">OAuth client secret of the online service.</param>
    public EfaOnlineService(HttpClient http, string clientId, string clientSecret)
        : this(http, clientId, clientSecret, null, null)
    {
    }

    public EfaOnlineService(HttpClient http, string clientId, string clientSecret, TimeProvider? time, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        ArgumentException.ThrowIfNullOrEmpty(clientSecret);
        if (http.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient needs a BaseAddress (the hub).", nameof(http));
        }

        _http = http;
        _clientId = clientId;
        _clientSecret = clientSecret;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Optional OAuth scope sent with the token request (e.g. "send:region:DE").</summary>
    public string? Scope { get; init; }

    /// <summary>E-mail reply channel put into the metadata (fictitious).</summary>
    public string ReplyEmail { get; init; } = "antwort@onlinedienst.example";

    /// <summary>
    /// The BundID identity provider the citizen logged in with, which signs the identification report; by default the
    /// process's shared one (<see cref="BundIdIdentityProvider.Shared"/>), which the postbox simulator also uses.
    /// </summary>
    public BundIdIdentityProvider? IdentityProvider { get; init; }

    /// <summary>The OAuth client id (also the autor kennung in the nachrichtenkopf).</summary>
    public string ClientId => _clientId;

    /// <summary>Runs the whole sender flow for one application.</summary>
    public async Task<SubmissionOutcome> SubmitAsync(
        DemoApplication application,
        Guid destinationId,
        SubmitOptions? options = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(application);
        options ??= new SubmitOptions();

        // 1. Token (also fails early with a clear step name instead of a 401 on the first API call).
        var token = await TryGetTokenAsync(ct).ConfigureAwait(false);
        if (token.Problem is not null)
        {
            return Stopped("token", token.Problem);
        }

        // 2. Destination and its encryption key.
        var destination = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"v1/destinations/{destinationId}"), ct).ConfigureAwait(false);
        if (destination.Status != 200 || destination.Json is null)
        {
            return Stopped("destination", destination.ProblemOrDefault("destination-unavailable"));
        }

        var kid = options.EncryptionKey is { } kept ? Str(kept["kid"]) : options.EncryptionKid ?? Str(destination.Json["encryptionKid"]);
        if (string.IsNullOrWhiteSpace(kid))
        {
            return Stopped("destination", LocalProblem("destination-without-key", "The destination names no encryptionKid."));
        }

        var jwk = options.EncryptionKey;
        if (jwk is null)
        {
            var keyResponse = await SendAsync(
                () => new HttpRequestMessage(HttpMethod.Get, $"v1/destinations/{destinationId}/keys/{Uri.EscapeDataString(kid)}"), ct).ConfigureAwait(false);
            if (keyResponse.Status != 200 || keyResponse.Json is null)
            {
                return Stopped("key", keyResponse.ProblemOrDefault("key-unavailable"));
            }

            jwk = keyResponse.Json;
        }

        var keyProblem = CheckEncryptionKey(jwk);
        if (keyProblem is not null)
        {
            return Stopped("key", keyProblem);
        }

        using var recipientKey = Jwk.ImportPublic(jwk);
        var jweKid = options.UseThumbprintAsKid ? Jwk.Thumbprint(recipientKey) : kid;

        // 3. Announce the submission.
        var create = await SendAsync(() => JsonRequest(HttpMethod.Post, "v1/submissions", BuildAnnouncement(application, destinationId)), ct).ConfigureAwait(false);
        if (create.Status != 201 || create.Json is null)
        {
            _logger.LogWarning("Announcing a submission to destination {DestinationId} answered {Status}", destinationId, create.Status);
            return new SubmissionOutcome(create.Status, null, null, null, create.ProblemOrDefault("create-failed")) { FailedStep = "create" };
        }

        var submissionId = ReadGuid(create.Json, "submissionId");
        var caseId = ReadGuid(create.Json, "caseId");
        if (submissionId is null)
        {
            return new SubmissionOutcome(create.Status, null, caseId, null, LocalProblem("create-without-id", "The 201 answer carries no submissionId."))
            {
                FailedStep = "create",
            };
        }

        _logger.LogInformation("Submission {SubmissionId} announced (case {CaseId})", submissionId, caseId);

        // 4. Upload attachments, each one its own JWE.
        var attachmentStatuses = new List<int>();
        if (!options.SkipAttachmentUpload)
        {
            foreach (var attachment in application.Attachments)
            {
                var jwe = JweEncryptor.Encrypt(attachment.Content, recipientKey, jweKid, options.Cty, options.Compress);
                var upload = await SendAsync(
                    () => new HttpRequestMessage(HttpMethod.Put, $"v1/submissions/{submissionId}/attachments/{attachment.AttachmentId}")
                    {
                        Content = JoseContent(jwe),
                    },
                    ct).ConfigureAwait(false);
                attachmentStatuses.Add(upload.Status);
                if (upload.Status != 204)
                {
                    _logger.LogWarning("Attachment upload for submission {SubmissionId} answered {Status}", submissionId, upload.Status);
                    return new SubmissionOutcome(create.Status, submissionId, caseId, null, upload.ProblemOrDefault("attachment-upload-failed"))
                    {
                        FailedStep = "attachment",
                        AttachmentStatuses = attachmentStatuses,
                    };
                }
            }
        }

        // 5. Submit metadata and data.
        var metadata = BuildMetadata(application, options);
        var metadataBytes = Encoding.UTF8.GetBytes(metadata.ToJsonString());
        var encryptedMetadata = JweEncryptor.Encrypt(metadataBytes, recipientKey, jweKid, null, options.Compress);
        var encryptedData = JweEncryptor.Encrypt(application.Xml, recipientKey, jweKid, options.Cty, options.Compress);
        var body = new JsonObject
        {
            ["encryptedMetadata"] = encryptedMetadata,
            ["encryptedData"] = encryptedData,
        };
        var submit = await SendAsync(() => JsonRequest(HttpMethod.Put, $"v1/submissions/{submissionId}", body), ct).ConfigureAwait(false);
        _logger.LogInformation("Submission {SubmissionId} sent, answered {Status}", submissionId, submit.Status);

        return new SubmissionOutcome(
            create.Status,
            submissionId,
            caseId,
            submit.Status,
            submit.Status == 202 ? null : submit.ProblemOrDefault("submit-failed"))
        {
            FailedStep = submit.Status == 202 ? null : "submit",
            AttachmentStatuses = attachmentStatuses,
        };
    }

    /// <summary>GET /v1/submissions/{submissionId}; throws <see cref="HttpRequestException"/> on a non-2xx answer.</summary>
    public Task<JsonObject> GetSubmissionAsync(Guid submissionId, CancellationToken ct = default) =>
        GetJsonAsync($"v1/submissions/{submissionId}", ct);

    /// <summary>GET /v1/cases/{caseId}/events (the Security Event Tokens of the case); throws on a non-2xx answer.</summary>
    public Task<JsonObject> GetEventLogAsync(Guid caseId, CancellationToken ct = default) =>
        GetJsonAsync($"v1/cases/{caseId}/events", ct);

    /// <summary>The metadata document (before encryption) for an application, as the sender builds it.</summary>
    public JsonObject BuildMetadata(DemoApplication application, SubmitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(application);
        options ??= new SubmitOptions();

        var dataHash = Sha512.Hex(application.Xml);
        if (options.TamperDataHash)
        {
            dataHash = Tamper(dataHash);
        }

        var attachments = new JsonArray();
        for (var i = 0; i < application.Attachments.Count; i++)
        {
            var a = application.Attachments[i];
            var hash = Sha512.Hex(a.Content);
            if (options.TamperAttachmentHash && i == 0)
            {
                hash = Tamper(hash);
            }

            attachments.Add(new JsonObject
            {
                ["attachmentId"] = a.AttachmentId.ToString(),
                ["hash"] = new JsonObject { ["type"] = "sha512", ["content"] = hash },
                ["purpose"] = "attachment",
                ["filename"] = a.FileName,
                ["mimeType"] = a.MimeType,
            });
        }

        // The metadata schema 1.x allows only type/version/content per authentication record, so the trust level
        // travels inside the identification report: a JWS the BundID identity provider signed at login.
        var reportId = DeterministicReportId(application);
        var report = (IdentityProvider ?? BundIdIdentityProvider.Shared).IssueReport(application.TrustLevel, reportId, _time.GetUtcNow());
        // The schema allows exactly one reply channel: the citizen's BundID postbox when there is one, e-mail otherwise.
        var replyChannel = application.MailboxUuid is { } mailbox
            ? new JsonObject { ["idBundDeMailbox"] = new JsonObject { ["mailboxUuid"] = mailbox.ToString() } }
            : new JsonObject { ["eMail"] = new JsonObject { ["address"] = ReplyEmail } };

        return new JsonObject
        {
            ["$schema"] = MetadataSchemaUri,
            ["contentStructure"] = new JsonObject
            {
                ["data"] = new JsonObject
                {
                    ["hash"] = new JsonObject { ["type"] = "sha512", ["content"] = dataHash },
                    ["submissionSchema"] = new JsonObject
                    {
                        ["schemaUri"] = application.SchemaUri,
                        ["mimeType"] = "application/xml",
                    },
                },
                ["attachments"] = attachments,
            },
            ["publicServiceType"] = new JsonObject
            {
                ["name"] = application.ServiceName,
                ["identifier"] = application.LeikaUrn,
            },
            ["authenticationInformation"] = new JsonArray
            {
                new JsonObject
                {
                    ["type"] = "identificationReport",
                    ["version"] = "1.0.0",
                    ["content"] = report,
                },
            },
            ["replyChannel"] = replyChannel,
        };
    }

    private static JsonObject BuildAnnouncement(DemoApplication application, Guid destinationId)
    {
        var announced = new JsonArray();
        foreach (var a in application.Attachments)
        {
            announced.Add(a.AttachmentId.ToString());
        }

        return new JsonObject
        {
            ["destinationId"] = destinationId.ToString(),
            ["announcedAttachments"] = announced,
            ["serviceType"] = new JsonObject
            {
                ["name"] = application.ServiceName,
                ["identifier"] = application.LeikaUrn,
            },
        };
    }

    private static JsonObject? CheckEncryptionKey(JsonObject jwk)
    {
        if (!string.Equals(Str(jwk["kty"]), "RSA", StringComparison.Ordinal))
        {
            return LocalProblem("key-unusable", "The destination key is not an RSA key.");
        }

        var alg = Str(jwk["alg"]);
        if (alg is not null && alg != "RSA-OAEP-256")
        {
            return LocalProblem("key-unusable", "The destination key is not meant for RSA-OAEP-256.");
        }

        if (jwk["key_ops"] is JsonArray ops && !ops.Any(o => Str(o) == "wrapKey"))
        {
            return LocalProblem("key-unusable", "The destination key does not allow wrapKey.");
        }

        if (Str(jwk["use"]) is { } use && use != "enc")
        {
            return LocalProblem("key-unusable", "The destination key is not an encryption key.");
        }

        return null;
    }

    private async Task<(string? Token, JsonObject? Problem)> TryGetTokenAsync(CancellationToken ct)
    {
        await _tokenGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_accessToken is not null && _time.GetUtcNow() < _tokenRefreshAt)
            {
                return (_accessToken, null);
            }

            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "client_credentials"),
                new("client_id", _clientId),
                new("client_secret", _clientSecret),
            };
            if (!string.IsNullOrWhiteSpace(Scope))
            {
                form.Add(new("scope", Scope));
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "token") { Content = new FormUrlEncodedContent(form) };
            using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            var json = await ReadJsonAsync(response, ct).ConfigureAwait(false);
            var token = Str(json?["access_token"]);
            if (!response.IsSuccessStatusCode || string.IsNullOrEmpty(token))
            {
                _logger.LogWarning("Token request answered {Status}", (int)response.StatusCode);
                return (null, json ?? LocalProblem("token-failed", $"Token endpoint answered {(int)response.StatusCode}."));
            }

            var lifetime = TimeSpan.FromSeconds(ReadExpiresIn(json));
            // Renew a little before expiry so a token never runs out in the middle of a submission.
            var margin = TimeSpan.FromSeconds(Math.Min(30, lifetime.TotalSeconds / 2));
            _accessToken = token;
            _tokenRefreshAt = _time.GetUtcNow() + lifetime - margin;
            return (token, null);
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    private static double ReadExpiresIn(JsonObject? json)
    {
        var node = json?["expires_in"];
        if (node is JsonValue value)
        {
            if (value.TryGetValue<double>(out var d))
            {
                return Math.Max(0, d);
            }

            if (value.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d))
            {
                return Math.Max(0, d);
            }
        }

        return 300; // RFC 6749 makes expires_in optional; assume a short life.
    }

    private async Task InvalidateTokenAsync(string rejected, CancellationToken ct)
    {
        await _tokenGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Another caller may already have fetched a fresh one.
            if (_accessToken == rejected)
            {
                _accessToken = null;
            }
        }
        finally
        {
            _tokenGate.Release();
        }
    }

    /// <summary>Sends with a bearer token; on 401 fetches a fresh token once and repeats.</summary>
    private async Task<ApiAnswer> SendAsync(Func<HttpRequestMessage> createRequest, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (token, problem) = await TryGetTokenAsync(ct).ConfigureAwait(false);
            if (token is null)
            {
                return new ApiAnswer(401, problem);
            }

            using var request = createRequest();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json"));
            using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                await InvalidateTokenAsync(token, ct).ConfigureAwait(false);
                continue;
            }

            return new ApiAnswer((int)response.StatusCode, await ReadJsonAsync(response, ct).ConfigureAwait(false));
        }
    }

    private async Task<JsonObject> GetJsonAsync(string path, CancellationToken ct)
    {
        var answer = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), ct).ConfigureAwait(false);
        if (answer.Status is < 200 or > 299 || answer.Json is null)
        {
            throw new HttpRequestException(
                $"GET {path} answered {answer.Status}: {Str(answer.Json?["type"]) ?? "no problem type"}",
                null,
                (HttpStatusCode)answer.Status);
        }

        return answer.Json;
    }

    private static async Task<JsonObject?> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength == 0)
        {
            return null;
        }

        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static HttpRequestMessage JsonRequest(HttpMethod method, string path, JsonObject body) =>
        new(method, path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };

    private static ByteArrayContent JoseContent(string compactJwe)
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(compactJwe));
        content.Headers.ContentType = new MediaTypeHeaderValue(JoseMediaType);
        return content;
    }

    private static Guid? ReadGuid(JsonObject json, string property) =>
        Guid.TryParse(Str(json[property]), out var g) ? g : null;

    private static string? Str(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    private static SubmissionOutcome Stopped(string step, JsonObject? problem) =>
        new(0, null, null, null, problem) { FailedStep = step };

    private static JsonObject LocalProblem(string kind, string detail) => new()
    {
        ["type"] = "urn:integrationhub:simulator:efa:" + kind,
        ["title"] = "The online service could not go on",
        ["detail"] = detail,
    };

    private static string Tamper(string hex)
    {
        // Same length and alphabet, different value: the hub must compare, not just check the format.
        var first = hex[0] == '0' ? '1' : '0';
        return first + hex[1..];
    }

    private static string DeterministicReportId(DemoApplication application)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(application.Xml, digest);
        return new Guid(digest[..16]).ToString();
    }

    private sealed record ApiAnswer(int Status, JsonObject? Json)
    {
        public JsonObject ProblemOrDefault(string kind) =>
            Json ?? LocalProblem(kind, $"The hub answered {Status} without a problem body.");
    }
}
