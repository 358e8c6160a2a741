using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Contracts.Messages;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Observability;
using IntegrationHub.Problems;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Intake;

/// <summary>The FIT-Connect Submission API v1, sender side: create, upload attachments, submit, read status and events.</summary>
public static class SubmissionApi
{
    public static void MapSubmissionApi(this IEndpointRouteBuilder app)
    {
        var submissions = app.MapGroup("/v1/submissions").WithTags("Submissions").AddEndpointFilter<RequireSenderToken>()
            .WithMetadata(new SenderApiEndpoint()).RequireRateLimiting(RateLimits.SenderPolicy);
        submissions.MapPost("", CreateAsync);
        submissions.MapPut("/{submissionId:guid}/attachments/{attachmentId:guid}", UploadAttachmentAsync);
        submissions.MapPut("/{submissionId:guid}", SubmitAsync);
        submissions.MapGet("/{submissionId:guid}", GetAsync);
        app.MapGroup("/v1/cases").WithTags("Events").AddEndpointFilter<RequireSenderToken>()
            .WithMetadata(new SenderApiEndpoint()).RequireRateLimiting(RateLimits.SenderPolicy)
            .MapGet("/{caseId:guid}/events", GetEventLogAsync);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, TenantDirectory tenants, SenderClients clients, HubDbContext db,
        IOptions<HubOptions> options, ILoggerFactory loggers)
    {
        var (body, problem) = await ReadJsonAsync(http.Request, 64 * 1024);
        if (problem is not null) return problem;
        if (!Guid.TryParse(Str(body!["destinationId"]), out var destinationId))
            return ProblemResults.Problem(ProblemTypes.InvalidRequest, "destinationId must be a UUID.");
        var serviceType = body["serviceType"] as JsonObject;
        var identifier = Str(serviceType?["identifier"]);
        var serviceName = Str(serviceType?["name"]) ?? string.Empty;
        if (identifier is null)
            return ProblemResults.Problem(ProblemTypes.InvalidRequest, "serviceType.identifier is required.");
        var announced = new List<Guid>();
        if (body["announcedAttachments"] is not (null or JsonArray))
            return ProblemResults.Problem(ProblemTypes.InvalidRequest, "announcedAttachments must be an array of UUIDs.");
        foreach (var node in body["announcedAttachments"] as JsonArray ?? [])
        {
            if (!Guid.TryParse(Str(node), out var id) || announced.Contains(id))
                return ProblemResults.Problem(ProblemTypes.InvalidRequest, "announcedAttachments must be distinct UUIDs.");
            announced.Add(id);
        }
        if (announced.Count > options.Value.Limits.MaxAttachments)
            return ProblemResults.Problem(ProblemTypes.InvalidRequest, $"At most {options.Value.Limits.MaxAttachments} attachments may be announced.");

        if (tenants.FindDestination(destinationId) is not { } entry)
            return ProblemResults.Problem(ProblemTypes.DestinationNotFound, $"Destination {destinationId} is not hosted here.");
        // A disabled municipality takes nothing new; submissions created before may still be completed (they are in flight).
        if (tenants.IsDisabled(entry.Tenant.Ars))
            return ProblemResults.Problem(ProblemTypes.MunicipalityDisabled,
                $"Municipality {entry.Tenant.Ars} has been disabled by its operators; destination {destinationId} takes no new submissions. Submissions already sent are processed.");
        var client = clients.Find(RequireSenderToken.ClientOf(http));
        if (client is null || !client.Destinations.Contains(destinationId))
            return ProblemResults.Problem(ProblemTypes.DestinationForbidden, $"This client may not submit to destination {destinationId}.");
        var service = entry.Destination.Services.FirstOrDefault(s => s.Identifier == identifier);
        if (service is null)
            return ProblemResults.Problem(ProblemTypes.ServiceNotOffered, $"Destination {destinationId} does not offer '{identifier}'.");

        var now = DateTimeOffset.UtcNow;
        var submission = new Submission
        {
            Id = Guid.NewGuid(),
            CaseId = Guid.NewGuid(),
            DestinationId = destinationId,
            Ars = entry.Tenant.Ars,
            SenderClientId = client.ClientId,
            LeikaKey = service.LeikaKey,
            ServiceName = serviceName.Length > 0 ? serviceName[..Math.Min(200, serviceName.Length)] : service.Name,
            Status = SubmissionStatus.Incomplete,
            AnnouncedAttachments = string.Join(',', announced),
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Submissions.Add(submission);
        db.AddHistory(submission.Id, HistorySteps.Created, detail: $"{announced.Count} attachments announced");
        await db.SaveChangesAsync();
        HubTelemetry.SubmissionsCreated.Add(1, new KeyValuePair<string, object?>("ars", submission.Ars));
        using (loggers.CreateLogger("IntegrationHub.Intake").BeginSubmissionScope(submission))
            loggers.CreateLogger("IntegrationHub.Intake").LogInformation("Submission created for service {LeikaKey}", submission.LeikaKey);

        return Results.Json(new { destinationId, submissionId = submission.Id, caseId = submission.CaseId }, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UploadAttachmentAsync(Guid submissionId, Guid attachmentId, HttpContext http, HubDbContext db,
        IBlobStore blobs, IOptions<HubOptions> options)
    {
        var submission = await db.Submissions.FindAsync(submissionId);
        if (submission is null || submission.SenderClientId != RequireSenderToken.ClientOf(http))
            return ProblemResults.Problem(ProblemTypes.SubmissionNotFound, $"Submission {submissionId} does not exist for this client.");
        if (ExpiredProblem(submission, options.Value) is { } expired) return expired;
        if (submission.Status != SubmissionStatus.Incomplete)
            return ProblemResults.Problem(ProblemTypes.SubmissionNotIncomplete, "Attachments can only be uploaded before the submission is submitted.");
        if (!submission.AnnouncedAttachmentIds.Contains(attachmentId))
            return ProblemResults.Problem(ProblemTypes.AttachmentNotAnnounced, $"Attachment {attachmentId} was not announced for this submission.");
        if (!IsJose(http.Request.ContentType))
            return ProblemResults.Problem(ProblemTypes.UnsupportedMediaType, "Attachments are uploaded as application/jose (JWE compact serialization).");

        var limit = options.Value.Limits.MaxAttachmentBytes;
        // Kestrel's default body limit (30 MB) is below the hub's own; the inspector enforces the hub's while streaming.
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
            bodyLimit.MaxRequestBodySize = limit + 1;
        var inspector = new JweCompactInspector(http.Request.Body, limit);
        var blobName = SubmissionBlobs.Attachment(submissionId, attachmentId);
        try
        {
            await blobs.PutAsync(blobName, inspector, http.RequestAborted);
        }
        catch (PayloadTooLargeException)
        {
            await blobs.DeleteAsync(blobName);
            return ProblemResults.Problem(ProblemTypes.PayloadTooLarge, $"Attachments may have at most {limit} bytes.");
        }
        if (!inspector.IsWellFormed)
        {
            await blobs.DeleteAsync(blobName);
            return ProblemResults.Problem(ProblemTypes.MalformedJwe, "The attachment is not a JWE in compact serialization (five base64url parts).");
        }

        // The upload may have outlived the submission: then its blob goes too (the expiry job would find it otherwise).
        await db.Entry(submission).ReloadAsync();
        if (submission.Status == SubmissionStatus.Expired)
        {
            await blobs.DeleteAsync(blobName);
            return ExpiredProblem(submission, options.Value)!;
        }

        var existing = await db.SubmissionAttachments.FindAsync(submissionId, attachmentId);
        if (existing is null)
            db.SubmissionAttachments.Add(existing = new SubmissionAttachment { SubmissionId = submissionId, AttachmentId = attachmentId });
        existing.SizeBytes = inspector.Position;
        existing.AuthenticationTag = inspector.AuthenticationTag;
        existing.UploadedAt = DateTimeOffset.UtcNow;
        db.AddHistory(submissionId, HistorySteps.AttachmentUploaded, detail: attachmentId.ToString());
        await db.SaveChangesAsync();
        return Results.NoContent();
    }

    private static async Task<IResult> SubmitAsync(Guid submissionId, HttpContext http, HubDbContext db, IBlobStore blobs,
        CaseEventLog events, IPublishEndpoint bus, IOptions<HubOptions> options, ILoggerFactory loggers)
    {
        // Whose it is and whether it can still be submitted before a byte of the body is read: someone else's id or a
        // submission already sent costs the hub no buffering and no JSON parsing.
        var limits = options.Value.Limits;
        var submission = await db.Submissions.FindAsync(submissionId);
        if (submission is null || submission.SenderClientId != RequireSenderToken.ClientOf(http))
            return ProblemResults.Problem(ProblemTypes.SubmissionNotFound, $"Submission {submissionId} does not exist for this client.");
        if (ExpiredProblem(submission, options.Value) is { } expired) return expired;
        if (submission.Status != SubmissionStatus.Incomplete)
            return ProblemResults.Problem(ProblemTypes.SubmissionNotIncomplete, $"Submission {submissionId} is already {submission.Status.ToString().ToLowerInvariant()}.");
        // Two JWE compact strings (base64url and dots, nothing to escape) and the JSON around them.
        var (body, problem) = await ReadJsonAsync(http.Request, limits.MaxMetadataBytes + limits.MaxDataBytes + JsonOverheadBytes);
        if (problem is not null) return problem;

        var metadata = Str(body!["encryptedMetadata"]);
        var data = Str(body["encryptedData"]);
        if (metadata is null || data is null)
            return ProblemResults.Problem(ProblemTypes.InvalidRequest, "encryptedMetadata and encryptedData are required (JWE compact strings).");
        if (metadata.Length > limits.MaxMetadataBytes || data.Length > limits.MaxDataBytes)
            return ProblemResults.Problem(ProblemTypes.PayloadTooLarge, "Metadata or data exceed the configured limits.");
        if (!TryGetTag(metadata, out var metadataTag) || !TryGetTag(data, out var dataTag))
            return ProblemResults.Problem(ProblemTypes.MalformedJwe, "encryptedMetadata and encryptedData must be JWE compact serializations.");

        var uploaded = await db.SubmissionAttachments.Where(a => a.SubmissionId == submissionId).ToListAsync();
        var missing = submission.AnnouncedAttachmentIds.Except(uploaded.Select(a => a.AttachmentId)).ToList();
        if (missing.Count > 0)
            return ProblemResults.Problem(ProblemTypes.AttachmentMissing, $"{missing.Count} announced attachment(s) were not uploaded.",
                new Dictionary<string, object?> { ["missingAttachments"] = missing });

        // Claim the submit before writing anything, so two simultaneous submits cannot both write the blobs. A claim
        // older than a minute belongs to a request that died on the way and may be taken over.
        var now = DateTimeOffset.UtcNow;
        var abandoned = now - TimeSpan.FromMinutes(1);
        var expiresBefore = now - limits.IncompleteSubmissionLifetime;
        var claimed = await db.Submissions
            .Where(s => s.Id == submissionId && s.Status == SubmissionStatus.Incomplete && (s.SubmittedAt == null || s.SubmittedAt < abandoned)
                && s.CreatedAt >= expiresBefore)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.SubmittedAt, now));
        if (claimed == 0)
            return ProblemResults.Problem(ProblemTypes.SubmissionNotIncomplete, $"Submission {submissionId} is being submitted by another request.");

        // Raw input first (still encrypted), then the ledger, then the bus: a crash in between loses nothing.
        try
        {
            await blobs.PutAsync(SubmissionBlobs.Metadata(submissionId), new MemoryStream(System.Text.Encoding.ASCII.GetBytes(metadata)));
            await blobs.PutAsync(SubmissionBlobs.Data(submissionId), new MemoryStream(System.Text.Encoding.ASCII.GetBytes(data)));
        }
        catch
        {
            // Release the claim, so the sender can simply try again.
            await db.Submissions.Where(s => s.Id == submissionId && s.Status == SubmissionStatus.Incomplete)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.SubmittedAt, (DateTimeOffset?)null));
            throw;
        }

