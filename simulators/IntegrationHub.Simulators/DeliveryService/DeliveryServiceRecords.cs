using System.Text.Json.Nodes;

namespace IntegrationHub.Simulators.DeliveryService;

/// <summary>
/// A destination as registered at the delivery service (in reality through FITKO's self-service portal): its public
/// encryption key (published to senders), the public key that verifies the events its subscriber posts (PS512), the
/// callback URL and secret, and the services it offers (LeiKa URNs; empty: any).
/// </summary>
public sealed record DestinationRegistration(
    Guid DestinationId,
    JsonObject EncryptionKey,
    JsonObject SignatureKey,
    Uri? CallbackUrl = null,
    string? CallbackSecret = null,
    IReadOnlyList<string>? Services = null);

/// <summary>Submission states at the delivery service.</summary>
public static class SubmissionStates
{
    public const string Incomplete = "incomplete";
    public const string Submitted = "submitted";
    public const string Accepted = "accepted";
    public const string Rejected = "rejected";
}

/// <summary>A submission as a test sees it (no content).</summary>
public sealed record SimulatedSubmission(
    Guid SubmissionId,
    Guid CaseId,
    Guid DestinationId,
    string ServiceIdentifier,
    string Status,
    IReadOnlyList<Guid> Attachments,
    string SenderClientId);

/// <summary>
/// One event in a case's log: the delivery service's own (submit-submission, signed with its key) or one a subscriber
/// posted (accept-/reject-submission), verified against the destination's registered signature key.
/// </summary>
public sealed record RecordedEvent(
    Guid CaseId,
    Guid SubmissionId,
    string EventUri,
    string Jti,
    string Issuer,
    string Kid,
    JsonObject Payload,
    string Token,
    DateTimeOffset ReceivedAt);

/// <summary>A new-submissions callback the delivery service sent, and what the subscriber answered (null: unreachable).</summary>
public sealed record SentCallback(
    Guid DestinationId,
    Uri Url,
    string Body,
    string Timestamp,
    string Signature,
    int? StatusCode,
    string? ResponseBody);

/// <summary>How a test wants a callback spoiled, to see the subscriber refuse it.</summary>
public sealed record CallbackTampering
{
    /// <summary>Sign with this secret instead of the destination's.</summary>
    public string? Secret { get; init; }
    /// <summary>Date the timestamp back by this much.</summary>
    public TimeSpan Age { get; init; }
}
