using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using static IntegrationHub.Simulators.DeliveryService.DeliveryServiceSimulator;

namespace IntegrationHub.Simulators.DeliveryService;

/// <summary>The HTTP face of the delivery service simulator (paths as in FIT-Connect's Submission API v1).</summary>
internal static class DeliveryServiceEndpoints
{
    private const string ProblemPrefix = "urn:integrationhub:simulator:fitconnect:";
    private const int MaxJsonBytes = 48 * 1024 * 1024;
    private const int MaxAttachmentBytes = 64 * 1024 * 1024;

    public static void Map(IEndpointRouteBuilder routes, DeliveryServiceSimulator sim)
    {
        var app = routes.MapGroup(Prefix);
        app.MapPost("/token", context => TokenAsync(context, sim)).DisableAntiforgery();
        app.MapGet("/.well-known/jwks.json", () => Results.Json(new JsonObject { ["keys"] = new JsonArray(sim.OwnJwk()) }));

        // Sender API
        app.MapGet("/v1/destinations/{destinationId:guid}", (Guid destinationId, HttpContext http) => Destination(sim, http, destinationId));
        app.MapGet("/v1/destinations/{destinationId:guid}/keys/{kid}", (Guid destinationId, string kid, HttpContext http) => Key(sim, http, destinationId, kid));
        app.MapPost("/v1/submissions", http => Run(http, CreateAsync(sim, http)));
        app.MapPut("/v1/submissions/{submissionId:guid}/attachments/{attachmentId:guid}",
            (Guid submissionId, Guid attachmentId, HttpContext http) => UploadAsync(sim, http, submissionId, attachmentId));
        app.MapPut("/v1/submissions/{submissionId:guid}", (Guid submissionId, HttpContext http) => SubmitAsync(sim, http, submissionId));

        // Both sides, and the subscriber API
        app.MapGet("/v1/submissions/{submissionId:guid}", (Guid submissionId, HttpContext http) => GetAsync(sim, http, submissionId));
        app.MapGet("/v1/destinations/{destinationId:guid}/submissions", (Guid destinationId, int? offset, int? limit, HttpContext http) =>
            ListAsync(sim, http, destinationId, offset, limit));
        app.MapGet("/v1/submissions/{submissionId:guid}/attachments/{attachmentId:guid}",
            (Guid submissionId, Guid attachmentId, HttpContext http) => AttachmentAsync(sim, http, submissionId, attachmentId));
        app.MapPost("/v1/cases/{caseId:guid}/events", (Guid caseId, HttpContext http) => PostEventAsync(sim, http, caseId));
        app.MapGet("/v1/cases/{caseId:guid}/events", (Guid caseId, int? offset, int? limit, HttpContext http) => EventLog(sim, http, caseId, offset, limit));

        // Test and operator controls (the self-service portal's part, and faults)
        app.MapPost("/_destinations", http => Run(http, RegisterAsync(sim, http)));
        app.MapPost("/_faults", http => Run(http, FaultsAsync(sim, http)));
        app.MapGet("/_submissions", () => Results.Json(sim.Submissions));
    }

    private static async Task Run(HttpContext http, Task<IResult> result) => await (await result).ExecuteAsync(http);

    private static IResult Problem(int status, string kind, string detail) =>
        Results.Json(new JsonObject { ["type"] = ProblemPrefix + kind, ["title"] = kind, ["status"] = status, ["detail"] = detail },
            contentType: "application/problem+json", statusCode: status);

    private static AccessGrant? GrantOf(DeliveryServiceSimulator sim, HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return sim.Grant(header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null);
    }

    private static IResult Unauthorized() => Problem(401, "unauthorized", "A valid bearer token is required.");

    private static async Task<IResult?> InjectedFaultAsync(DeliveryServiceSimulator sim, HttpContext http)
    {
        // Run-time faults (see /_faults/fitconnect) answer the call themselves.
        if (await sim.Faults.ApplyAsync(http, "fitconnect")) return Results.Empty;
        if (sim.Faults.Latency > TimeSpan.Zero) await Task.Delay(sim.Faults.Latency, http.RequestAborted);
        return sim.Faults.TryConsumeFailure(out var status) ? Problem(status, "injected-fault", $"Fault injected: {status}.") : null;
    }

