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

/// <summary>What the target answered: its own case number.</summary>
public sealed record HandoverReceipt(string Aktenzeichen);

/// <summary>Speaks one kind of external system (Prosoz-like, Marius-like, …). Must be safe to call twice with the same idempotency key.</summary>
public interface ITargetAdapter
{
    string Kind { get; }
    Task<HandoverReceipt> DeliverAsync(HandoverCall call, CancellationToken ct);
}

/// <summary>The target refused the case for good (4xx other than 408/429): retrying cannot help.</summary>
public sealed class PermanentDeliveryException(string message) : Exception(message);