        submission.Status = SubmissionStatus.Submitted;
        submission.SubmittedAt = now;
        submission.UpdatedAt = now;
        submission.MetadataTag = metadataTag;
        submission.DataTag = dataTag;
        events.Append(db, submission, FitConnectEvents.SubmitSubmission, CaseEventLog.AuthenticationTags(submission, uploaded));
        db.AddHistory(submissionId, HistorySteps.Submitted);
        try
        {
            await db.SaveChangesAsync();
        }
        catch (DbUpdateException)
        {
            return ProblemResults.Problem(ProblemTypes.SubmissionNotIncomplete, $"Submission {submissionId} was submitted concurrently.");
        }

        var logger = loggers.CreateLogger("IntegrationHub.Intake");
        try
        {
            using var publishTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await bus.Publish(new SubmissionReceived(submission.Id, submission.CaseId, submission.DestinationId, submission.Ars), publishTimeout.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The submission is committed; the ledger sweep publishes it once the broker is back.
            logger.LogWarning("Submission {SubmissionId} is stored but could not be published ({Reason}); the ledger sweep will", submissionId, e.GetType().Name);
        }
        HubTelemetry.SubmissionsReceived.Add(1, new KeyValuePair<string, object?>("ars", submission.Ars));
        using (logger.BeginSubmissionScope(submission))
            logger.LogInformation("Submission submitted with {AttachmentCount} attachments", uploaded.Count);

        return Results.Json(new { destinationId = submission.DestinationId, submissionId, caseId = submission.CaseId },
            statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> GetAsync(Guid submissionId, HttpContext http, HubDbContext db, TenantDirectory tenants)
    {
        var submission = await db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == submissionId);
        if (submission is null || submission.SenderClientId != RequireSenderToken.ClientOf(http))
            return ProblemResults.Problem(ProblemTypes.SubmissionNotFound, $"Submission {submissionId} does not exist for this client.");
        return Results.Json(new
        {
            destinationId = submission.DestinationId,
            submissionId = submission.Id,
            caseId = submission.CaseId,
            status = submission.Status.ToString().ToLowerInvariant(),
            serviceType = new { name = submission.ServiceName, identifier = $"urn:de:fim:leika:leistung:{submission.LeikaKey}" },
            announcedAttachments = submission.AnnouncedAttachmentIds,
        });
    }

    private static async Task<IResult> GetEventLogAsync(Guid caseId, HttpContext http, HubDbContext db, int? offset, int? limit)
    {
        var submission = await db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.CaseId == caseId);
        if (submission is null || submission.SenderClientId != RequireSenderToken.ClientOf(http))
            return ProblemResults.Problem(ProblemTypes.CaseNotFound, $"Case {caseId} does not exist for this client.");
        var skip = Math.Max(0, offset ?? 0);
        var take = Math.Clamp(limit ?? 100, 1, 500);
        var all = db.CaseEvents.AsNoTracking().Where(e => e.CaseId == caseId);
        var total = await all.CountAsync();
        var tokens = await all.OrderBy(e => e.Id).Skip(skip).Take(take).Select(e => e.Token).ToListAsync();
        return Results.Json(new { offset = skip, count = tokens.Count, totalCount = total, eventLog = tokens });
    }

