using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Problems;

/// <summary>One RFC 7807 problem type: a stable URI, a title and the HTTP status it answers with.</summary>
public sealed record ProblemType(string Name, string Title, int Status)
{
    public const string Prefix = "urn:integrationhub:problem:";
    public string Uri => Prefix + Name;
}

/// <summary>Every problem the hub reports, in one list (README "Problem types" mirrors it).</summary>
public static class ProblemTypes
{
    // Intake API
    public static readonly ProblemType Unauthorized = new("unauthorized", "Missing or invalid access token", 401);
    public static readonly ProblemType InvalidClient = new("invalid-client", "Unknown client or wrong secret", 401);
    public static readonly ProblemType UnsupportedGrantType = new("unsupported-grant-type", "Only client_credentials is supported", 400);
    public static readonly ProblemType DestinationForbidden = new("destination-forbidden", "The client may not submit to this destination", 403);
    public static readonly ProblemType DestinationNotFound = new("destination-not-found", "Destination not found", 404);
    /// <summary>An operator disabled the destination's municipality (Tenancy/Onboarding): no new submissions; what is in flight completes.</summary>
    public static readonly ProblemType MunicipalityDisabled = new("municipality-disabled", "The municipality does not take new submissions at present", 409);
    public static readonly ProblemType KeyNotFound = new("key-not-found", "Key not found", 404);
    public static readonly ProblemType SubmissionNotFound = new("submission-not-found", "Submission not found", 404);
    public static readonly ProblemType CaseNotFound = new("case-not-found", "Case not found", 404);
    public static readonly ProblemType ServiceNotOffered = new("service-not-offered", "The destination does not offer this service", 422);
    public static readonly ProblemType InvalidRequest = new("invalid-request", "The request body is invalid", 400);
    public static readonly ProblemType AttachmentNotAnnounced = new("attachment-not-announced", "The attachment was not announced", 422);
    public static readonly ProblemType AttachmentMissing = new("attachment-missing", "Announced attachments are missing", 422);
    public static readonly ProblemType SubmissionNotIncomplete = new("submission-not-incomplete", "The submission was already submitted", 409);
    /// <summary>Created but not submitted within Hub:Limits:IncompleteSubmissionLifetime: gone for good (410), the sender creates a new one.</summary>
    public static readonly ProblemType SubmissionExpired = new("submission-expired", "The submission expired before it was submitted", 410);
    public static readonly ProblemType UnsupportedMediaType = new("unsupported-media-type", "Unsupported content type", 415);
    public static readonly ProblemType PayloadTooLarge = new("payload-too-large", "The payload exceeds the configured limit", 413);
    public static readonly ProblemType MalformedJwe = new("malformed-jwe", "Not a JWE in compact serialization", 400);
    public static readonly ProblemType NotFound = new("not-found", "No such resource", 404);
    public static readonly ProblemType InternalError = new("internal-error", "Internal error", 500);

    // Callbacks (delivery service, procedures' status reports)
    public static readonly ProblemType CallbackUnauthenticated = new("callback-unauthenticated", "The callback's HMAC authentication is missing, expired, wrong or replayed", 401);
    public static readonly ProblemType UnknownTarget = new("unknown-target", "No such target is configured for callbacks", 404);
    public static readonly ProblemType UnknownCase = new("unknown-case", "The hub has not handed this case to this procedure", 404);
    public static readonly ProblemType ReportInvalid = new("report-invalid", "The status report is not valid", 400);

    // Validation (reject-submission)
    public static readonly ProblemType DecryptionFailed = new("decryption-failed", "The submission could not be decrypted with the destination's key", 422);
    public static readonly ProblemType UnsupportedEncryption = new("unsupported-encryption", "Only RSA-OAEP-256 with A256GCM is accepted", 422);
    public static readonly ProblemType MetadataInvalid = new("metadata-invalid", "The metadata does not follow the FIT-Connect metadata schema", 422);
    public static readonly ProblemType HashMismatch = new("hash-mismatch", "A hash in the metadata does not match the decrypted content", 422);
    public static readonly ProblemType AttachmentsMismatch = new("attachments-mismatch", "The metadata's attachments differ from the announced attachments", 422);
    public static readonly ProblemType XmlMalformed = new("xml-malformed", "The data is not well-formed or safe XML", 422);
    public static readonly ProblemType SchemaInvalid = new("schema-invalid", "The data does not validate against its schema", 422);
    public static readonly ProblemType SchemaUnsupported = new("schema-unsupported", "The submission schema is not accepted by this service", 422);
    public static readonly ProblemType ServiceMismatch = new("service-mismatch", "The metadata's service differs from the submission's service", 422);
    public static readonly ProblemType MunicipalityMismatch = new("municipality-mismatch", "The application addresses another municipality than the destination's", 422);
    public static readonly ProblemType BusinessRuleViolated = new("business-rule-violated", "The application violates a business rule", 422);

