using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Contracts.Messages;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Observability;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Intake.Subscriber;

/// <summary>The subscriber clients, one per configured delivery service (each keeps its access token).</summary>
public sealed class SubscriberClients(DeliveryServices services, IHttpClientFactory http)
{
    private readonly ConcurrentDictionary<string, SubscriberClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    public SubscriberClient For(string name) =>
        _clients.GetOrAdd(name, n => new SubscriberClient(n, services.Get(n), http, TimeProvider.System));
}

/// <summary>What one pickup run did, for logs and tests.</summary>
public sealed record PickupResult(int Listed, int PickedUp, int Failed);

/// <summary>
/// Takes submissions from a delivery service into the hub's own pipeline: for each subscribed destination it lists
/// what is offered, and each submission not yet in the ledger is downloaded as received (metadata, data and
/// attachments, still encrypted) into the blob store, then recorded as a submitted ledger row (Origin = the delivery
/// service) and announced with SubmissionReceived, exactly as the hub's own intake does. Blobs first, then the row,
/// then the bus: a crash in between leaves no half-stored submission (the next run stores it again, the ledger
/// sweep publishes it). Two runs picking up the same submission at once write the same bytes; the ledger's primary
/// key lets one row in and the other run changes nothing.
/// </summary>
public sealed class SubmissionPickup(
    SubscriberClients clients,
    HubDbContext db,
    IBlobStore blobs,
    TenantDirectory tenants,
    IPublishEndpoint bus,
    IOptions<HubOptions> options,
    ILogger<SubmissionPickup> logger)
{
    public const string LeikaPrefix = "urn:de:fim:leika:leistung:";

    public async Task<PickupResult> RunAsync(string service, CancellationToken ct)
    {
        var client = clients.For(service);
        int listed = 0, pickedUp = 0, failed = 0;
        foreach (var destinationId in client.Options.Destinations)
        {
            // A disabled municipality's submissions stay at the delivery service until it is enabled again.
            if (tenants.FindDestination(destinationId) is { } hosted && tenants.IsDisabled(hosted.Tenant.Ars)) continue;
            for (var offset = 0; ; )
            {
                var page = await client.ListAsync(destinationId, offset, client.Options.PageSize, ct);
                listed += page.Submissions.Count;
                foreach (var offered in page.Submissions)
                {
                    try
                    {
                        if (await PickUpAsync(client, destinationId, offered, ct)) pickedUp++;
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        // One broken submission must not hold up the others; the next run tries it again.
                        failed++;
                        logger.LogWarning("Pickup of submission {SubmissionId} from {DeliveryService} failed ({Reason}: {Message}); the next run tries again",
                            offered.SubmissionId, service, e.GetType().Name, e.Message);
                    }
                }
                offset += page.Submissions.Count;
                if (page.Submissions.Count == 0 || offset >= page.TotalCount) break;
            }
        }
        if (pickedUp + failed > 0)
            logger.LogInformation("Pickup from {DeliveryService}: {Listed} offered, {PickedUp} picked up, {Failed} failed", service, listed, pickedUp, failed);
        return new PickupResult(listed, pickedUp, failed);
    }

    /// <summary>Stores one offered submission and announces it; false if it is in the ledger already.</summary>
    public async Task<bool> PickUpAsync(SubscriberClient client, Guid destinationId, OfferedSubmission offered, CancellationToken ct)
    {
        var submissionId = offered.SubmissionId;
        if (await db.Submissions.AsNoTracking().AnyAsync(s => s.Id == submissionId, ct)) return false;
        if (tenants.FindDestination(destinationId) is not { } entry)
            throw new DeliveryServiceException($"Destination {destinationId} is not hosted by the hub.");

        var limits = options.Value.Limits;
        var body = await client.GetSubmissionAsync(submissionId, limits.MaxMetadataBytes + 2 * limits.MaxDataBytes + 64 * 1024, ct);
        if (body is null) return false; // gone in the meantime (deleted by the delivery service)
        if (!Guid.TryParse(Str(body["destinationId"]), out var bodyDestination) || bodyDestination != destinationId
            || !Guid.TryParse(Str(body["caseId"]), out var caseId))
            throw new DeliveryServiceException($"Submission {submissionId} names another destination or no case.");
        var metadata = Str(body["encryptedMetadata"]);
        var data = Str(body["encryptedData"]);
        if (!TryGetTag(metadata, out var metadataTag) || !TryGetTag(data, out var dataTag))
            throw new DeliveryServiceException($"Submission {submissionId} has no encrypted metadata and data in compact JWE form.");
        var attachmentIds = new List<Guid>();
        foreach (var node in body["attachments"] as JsonArray ?? [])
        {
            if (!Guid.TryParse(Str(node), out var id) || attachmentIds.Contains(id))
                throw new DeliveryServiceException($"Submission {submissionId} lists attachments that are not distinct UUIDs.");
            attachmentIds.Add(id);
        }
        if (attachmentIds.Count > limits.MaxAttachments)
            throw new DeliveryServiceException($"Submission {submissionId} has more than {limits.MaxAttachments} attachments.");

        // Raw input first, exactly as received.
        var attachments = new List<SubmissionAttachment>();
        foreach (var attachmentId in attachmentIds)
            attachments.Add(await StoreAttachmentAsync(client, submissionId, attachmentId, ct));
        await blobs.PutAsync(SubmissionBlobs.Metadata(submissionId), new MemoryStream(Encoding.ASCII.GetBytes(metadata!)), ct);
        await blobs.PutAsync(SubmissionBlobs.Data(submissionId), new MemoryStream(Encoding.ASCII.GetBytes(data!)), ct);

        // A service the destination does not offer (or no LeiKa key at all) is taken in all the same: validation
        // rejects it with service-not-offered, and the delivery service learns so by a reject-submission event.
        var serviceType = body["serviceType"] as JsonObject;
        var identifier = Str(serviceType?["identifier"]) ?? string.Empty;
        var leikaKey = identifier.StartsWith(LeikaPrefix, StringComparison.Ordinal) && identifier.Length == LeikaPrefix.Length + 14
            && identifier[LeikaPrefix.Length..].All(char.IsAsciiDigit) ? identifier[LeikaPrefix.Length..] : string.Empty;
        var serviceName = Str(serviceType?["name"]) is { Length: > 0 } n ? n[..Math.Min(200, n.Length)]
            : entry.Destination.Services.FirstOrDefault(s => s.LeikaKey == leikaKey)?.Name ?? string.Empty;
        var now = DateTimeOffset.UtcNow;
        var submission = new Submission
        {
            Id = submissionId,
            CaseId = caseId,
            DestinationId = destinationId,
            Ars = entry.Tenant.Ars,
            SenderClientId = client.Name,
            LeikaKey = leikaKey,
            ServiceName = serviceName,
            Status = SubmissionStatus.Submitted,
            AnnouncedAttachments = string.Join(',', attachmentIds),
            MetadataTag = metadataTag,
            DataTag = dataTag,
            CreatedAt = now,
            SubmittedAt = now,
            UpdatedAt = now,
            Origin = client.Name,
        };
        db.Submissions.Add(submission);
        db.SubmissionAttachments.AddRange(attachments);
        db.AddHistory(submissionId, HistorySteps.Submitted, detail: $"picked up from delivery service {client.Name}, {attachments.Count} attachments");
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.Submissions.AsNoTracking().AnyAsync(s => s.Id == submissionId, ct)) return false; // another run was first
            // The ledger keeps one submission per case: a follow-up submission to a case the hub knows cannot be taken.
            throw new DeliveryServiceException($"Submission {submissionId} belongs to case {caseId}, which already has a submission in the ledger.");
        }

        using var scope = logger.BeginSubmissionScope(submission);
        try
        {
            using var publishTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            publishTimeout.CancelAfter(TimeSpan.FromSeconds(10));
            await bus.Publish(new SubmissionReceived(submission.Id, submission.CaseId, submission.DestinationId, submission.Ars), publishTimeout.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning("Submission {SubmissionId} is stored but could not be published ({Reason}); the ledger sweep will", submissionId, e.GetType().Name);
        }
        HubTelemetry.SubmissionsReceived.Add(1, new KeyValuePair<string, object?>("ars", submission.Ars));
        logger.LogInformation("Submission picked up from {DeliveryService} with {AttachmentCount} attachments", client.Name, attachments.Count);
        return true;
    }

    private async Task<SubmissionAttachment> StoreAttachmentAsync(SubscriberClient client, Guid submissionId, Guid attachmentId, CancellationToken ct)
    {
        var limit = options.Value.Limits.MaxAttachmentBytes;
        using var response = await client.GetAttachmentAsync(submissionId, attachmentId, ct);
        if (response.Content.Headers.ContentLength > limit)
            throw new DeliveryServiceException($"Attachment {attachmentId} exceeds {limit} bytes.");
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var inspector = new JweCompactInspector(body, limit);
        var name = SubmissionBlobs.Attachment(submissionId, attachmentId);
        try
        {
            await blobs.PutAsync(name, inspector, ct);
        }
        catch (PayloadTooLargeException)
        {
            await blobs.DeleteAsync(name, CancellationToken.None);
            throw new DeliveryServiceException($"Attachment {attachmentId} exceeds {limit} bytes.");
        }
        if (!inspector.IsWellFormed)
        {
            await blobs.DeleteAsync(name, CancellationToken.None);
            throw new DeliveryServiceException($"Attachment {attachmentId} is not a compact JWE.");
        }
        return new SubmissionAttachment
        {
            SubmissionId = submissionId,
            AttachmentId = attachmentId,
            SizeBytes = inspector.Position,
            AuthenticationTag = inspector.AuthenticationTag,
            UploadedAt = DateTimeOffset.UtcNow,
        };
    }

    private static bool TryGetTag(string? compact, out string tag)
    {
        tag = string.Empty;
        var parts = compact?.Split('.');
        if (parts is not { Length: 5 } || parts[4].Length == 0) return false;
        try { Jwe.ReadHeader(compact!); }
        catch (JweException) { return false; }
        tag = parts[4];
        return true;
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
