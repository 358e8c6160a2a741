using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Intake.Subscriber;

/// <summary>
/// The hub's answer to a submission it picked up from a delivery service: once validation decides, an event step
/// (<c>event:accept-submission</c> or <c>event:reject-submission</c>) to the target named like the delivery service, in
/// the same unit of work as the decision, so the answer is sent reliably through the ledger.
/// </summary>
public static class DeliveryServiceAnswer
{
    public static string StepFor(string eventUri) => DeliverySteps.EventPrefix + eventUri[FitConnectEvents.Base.Length..];

    /// <summary>Adds the answer step for a decided submission that came from a delivery service; the caller requests it after saving.</summary>
    public static async Task<IReadOnlyList<TargetDelivery>> AddAsync(HubDbContext db, Submission submission, TimeSpan lease, CancellationToken ct)
    {
        if (submission.Origin is not { Length: > 0 } origin) return [];
        var eventUri = submission.Status switch
        {
            SubmissionStatus.Accepted => FitConnectEvents.AcceptSubmission,
            SubmissionStatus.Rejected => FitConnectEvents.RejectSubmission,
            _ => null,
        };
        if (eventUri is null) return [];
        var plan = await DeliveryPlan.LoadAsync(db, submission, lease, ct);
        plan.Add(origin, StepFor(eventUri), new DeliveryPayload { EventUri = eventUri, OccurredAt = submission.DecidedAt });
        return plan.Added;
    }
}

/// <summary>
/// Posts the hub's decision to the delivery service the submission came from: a Security Event Token signed PS512 with
/// the destination's signing key (iss = the destination), carrying the same payload as the hub's own event of that
/// decision (authenticationTags, and the problems of a rejection). The jti is derived from the delivery's idempotency
/// key, so a retried call is the same event to the delivery service, which keeps it once.
/// </summary>
public sealed class FitConnectDeliveryServiceAdapter(SubscriberClients clients, KeyStore keys, HubDbContext db) : ITargetAdapter
{
    public const string KindName = "FitConnectDeliveryService";

    public string Kind => KindName;

    public async Task<DeliveryOutcome> DeliverAsync(DeliveryCall call, CancellationToken ct)
    {
        if (!call.Step.StartsWith(DeliverySteps.EventPrefix, StringComparison.Ordinal) || call.Payload.EventUri is not { } eventUri)
            throw new PermanentDeliveryException($"{KindName} takes events only, not '{call.Step}'.");
        var submission = call.Submission;
        var decided = await db.CaseEvents.AsNoTracking()
            .Where(e => e.SubmissionId == submission.Id && e.EventUri == eventUri).Select(e => e.Token).FirstOrDefaultAsync(ct)
            ?? throw new PermanentDeliveryException($"The hub has no {eventUri} event for submission {submission.Id} to pass on.");

        var jti = JtiFor(call.IdempotencyKey);
        var key = keys.DestinationSigningKey(submission.DestinationId);
        var token = new SecurityEventTokenSigner(key.Rsa, key.Kid, submission.DestinationId.ToString("D"))
            .Sign(eventUri, submission.Id, submission.CaseId, EventPayload(decided, eventUri), DateTimeOffset.UtcNow, jti);
        await clients.For(call.Target).PostEventAsync(submission.CaseId, token, call.IdempotencyKey, ct);
        return DeliveryOutcome.Done(jti.ToString("D"));
    }

    /// <summary>A name-based UUID (version 8, RFC 9562) from SHA-256 of the idempotency key: the same key, the same jti.</summary>
    public static Guid JtiFor(string idempotencyKey)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    // The payload of the hub's own signed event of this decision (read back from its claims).
    private static JsonObject EventPayload(string token, string eventUri)
    {
        var parts = token.Split('.');
        if (parts.Length == 3 && Base64UrlStrict.TryDecode(parts[1], out var claims)
            && JsonNode.Parse(claims) is JsonObject o && o["events"]?[eventUri] is JsonObject payload)
            return payload;
        throw new PermanentDeliveryException($"The hub's {eventUri} event cannot be read.");
    }
}
