namespace IntegrationHub.Contracts.Messages;

// Bus messages carry identifiers only (claim check): the submission itself stays in the
// blob store and the ledger, so no personal data ever travels through the broker.

/// <summary>A sender completed a submission; its encrypted parts are stored and it awaits validation.</summary>
public sealed record SubmissionReceived(Guid SubmissionId, Guid CaseId, Guid DestinationId, string Ars);

/// <summary>Validation passed: decrypted, hashes match, schema-valid, business rules hold.</summary>
public sealed record SubmissionAccepted(Guid SubmissionId, Guid CaseId, string Ars, string LeikaKey);

/// <summary>Validation failed with a specific problem type; a reject-submission event is in the case's log.</summary>
public sealed record SubmissionRejected(Guid SubmissionId, Guid CaseId, string Ars, string ProblemType);

/// <summary>One target of a route must receive the signed case handover.</summary>
public sealed record DeliveryRequested(Guid DeliveryId, Guid SubmissionId, string Ars, string Target);

/// <summary>A target took the case and named its Aktenzeichen.</summary>
public sealed record DeliveryCompleted(Guid DeliveryId, Guid SubmissionId, string Ars, string Target, string Aktenzeichen);

/// <summary>Published now and then by the hub to prove its bus can still publish (see BusRecovery); nobody consumes it.</summary>
public sealed record BusProbe(DateTimeOffset SentAt);
