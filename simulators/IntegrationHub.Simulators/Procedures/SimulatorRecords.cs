namespace IntegrationHub.Simulators.Procedures;

/// <summary>One call to a simulated procedure, as recorded for tests (no personal data).</summary>
/// <param name="At">When the call arrived.</param>
/// <param name="Channel">How it arrived, e.g. "http".</param>
/// <param name="IdempotencyKey">The Idempotency-Key header, if any.</param>
/// <param name="StatusCode">The status answered.</param>
/// <param name="Outcome">A short machine word: accepted, duplicate, signature-invalid, schema-invalid, fault-injected, ...</param>
/// <param name="SignatureOk">Result of the signature check; null when it was not reached.</param>
/// <param name="Duplicate">True when the Idempotency-Key was known and the stored receipt was replayed.</param>
/// <param name="Aktenzeichen">The case file number answered, if any.</param>
/// <param name="SubmissionId">The FIT-Connect submission id named in the handover, if it was read.</param>
public sealed record SimulatorCall(
    DateTimeOffset At,
    string Channel,
    string? IdempotencyKey,
    int StatusCode,
    string Outcome,
    bool? SignatureOk,
    bool Duplicate,
    string? Aktenzeichen,
    Guid? SubmissionId);

/// <summary>A case the simulated procedure created from an accepted handover.</summary>
/// <param name="Aktenzeichen">The procedure's case file number.</param>
/// <param name="SubmissionId">The FIT-Connect submission id the handover refers to.</param>
/// <param name="NachrichtUuid">nachrichtUUID of the handover message.</param>
/// <param name="ReceivedAt">When the handover was accepted.</param>
/// <param name="Leistungsart">What kind of benefit the case is about, e.g. "Wohngeld".</param>
/// <param name="AuthorArs">ARS of the municipality that sent (and signed) the handover.</param>
/// <param name="IdempotencyKey">The key the case was created under.</param>
/// <param name="AttachmentCount">How many attachments the handover carried (container parts and inline), each checked against its signed hash and size.</param>
/// <param name="AttachmentBytes">Their total size in bytes.</param>
/// <param name="Antrag">The application element as the procedure took it into the case (what a caseworker would see).</param>
/// <param name="Pruefhinweise">The hub's checks against registers as the caseworker sees them: "MELDEDATEN ABWEICHUNG anschrift.strasse".</param>
public sealed record SimulatedCase(
    string Aktenzeichen,
    Guid? SubmissionId,
    Guid NachrichtUuid,
    DateTimeOffset ReceivedAt,
    string Leistungsart,
    string AuthorArs,
    string IdempotencyKey,
    int AttachmentCount,
    long AttachmentBytes,
    IReadOnlyList<string>? Pruefhinweise = null,
    string? Antrag = null);