    // Access protocol (Datenschutzcockpit)
    public static readonly ProblemType PersonReferenceInvalid = new("person-reference-invalid", "The person needs an IDNr (11 digits) or Familienname, Vorname and Geburtsdatum", 400);

    // Evidence lookups (once-only requester API); a refusal carries the extension "reason" (a reason code)
    public static readonly ProblemType EvidenceRefused = new("evidence-refused", "The evidence lookup was refused", 403);
    public static readonly ProblemType EvidenceTimeout = new("evidence-timeout", "The evidence provider did not answer in time", 504);
    public static readonly ProblemType EvidenceProviderUnavailable = new("evidence-provider-unavailable", "The evidence provider is unavailable", 503);
    public static readonly ProblemType EvidenceRequestNotFound = new("evidence-request-not-found", "Evidence request not found", 404);
    /// <summary>The consent the requester names is not one the citizen gave (reference submission:&lt;id&gt; of an accepted application of this person, with einwilligung).</summary>
    public static readonly ProblemType EvidenceConsentUnverified = new("evidence-consent-unverified", "The consent is not one the citizen gave", 403);
    /// <summary>The callbackUrl is not https, or not on the requester's configured callback origins.</summary>
    public static readonly ProblemType EvidenceCallbackNotAllowed = new("evidence-callback-not-allowed", "The callback URL is not allowed for this requester", 422);

    // Operations
    public static readonly ProblemType OperatorUnauthenticated = new("operator-unauthenticated", "An operator API key, OIDC token or console session is required", 401);
    public static readonly ProblemType OperatorForbidden = new("operator-forbidden", "The operator's role does not allow this", 403);
    public static readonly ProblemType OperatorSignInThrottled = new("operator-sign-in-throttled", "Too many failed sign-ins from this address; try again later", 429);
    public static readonly ProblemType InvalidOperationsQuery = new("invalid-operations-query", "A query parameter of the operations API is invalid", 400);
    public static readonly ProblemType InvalidSelection = new("invalid-selection", "Select failed messages by ids or by a filter (all=true for every failed message)", 400);
    public static readonly ProblemType FailedMessageNotFound = new("failed-message-not-found", "Failed message not found", 404);
    public static readonly ProblemType RetryBatchNotFound = new("retry-batch-not-found", "Retry batch not found", 404);
    public static readonly ProblemType RedirectTargetInvalid = new("redirect-target-invalid", "Failed deliveries can only be redirected to another configured target of the same kind", 422);
    public static readonly ProblemType RedirectTargetForeign = new("redirect-target-foreign", "Failed deliveries can only be redirected to a shared target or one of their own municipality", 403);
    public static readonly ProblemType OperationsUnavailable = new("operations-unavailable", "This part of the operations console is not available in this hub", 503);

    // Edit and retry (Operations/Edits)
    public static readonly ProblemType EditAndRetryDisabled = new("edit-and-retry-disabled", "Edit and retry is switched off (Hub:Operations:EditAndRetry:Enabled)", 403);
    public static readonly ProblemType EditForbidden = new("edit-forbidden", "Only an admin may propose, approve or reject an edit", 403);
    public static readonly ProblemType EditMessageNotFound = new("edit-message-not-found", "No such failed message in the municipalities you may see", 404);
    public static readonly ProblemType EditMessageNotUnresolved = new("edit-message-not-unresolved", "Only an unresolved failed message can be edited and retried", 409);
    public static readonly ProblemType EditInvalid = new("edit-invalid", "The edit is not valid", 422);
    public static readonly ProblemType EditNotFound = new("edit-not-found", "No such edit in the municipalities you may see", 404);
    public static readonly ProblemType EditApprovalByProposer = new("edit-approval-by-proposer", "An edit must be approved by someone other than its proposer", 409);
    public static readonly ProblemType EditAlreadyDecided = new("edit-already-decided", "The edit was already approved or rejected", 409);
    /// <summary>Delivery: the approved edit that replaces the application is gone or fails its integrity check.</summary>
    public static readonly ProblemType EditedDataUnverifiable = new("edited-data-unverifiable", "The approved edit of the application is missing or fails its integrity check", 422);

