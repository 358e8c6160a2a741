using IntegrationHub.Tenancy;

namespace IntegrationHub.Delivery;

/// <summary>
/// One call to hand a signed case over to a target: the signed fall.uebergabe.0001 and, per attachment it references
/// (inhaltReferenz "cid:{AttachmentId}"), a way to open the attachment's bytes. Attachments are opened anew for every
/// attempt and streamed, never held whole.
/// </summary>
public sealed record HandoverCall(
    Guid SubmissionId,
    string Target,
    TargetOptions Options,
    string IdempotencyKey,
    byte[] SignedXml,
    IReadOnlyList<HandoverAttachment> Attachments);

/// <summary>
/// The bytes of one attachment of a handover. <paramref name="OpenAsync"/> returns a fresh stream of exactly
/// <paramref name="SizeBytes"/> bytes (the caller disposes it); a stream whose content turns out not to be authentic
/// throws from a read instead of ending, which aborts the transfer.
/// </summary>
public sealed record HandoverAttachment(Guid AttachmentId, string MimeType, long SizeBytes, Func<CancellationToken, Task<Stream>> OpenAsync);

/// <summary>What a procedure answered to a pushed handover: its own case number.</summary>
public sealed record HandoverReceipt(string Aktenzeichen);

/// <summary>What a target did with a call.</summary>
/// <param name="Aktenzeichen">The case number a specialist procedure assigned (handover only).</param>
/// <param name="Reference">The target's own id of what it took: a mailbox message, a DMS object, a postbox message.</param>
/// <param name="AwaitingAcknowledgement">
/// The call was placed (e.g. in a mailbox) and the target's answer comes later, by acknowledgement; the delivery then
/// waits in <c>AwaitingAcknowledgement</c> until <see cref="ProcedureReports"/> records it.
/// </param>
public sealed record DeliveryOutcome(string? Aktenzeichen, string? Reference, bool AwaitingAcknowledgement = false)
{
    public static DeliveryOutcome HandedOver(string aktenzeichen, string? reference = null) => new(aktenzeichen, reference);
    public static DeliveryOutcome Done(string? reference) => new(null, reference);
    public static DeliveryOutcome Placed(string reference) => new(null, reference, AwaitingAcknowledgement: true);
}

/// <summary>
/// Speaks one kind of external system (Prosoz-like, Marius-like, DMS, postbox, delivery service). Must be safe to call
/// twice with the same <see cref="DeliveryCall.IdempotencyKey"/>: a retried or replayed call never creates a second case,
/// filing or message.
/// </summary>
public interface ITargetAdapter
{
    /// <summary>Matches <see cref="TargetOptions.Kind"/>.</summary>
    string Kind { get; }

    Task<DeliveryOutcome> DeliverAsync(DeliveryCall call, CancellationToken ct);
}

/// <summary>The target refused the call for good (4xx other than 408/429): retrying cannot help.</summary>
public sealed class PermanentDeliveryException(string message) : Exception(message);

/// <summary>The target is unavailable for now (5xx, 408, 429, an outage); <see cref="RetryAfter"/> is its own hint, if it gave one.</summary>
public sealed class TransientDeliveryException(string message, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