    private const int JsonOverheadBytes = 64 * 1024;

    /// <summary>submission-expired for a submission the expiry job removed, or one past its lifetime the job has not reached yet.</summary>
    private static IResult? ExpiredProblem(Submission submission, HubOptions options) =>
        submission.Status == SubmissionStatus.Expired || Expiry.IncompleteSubmissionExpiry.IsPast(submission, options.Limits.IncompleteSubmissionLifetime, DateTimeOffset.UtcNow)
            ? ProblemResults.Problem(ProblemTypes.SubmissionExpired,
                $"Submission {submission.Id} was not submitted within {options.Limits.IncompleteSubmissionLifetime} of its creation (Hub:Limits:IncompleteSubmissionLifetime); its attachments are deleted. Create a new submission.")
            : null;

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool IsJose(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("application/jose", StringComparison.OrdinalIgnoreCase);

    private static bool TryGetTag(string compact, out string tag)
    {
        tag = string.Empty;
        var parts = compact.Split('.');
        if (parts.Length != 5 || parts[4].Length == 0) return false;
        try { Jwe.ReadHeader(compact); }
        catch (JweException) { return false; }
        tag = parts[4];
        return true;
    }

    /// <summary>Reads a JSON object body with a size limit; a bad body is a problem, never an exception.</summary>
    private static async Task<(JsonObject? Body, IResult? Problem)> ReadJsonAsync(HttpRequest request, long maxBytes)
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, ProblemResults.Problem(ProblemTypes.UnsupportedMediaType, "Send application/json."));
        if (request.ContentLength > maxBytes)
            return (null, ProblemResults.Problem(ProblemTypes.PayloadTooLarge, $"The body may have at most {maxBytes} bytes."));
        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                    return (null, ProblemResults.Problem(ProblemTypes.PayloadTooLarge, $"The body may have at most {maxBytes} bytes."));
                buffer.Write(chunk, 0, read);
            }
            return JsonNode.Parse(buffer.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = 16 }) is JsonObject o
                ? (o, null)
                : (null, ProblemResults.Problem(ProblemTypes.InvalidRequest, "The body must be a JSON object."));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return (null, ProblemResults.Problem(ProblemTypes.InvalidRequest, "The body is not valid JSON for this operation."));
        }
    }
}