    // Onboarding: workflow (Tenancy/Onboarding/Workflow)
    /// <summary>The file has errors; the extension "findings" (or "files" for several) lists them with line and column.</summary>
    public static readonly ProblemType MunicipalityInvalid = new("municipality-invalid", "The municipality file has errors", 422);
    public static readonly ProblemType MunicipalityInSettings = new("municipality-in-settings", "The municipality is configured in the hub's settings (Hub:Tenants), not by file", 409);
    /// <summary>The extension "references" names the credential references (never their values) the hub cannot resolve.</summary>
    public static readonly ProblemType MunicipalityCredentialsUnresolved = new("municipality-credentials-unresolved", "Credential references of the file cannot be resolved in this hub", 422);
    /// <summary>A file sent over the API names key files (keys:); the hub reads no files of its machine for it. The extension "findings" has their lines.</summary>
    public static readonly ProblemType MunicipalityKeyFilesRefused = new("municipality-key-files-refused", "A municipality file sent to the hub may not name key files", 422);
    public static readonly ProblemType MunicipalityNotFound = new("municipality-not-found", "No such municipality", 404);
    public static readonly ProblemType MunicipalityVersionNotFound = new("municipality-version-not-found", "No such version of the municipality", 404);
    public static readonly ProblemType MunicipalityNoPreviousVersion = new("municipality-no-previous-version", "The municipality has no previous version to roll back to", 409);
    public static readonly ProblemType MunicipalityChangedConcurrently = new("municipality-changed-concurrently", "The municipality was changed by someone else at the same time; plan and apply again", 409);

    // Onboarding: destination keys (Tenancy/Onboarding/KeyRotation)
    /// <summary>Validation (reject-submission): a JWE names a key of the destination that was retired before the submission.</summary>
    public static readonly ProblemType DestinationKeyRetired = new("destination-key-retired", "The submission is encrypted to a retired key of the destination", 422);
    /// <summary>Validation (reject-submission): a JWE names a key (kid) the destination does not have.</summary>
    public static readonly ProblemType DestinationKeyUnknown = new("destination-key-unknown", "The submission is encrypted to a key the destination does not have", 422);
    public static readonly ProblemType DestinationKeyCurrent = new("destination-key-current", "The destination's current key cannot be retired; rotate first", 409);
    public static readonly ProblemType DestinationKeyRotationConflict = new("destination-key-rotation-conflict", "The destination's key was rotated concurrently", 409);

    // Onboarding: smoke tests (Tenancy/Onboarding/SmokeTests)
    public static readonly ProblemType SmokeTestMunicipalityUnknown = new("municipality-unknown", "No such municipality in this hub (or not one this operator covers)", 404);
    public static readonly ProblemType SmokeTestNotFound = new("smoke-test-not-found", "Smoke test not found", 404);

    // Security: hostile input (Validation/XmlContractValidator.LoadSubmission: the intake's XML policy before the schema)
    public static readonly ProblemType XmlDtdProhibited = new("xml-dtd-prohibited", "The data contains a document type declaration; DTDs and entities are prohibited", 422);
    public static readonly ProblemType XmlLimitExceeded = new("xml-limit-exceeded", "The data exceeds a structural XML limit (nesting depth, length of a text or attribute value, size)", 422);
    public static readonly ProblemType XmlEncodingInvalid = new("xml-encoding-invalid", "The data is not UTF-8 (another encoding declared or marked, or bytes that are not UTF-8)", 422);
    public static readonly ProblemType XmlProcessingInstruction = new("xml-processing-instruction", "The data contains a processing instruction", 422);
    public static readonly ProblemType XmlNamespaceInvalid = new("xml-namespace-invalid", "The root element is not in the namespace of the announced schema", 422);

    // Security: access (Intake/RateLimits.cs)
    /// <summary>A sender client (submission API) or a remote address (token endpoints) is over its limit; Retry-After says when to come back.</summary>
    public static readonly ProblemType RateLimited = new("rate-limited", "Too many requests", 429);
    /// <summary>A sender client has Hub:Limits:RateLimit:SenderConcurrencyLimit requests in flight already.</summary>
    public static readonly ProblemType ConcurrencyLimited = new("concurrency-limited", "Too many simultaneous requests from this client", 429);
}

public static class ProblemResults
{
    /// <summary>An application/problem+json answer with a specific type; detail never carries personal data.</summary>
    public static IResult Problem(ProblemType type, string? detail = null, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(detail: detail, statusCode: type.Status, title: type.Title, type: type.Uri, extensions: extensions);
}
