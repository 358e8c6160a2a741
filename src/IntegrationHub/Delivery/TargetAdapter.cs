using IntegrationHub.Tenancy;

namespace IntegrationHub.Delivery;

/// <summary>One call to hand a signed case over to a target.</summary>
public sealed record HandoverCall(Guid SubmissionId, string Target, TargetOptions Options, string IdempotencyKey, byte[] SignedXml);

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
