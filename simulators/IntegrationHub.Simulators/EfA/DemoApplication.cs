using System.Text.Json.Nodes;

namespace IntegrationHub.Simulators.EfA;

/// <summary>
/// A fictitious application as an EfA online service would produce it: the XÖV-style XML (Fachdaten)
/// plus attachments, and what the test expects the hub to make of it.
/// </summary>
/// <param name="Label">Short description for test output, e.g. "wohngeld-valid-seed-7".</param>
/// <param name="LeikaKey">14-digit LeiKa key of the service.</param>
/// <param name="ServiceName">Name of the public service.</param>
/// <param name="SchemaUri">URI of the Fachdaten schema (submissionSchema.schemaUri).</param>
/// <param name="Xml">UTF-8 bytes of the application document.</param>
/// <param name="Attachments">Attachments to announce and upload.</param>
/// <param name="ExpectedValid">Whether the hub should accept the application.</param>
/// <param name="ExpectedProblem">For invalid ones: a word for the expected rejection (e.g. "schema-invalid").</param>
public sealed record DemoApplication(
    string Label,
    string LeikaKey,
    string ServiceName,
    string SchemaUri,
    byte[] Xml,
    IReadOnlyList<DemoAttachment> Attachments,
    bool ExpectedValid,
    string? ExpectedProblem)
{
    /// <summary>The LeiKa URN used as serviceType / publicServiceType identifier.</summary>
    public string LeikaUrn => DemoServices.LeikaUrn(LeikaKey);

    /// <summary>
    /// How the citizen logged in to BundID, as STORK-QAA level 1..4 (1 Basisregistrierung, 3 ELSTER, 4 eID), which the
    /// identification report in the metadata carries. 3 unless set (<c>application with { TrustLevel = 4 }</c>).
    /// </summary>
    public int TrustLevel
    {
        get => _trustLevel;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 4);
            _trustLevel = value;
        }
    }

    private readonly int _trustLevel = 3;

    /// <summary>
    /// The citizen's BundID postbox (ZBP Postkorb-Handle), sent as replyChannel.idBundDeMailbox; none unless set, and then
    /// the hub sends nothing to a postbox.
    /// </summary>
    public Guid? MailboxUuid { get; init; }
}

/// <summary>An attachment of a demo application.</summary>
public sealed record DemoAttachment(Guid AttachmentId, string FileName, string MimeType, byte[] Content);

/// <summary>Switches that make the sender misbehave on purpose, so tests can see the hub refuse.</summary>
public sealed record SubmitOptions
{
    /// <summary>Announce a wrong SHA-512 for the Fachdaten in the metadata.</summary>
    public bool TamperDataHash { get; init; }

    /// <summary>Announce a wrong SHA-512 for the first attachment in the metadata.</summary>
    public bool TamperAttachmentHash { get; init; }

    /// <summary>Announce attachments but do not upload them.</summary>
    public bool SkipAttachmentUpload { get; init; }

    /// <summary>Put the RFC 7638 thumbprint of the key into the JWE "kid" instead of the destination's kid.</summary>
    public bool UseThumbprintAsKid { get; init; }

    /// <summary>Compress plaintexts before encryption (JWE "zip":"DEF").</summary>
    public bool Compress { get; init; }

    /// <summary>JWE "cty" header for data and attachments (metadata always goes without one).</summary>
    public string? Cty { get; init; }

    /// <summary>Fetch and encrypt to this key of the destination instead of its encryptionKid (e.g. the previous key after a rotation).</summary>
    public string? EncryptionKid { get; init; }

    /// <summary>
    /// Encrypt to this public JWK (its kid goes into the JWE) without asking the destination: a sender that kept a key it
    /// fetched earlier. Wins over <see cref="EncryptionKid"/>.
    /// </summary>
    public System.Text.Json.Nodes.JsonObject? EncryptionKey { get; init; }
}

/// <summary>
/// What happened to a submission. Never an exception for a non-2xx answer: the status and problem body
/// are returned so tests can assert on them.
/// </summary>
/// <param name="CreateStatus">Status of POST /v1/submissions; 0 when the flow stopped before it (see <see cref="FailedStep"/>).</param>
/// <param name="SubmissionId">Submission id from the 201 answer.</param>
/// <param name="CaseId">Case id from the 201 answer.</param>
/// <param name="SubmitStatus">Status of PUT /v1/submissions/{id}; null when not reached.</param>
/// <param name="Problem">The problem body (RFC 7807 or OAuth error) of the failing step, if any.</param>
public sealed record SubmissionOutcome(int CreateStatus, Guid? SubmissionId, Guid? CaseId, int? SubmitStatus, JsonObject? Problem)
{
    /// <summary>Null on success; otherwise token, destination, key, create, attachment or submit.</summary>
    public string? FailedStep { get; init; }

    /// <summary>Status of each attachment upload, in announcement order.</summary>
    public IReadOnlyList<int> AttachmentStatuses { get; init; } = [];

    /// <summary>True when every step answered as FIT-Connect prescribes (201, 204..., 202).</summary>
    public bool Accepted => CreateStatus == 201 && SubmitStatus == 202 && FailedStep is null;
}