    private static async Task TokenAsync(HttpContext http, DeliveryServiceSimulator sim)
    {
        IResult result;
        if (!http.Request.HasFormContentType)
            result = Problem(400, "invalid-request", "Send application/x-www-form-urlencoded.");
        else
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            string? clientId = form["client_id"], secret = form["client_secret"];
            if (form["grant_type"] != "client_credentials")
                result = Problem(400, "unsupported-grant-type", "grant_type must be client_credentials.");
            else if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret)
                     || sim.Authenticate(clientId, secret, out var subscriber, out var destinations) is null)
                result = Problem(401, "invalid-client", "Unknown client or wrong secret.");
            else
            {
                // A subscriber may ask for some of its destinations; asking for another one is refused.
                var requested = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var scoped = new HashSet<Guid>();
                var invalid = false;
                foreach (var scope in requested)
                {
                    var prefix = subscriber ? "subscribe:destination:" : "send:destination:";
                    if (scope.StartsWith(prefix, StringComparison.Ordinal) && Guid.TryParse(scope[prefix.Length..], out var id) && destinations.Contains(id))
                        scoped.Add(id);
                    else if (subscriber || !scope.StartsWith("send:", StringComparison.Ordinal))
                        invalid = true;
                }
                if (invalid)
                    result = Problem(400, "invalid-scope", "A requested scope is not granted to this client.");
                else
                {
                    var granted = scoped.Count > 0 ? scoped : destinations;
                    var scopeText = string.Join(' ', granted.Select(d => (subscriber ? "subscribe:destination:" : "send:destination:") + d));
                    result = Results.Json(new
                    {
                        access_token = sim.IssueToken(clientId, subscriber, granted),
                        token_type = "Bearer",
                        expires_in = (int)sim.AccessTokenLifetime.TotalSeconds,
                        scope = scopeText,
                    });
                }
            }
        }
        await result.ExecuteAsync(http);
    }

    private static IResult Destination(DeliveryServiceSimulator sim, HttpContext http, Guid destinationId)
    {
        if (GrantOf(sim, http) is null) return Unauthorized();
        DestinationRegistration? d;
        lock (sim.Gate) d = sim.DestinationTable.GetValueOrDefault(destinationId);
        if (d is null) return Problem(404, "destination-not-found", $"Destination {destinationId} does not exist.");
        var services = new JsonArray((d.Services ?? []).Select(s => (JsonNode)new JsonObject { ["identifier"] = s }).ToArray());
        return Results.Json(new JsonObject
        {
            ["destinationId"] = destinationId,
            ["status"] = "active",
            ["services"] = services,
            ["encryptionKid"] = (string?)d.EncryptionKey["kid"],
            ["metadataVersions"] = new JsonArray("1.2.0"),
        });
    }

    private static IResult Key(DeliveryServiceSimulator sim, HttpContext http, Guid destinationId, string kid)
    {
        if (GrantOf(sim, http) is null) return Unauthorized();
        DestinationRegistration? d;
        lock (sim.Gate) d = sim.DestinationTable.GetValueOrDefault(destinationId);
        if (d is null) return Problem(404, "destination-not-found", $"Destination {destinationId} does not exist.");
        if ((string?)d.EncryptionKey["kid"] == kid) return Results.Json(d.EncryptionKey);
        if ((string?)d.SignatureKey["kid"] == kid) return Results.Json(d.SignatureKey);
        return Problem(404, "key-not-found", $"Destination {destinationId} has no key '{kid}'.");
    }

    private static async Task<IResult> CreateAsync(DeliveryServiceSimulator sim, HttpContext http)
    {
        if (GrantOf(sim, http) is not { Subscriber: false } grant) return Unauthorized();
        var body = await ReadJsonAsync(http);
        if (body is null || !Guid.TryParse((string?)Str(body["destinationId"]), out var destinationId) || body["serviceType"] is not JsonObject serviceType
            || Str(serviceType["identifier"]) is not { } identifier)
            return Problem(400, "invalid-request", "destinationId and serviceType.identifier are required.");
        var announced = new List<Guid>();
        foreach (var node in body["announcedAttachments"] as JsonArray ?? [])
        {
            if (!Guid.TryParse(Str(node), out var id) || announced.Contains(id))
                return Problem(400, "invalid-request", "announcedAttachments must be distinct UUIDs.");
            announced.Add(id);
        }
        var submission = new StoredSubmission
        {
            Id = Guid.NewGuid(),
            CaseId = Guid.NewGuid(),
            DestinationId = destinationId,
            SenderClientId = grant.ClientId,
            ServiceIdentifier = identifier,
            ServiceName = Str(serviceType["name"]) ?? string.Empty,
            Announced = announced,
            CreatedAt = sim.Time.GetUtcNow(),
        };
        lock (sim.Gate)
        {
            if (!sim.DestinationTable.TryGetValue(destinationId, out var destination))
                return Problem(404, "destination-not-found", $"Destination {destinationId} does not exist.");
            if (destination.Services is { Count: > 0 } offered && !offered.Contains(identifier))
                return Problem(422, "service-not-offered", $"Destination {destinationId} does not offer '{identifier}'.");
            sim.SubmissionTable[submission.Id] = submission;
        }
        return Results.Json(new { destinationId, submissionId = submission.Id, caseId = submission.CaseId }, statusCode: 201);
    }

    private static async Task<IResult> UploadAsync(DeliveryServiceSimulator sim, HttpContext http, Guid submissionId, Guid attachmentId)
    {
        if (GrantOf(sim, http) is not { Subscriber: false } grant) return Unauthorized();
        if (!IsJose(http.Request.ContentType)) return Problem(415, "unsupported-media-type", "Attachments are uploaded as application/jose.");
        var jwe = await ReadTextAsync(http, MaxAttachmentBytes);
        if (jwe is null) return Problem(413, "payload-too-large", $"At most {MaxAttachmentBytes} bytes per attachment.");
        if (!IsCompactJwe(jwe)) return Problem(400, "malformed-jwe", "The attachment is not a compact JWE.");
        lock (sim.Gate)
        {
            if (sim.SubmissionTable.GetValueOrDefault(submissionId) is not { } s || s.SenderClientId != grant.ClientId)
                return Problem(404, "submission-not-found", $"Submission {submissionId} does not exist for this client.");
            if (s.Status != SubmissionStates.Incomplete) return Problem(409, "submission-not-incomplete", "The submission was submitted already.");
            if (!s.Announced.Contains(attachmentId)) return Problem(422, "attachment-not-announced", $"Attachment {attachmentId} was not announced.");
            s.Attachments[attachmentId] = jwe;
        }
        return Results.NoContent();
    }

    private static async Task<IResult> SubmitAsync(DeliveryServiceSimulator sim, HttpContext http, Guid submissionId)
    {
        if (GrantOf(sim, http) is not { Subscriber: false } grant) return Unauthorized();
        var body = await ReadJsonAsync(http);
        var metadata = Str(body?["encryptedMetadata"]);
        var data = Str(body?["encryptedData"]);
        if (metadata is null || data is null || !IsCompactJwe(metadata) || !IsCompactJwe(data))
            return Problem(400, "invalid-request", "encryptedMetadata and encryptedData must be compact JWEs.");
        StoredSubmission submission;
        lock (sim.Gate)
        {
            if (sim.SubmissionTable.GetValueOrDefault(submissionId) is not { } s || s.SenderClientId != grant.ClientId)
                return Problem(404, "submission-not-found", $"Submission {submissionId} does not exist for this client.");
            if (s.Status != SubmissionStates.Incomplete) return Problem(409, "submission-not-incomplete", "The submission was submitted already.");
            if (s.Announced.Except(s.Attachments.Keys).Any()) return Problem(422, "attachment-missing", "Announced attachments are missing.");
            s.EncryptedMetadata = metadata;
            s.EncryptedData = data;
            s.Status = SubmissionStates.Submitted;
            s.SubmittedAt = sim.Time.GetUtcNow();
            sim.AppendOwnEvent(s, SubmitSubmission);
            submission = s;
        }
        sim.Logger.LogInformation("Submission {SubmissionId} submitted to destination {DestinationId}", submissionId, submission.DestinationId);
        sim.Notify(submission);
        return Results.Json(new { destinationId = submission.DestinationId, submissionId, caseId = submission.CaseId }, statusCode: 202);
    }

    private static async Task<IResult> GetAsync(DeliveryServiceSimulator sim, HttpContext http, Guid submissionId)
    {
        var grant = GrantOf(sim, http);
        if (grant is null) return Unauthorized();
        if (grant.Subscriber && await InjectedFaultAsync(sim, http) is { } fault) return fault;
        lock (sim.Gate)
        {
            var s = sim.SubmissionTable.GetValueOrDefault(submissionId);
            if (grant.Subscriber && s is not null && grant.Destinations.Contains(s.DestinationId) && s.Status != SubmissionStates.Incomplete)
                return Results.Json(new JsonObject
                {
                    ["destinationId"] = s.DestinationId,
                    ["submissionId"] = s.Id,
                    ["caseId"] = s.CaseId,
                    ["serviceType"] = new JsonObject { ["identifier"] = s.ServiceIdentifier, ["name"] = s.ServiceName },
                    ["encryptedMetadata"] = s.EncryptedMetadata,
                    ["encryptedData"] = s.EncryptedData,
                    ["attachments"] = new JsonArray(s.Announced.Select(a => (JsonNode)a.ToString("D")).ToArray()),
                });
            if (!grant.Subscriber && s is not null && s.SenderClientId == grant.ClientId)
                return Results.Json(new JsonObject
                {
                    ["destinationId"] = s.DestinationId,
                    ["submissionId"] = s.Id,
                    ["caseId"] = s.CaseId,
                    ["status"] = s.Status,
                    ["serviceType"] = new JsonObject { ["identifier"] = s.ServiceIdentifier, ["name"] = s.ServiceName },
                    ["announcedAttachments"] = new JsonArray(s.Announced.Select(a => (JsonNode)a.ToString("D")).ToArray()),
                });
        }
        return Problem(404, "submission-not-found", $"Submission {submissionId} does not exist for this client.");
    }

    private static async Task<IResult> ListAsync(DeliveryServiceSimulator sim, HttpContext http, Guid destinationId, int? offset, int? limit)
    {
        if (GrantOf(sim, http) is not { Subscriber: true } grant) return Unauthorized();
        if (!grant.Destinations.Contains(destinationId)) return Problem(403, "destination-forbidden", $"The token does not subscribe {destinationId}.");
        if (await InjectedFaultAsync(sim, http) is { } fault) return fault;
        var skip = Math.Max(0, offset ?? 0);
        var take = Math.Clamp(limit ?? 100, 1, 500);
        lock (sim.Gate)
        {
            // What waits for pickup: submitted and not yet accepted or rejected.
            var ready = sim.SubmissionTable.Values.Where(s => s.DestinationId == destinationId && s.Status == SubmissionStates.Submitted)
                .OrderBy(s => s.SubmittedAt).ToList();
            var page = ready.Skip(skip).Take(take).Select(s => (JsonNode)new JsonObject
            {
                ["destinationId"] = s.DestinationId,
                ["submissionId"] = s.Id,
                ["caseId"] = s.CaseId,
            }).ToArray();
            return Results.Json(new JsonObject { ["offset"] = skip, ["count"] = page.Length, ["totalCount"] = ready.Count, ["submissions"] = new JsonArray(page) });
        }
    }

    private static async Task<IResult> AttachmentAsync(DeliveryServiceSimulator sim, HttpContext http, Guid submissionId, Guid attachmentId)
    {
        if (GrantOf(sim, http) is not { Subscriber: true } grant) return Unauthorized();
        if (await InjectedFaultAsync(sim, http) is { } fault) return fault;
        string? jwe;
        lock (sim.Gate)
        {
            var s = sim.SubmissionTable.GetValueOrDefault(submissionId);
            jwe = s is not null && grant.Destinations.Contains(s.DestinationId) && s.Status != SubmissionStates.Incomplete
                ? s.Attachments.GetValueOrDefault(attachmentId) : null;
        }
        return jwe is null
            ? Problem(404, "attachment-not-found", $"Submission {submissionId} has no attachment {attachmentId} for this client.")
            : Results.Bytes(Encoding.ASCII.GetBytes(jwe), "application/jose");
    }

    /// <summary>
    /// A subscriber's accept- or reject-submission: a SET signed PS512 with the destination's registered signature key,
    /// iss = the destination, sub and txn naming the submission and this case, the submission's authentication tags, and
    /// for a rejection at least one problem. The same jti again is a duplicate (200, kept once); a second decision is
    /// refused (409).
    /// </summary>
    private static async Task<IResult> PostEventAsync(DeliveryServiceSimulator sim, HttpContext http, Guid caseId)
    {
        if (GrantOf(sim, http) is not { Subscriber: true } grant) return Unauthorized();
        if (await InjectedFaultAsync(sim, http) is { } fault) return fault;
        if (!IsJose(http.Request.ContentType)) return Problem(415, "unsupported-media-type", "Events are posted as application/jose.");
        var text = await ReadTextAsync(http, 256 * 1024);
        if (text is null || EventTokens.Parse(text.Trim()) is not { } token) return Problem(400, "invalid-event", "The body is not a compact JWS.");
        if (token.Event is not { } ev || token.Jti is null || !Guid.TryParse(token.Jti, out _) || token.Claims["iat"] is not JsonValue
            || token.Subject is not { } sub || !sub.StartsWith("submission:", StringComparison.Ordinal) || !Guid.TryParse(sub["submission:".Length..], out var submissionId)
            || token.Transaction != $"case:{caseId:D}")
            return Problem(400, "invalid-event", "The token needs jti (UUID), iat, sub submission:{id}, txn case:{caseId} and exactly one event.");
        if (ev.Uri is not (AcceptSubmission or RejectSubmission))
            return Problem(422, "unsupported-event", $"Subscribers post accept-submission or reject-submission, not {ev.Uri}.");

        lock (sim.Gate)
        {
            if (sim.SubmissionTable.GetValueOrDefault(submissionId) is not { } s || s.CaseId != caseId || !grant.Destinations.Contains(s.DestinationId)
                || s.Status == SubmissionStates.Incomplete)
                return Problem(404, "case-not-found", $"Case {caseId} has no submission {submissionId} for this client.");
            var destination = sim.DestinationTable[s.DestinationId];
            if (EventTokens.Verify(token, destination.SignatureKey) is { } failure) return Problem(422, "signature-invalid", failure);
            if (token.Issuer != s.DestinationId.ToString("D")) return Problem(422, "invalid-issuer", "iss must be the destination's id.");
            if (ev.Payload["authenticationTags"]?.ToJsonString() != s.AuthenticationTags().ToJsonString())
                return Problem(422, "authentication-tags-mismatch", "authenticationTags do not match the submission's encrypted parts.");
            if (ev.Uri == RejectSubmission && ev.Payload["problems"] is not JsonArray { Count: > 0 })
                return Problem(422, "problems-missing", "A rejection names at least one problem.");
            if (sim.EventTable.Any(e => e.CaseId == caseId && e.Jti == token.Jti))
                return Results.Json(new { duplicate = true }, statusCode: 200);
            if (s.Status != SubmissionStates.Submitted)
                return Problem(409, "submission-already-decided", $"Submission {submissionId} is {s.Status} already.");
            s.Status = ev.Uri == AcceptSubmission ? SubmissionStates.Accepted : SubmissionStates.Rejected;
            sim.EventTable.Add(new RecordedEvent(caseId, submissionId, ev.Uri, token.Jti, token.Issuer!, token.Kid!, ev.Payload, text.Trim(), sim.Time.GetUtcNow()));
        }
        sim.Logger.LogInformation("Submission {SubmissionId}: {Event} recorded", submissionId, ev.Uri[EventsBase.Length..]);
        return Results.StatusCode(201);
    }

    private static IResult EventLog(DeliveryServiceSimulator sim, HttpContext http, Guid caseId, int? offset, int? limit)
    {
        if (GrantOf(sim, http) is not { } grant) return Unauthorized();
        lock (sim.Gate)
        {
            var s = sim.SubmissionTable.Values.FirstOrDefault(x => x.CaseId == caseId);
            if (s is null || (grant.Subscriber ? !grant.Destinations.Contains(s.DestinationId) : s.SenderClientId != grant.ClientId))
                return Problem(404, "case-not-found", $"Case {caseId} does not exist for this client.");
            var all = sim.EventTable.Where(e => e.CaseId == caseId).ToList();
            var page = all.Skip(Math.Max(0, offset ?? 0)).Take(Math.Clamp(limit ?? 100, 1, 500)).Select(e => (JsonNode)e.Token).ToArray();
            return Results.Json(new JsonObject { ["offset"] = Math.Max(0, offset ?? 0), ["count"] = page.Length, ["totalCount"] = all.Count, ["eventLog"] = new JsonArray(page) });
        }
    }

    /// <summary>POST /_destinations {destinationId, encryptionKey, signatureKey, callbackUrl, callbackSecret, services, subscriber: {clientId, clientSecret}}.</summary>
    private static async Task<IResult> RegisterAsync(DeliveryServiceSimulator sim, HttpContext http)
    {
        var body = await ReadJsonAsync(http);
        if (body is null || !Guid.TryParse(Str(body["destinationId"]), out var id) || body["encryptionKey"] is not JsonObject enc || body["signatureKey"] is not JsonObject sig)
            return Problem(400, "registration-invalid", "destinationId, encryptionKey and signatureKey (JWKs with kid) are required.");
        try
        {
            sim.RegisterDestination(new DestinationRegistration(id, (JsonObject)enc.DeepClone(), (JsonObject)sig.DeepClone(),
                Uri.TryCreate(Str(body["callbackUrl"]), UriKind.Absolute, out var url) ? url : null, Str(body["callbackSecret"]),
                (body["services"] as JsonArray)?.Select(Str).OfType<string>().ToList()));
        }
        catch (ArgumentException e)
        {
            return Problem(400, "registration-invalid", e.Message);
        }
        if (body["subscriber"] is JsonObject subscriber && Str(subscriber["clientId"]) is { } clientId && Str(subscriber["clientSecret"]) is { } secret)
            sim.RegisterSubscriber(clientId, secret, id);
        if (body["sender"] is JsonObject sender && Str(sender["clientId"]) is { } senderId && Str(sender["clientSecret"]) is { } senderSecret)
            sim.RegisterSender(senderId, senderSecret);
        return Results.NoContent();
    }

    /// <summary>POST /_faults {"failNext": n, "statusCode": 503, "latencyMs": 0, "reset": false, "callbacks": true, "duplicateCallbacks": false}.</summary>
    private static async Task<IResult> FaultsAsync(DeliveryServiceSimulator sim, HttpContext http)
    {
        var body = await ReadJsonAsync(http);
        if (body is null) return Problem(400, "faults-invalid", "Expected a JSON object.");
        try
        {
            if (body["reset"] is JsonValue r && r.TryGetValue<bool>(out var reset) && reset) sim.Faults.Reset();
            if (body["failNext"] is JsonValue n) sim.Faults.FailNext(n.GetValue<int>(), body["statusCode"] is JsonValue s ? s.GetValue<int>() : 503);
            if (body["latencyMs"] is JsonValue l) sim.Faults.Latency = TimeSpan.FromMilliseconds(l.GetValue<double>());
            if (body["callbacks"] is JsonValue c) sim.CallbacksEnabled = c.GetValue<bool>();
            if (body["duplicateCallbacks"] is JsonValue d) sim.DuplicateCallbacks = d.GetValue<bool>();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            return Problem(400, "faults-invalid", e.Message);
        }
        return Results.Json(new { pendingFailures = sim.Faults.PendingFailures, latencyMs = sim.Faults.Latency.TotalMilliseconds, sim.CallbacksEnabled, sim.DuplicateCallbacks });
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool IsJose(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("application/jose", StringComparison.OrdinalIgnoreCase);

    private static bool IsCompactJwe(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 5 && parts[0].Length > 0 && parts[4].Length > 0
            && parts.All(p => p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
    }

    private static async Task<string?> ReadTextAsync(HttpContext http, int maxBytes) =>
        await ReadBytesAsync(http, maxBytes) is { } bytes ? Encoding.ASCII.GetString(bytes) : null;

    private static async Task<byte[]?> ReadBytesAsync(HttpContext http, int maxBytes)
    {
        // Attachments and submissions may exceed the server-wide limit (sized for handovers); each read has its own.
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes + 1L;
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static async Task<JsonObject?> ReadJsonAsync(HttpContext http)
    {
        var bytes = await ReadBytesAsync(http, MaxJsonBytes);
        if (bytes is null) return null;
        try { return JsonNode.Parse(bytes) as JsonObject; }
        catch (JsonException) { return null; }
    }
}
