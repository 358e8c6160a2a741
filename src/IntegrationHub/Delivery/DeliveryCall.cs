using IntegrationHub.Ledger;
using IntegrationHub.Signing;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Delivery;

/// <summary>
/// Everything an adapter may need for one call, read lazily: the step and its payload, the submission, the target's and
/// the municipality's configuration, the signed handover, the decrypted application and its attachments (always from
/// the stored original, with an operator's approved edit of the application XML in place of the sender's), and documents
/// procedures sent back.
/// </summary>
public sealed class DeliveryCall
{
    private readonly SubmissionReader _reader;
    private readonly IBlobStore _blobs;
    private readonly KeyStore _keys;
    private readonly long _maxXmlCharacters;
    private DecryptedSubmission? _decrypted;

    internal DeliveryCall(TargetDelivery delivery, Submission submission, TargetOptions options, TenantOptions tenant,
        IConfigurationSection targetSettings, string? procedureAktenzeichen, SubmissionReader reader, IBlobStore blobs, KeyStore keys, long maxXmlCharacters)
    {
        Delivery = delivery;
        Submission = submission;
        Options = options;
        Tenant = tenant;
        TargetSettings = targetSettings;
        ProcedureAktenzeichen = procedureAktenzeichen;
        Payload = DeliveryPayload.Parse(delivery.Payload);
        _reader = reader;
        _blobs = blobs;
        _keys = keys;
        _maxXmlCharacters = maxXmlCharacters;
    }

    public TargetDelivery Delivery { get; }
    public Submission Submission { get; }
    /// <summary>The target called: the one an operator redirected the delivery to, else the delivery's own.</summary>
    public string Target => Delivery.RedirectedTo ?? Delivery.Target;
    public string Step => Delivery.Step;
    public TargetOptions Options { get; }
    public TenantOptions Tenant { get; }
    /// <summary>The target's configuration section (Hub:Targets:{name}), for the adapter's own options (bind with <c>Get&lt;T&gt;()</c>).</summary>
    public IConfigurationSection TargetSettings { get; }
    public DeliveryPayload Payload { get; }
    /// <summary>Submission id + target (+ step): the same for every attempt and every replay.</summary>
    public string IdempotencyKey => Delivery.IdempotencyKey;
    /// <summary>What the hub found checking the application against registers (once-only), for the handover.</summary>
    public IReadOnlyList<OnceOnly.Checks.ApplicationCheck> Checks { get; init; } = [];

    /// <summary>The case number the specialist procedure assigned, once it has (null before, and for the handover itself).</summary>
    public string? ProcedureAktenzeichen { get; }

    /// <summary>
    /// Metadata, application XML and verified attachments, decrypted from the stored original (once per call). After an
    /// operator's approved edit (Submission.DataEditId) the application XML is the edited one; see SubmissionReader.ReadForDeliveryAsync.
    /// </summary>
    public async Task<DecryptedSubmission> ReadSubmissionAsync(CancellationToken ct) =>
        _decrypted ??= await _reader.ReadForDeliveryAsync(Submission, ct);

    /// <summary>The submission's metadata only (see <see cref="SubmissionReader.ReadMetadataAsync"/>); taken from a full read when one was made.</summary>
    public async Task<System.Text.Json.Nodes.JsonObject> ReadMetadataAsync(CancellationToken ct) =>
        _decrypted?.Metadata ?? await _reader.ReadMetadataAsync(Submission, ct);

    /// <summary>The application XML, parsed safely and validated against its contract.</summary>
    public async Task<System.Xml.XmlDocument> ReadApplicationAsync(CancellationToken ct) =>
        XmlContractValidator.LoadAndValidate((await ReadSubmissionAsync(ct)).Data, _maxXmlCharacters);

    /// <summary>One verified attachment's plaintext, decrypted while read (see <see cref="SubmissionReader.OpenAttachmentAsync"/>).</summary>
    public Task<Stream> OpenAttachmentAsync(Guid attachmentId, CancellationToken ct) => _reader.OpenAttachmentAsync(Submission, attachmentId, ct);

    /// <summary>Each verified attachment as a part opened when it is sent.</summary>
    public async Task<IReadOnlyList<HandoverAttachment>> AttachmentsAsync(CancellationToken ct) =>
        (await ReadSubmissionAsync(ct)).Attachments
            .Select(a => new HandoverAttachment(a.AttachmentId, a.MimeType, a.SizeBytes, token => OpenAttachmentAsync(a.AttachmentId, token)))
            .ToList();

    /// <summary>Decrypts documents kept at rest; set by the delivery consumer (without it, a document is read as stored).</summary>
    public Security.AtRest.AtRestProtector? AtRest { get; init; }

    /// <summary>A document a procedure sent back (the payload's DocumentBlob), decrypted while read with the municipality's data key.</summary>
    public Task<Stream> OpenDocumentAsync(string blobName, CancellationToken ct) =>
        AtRest is null ? _blobs.OpenReadAsync(blobName, ct) : AtRest.OpenBlobAsync(_blobs, Submission.Ars, blobName, ct);

    /// <summary>The name the procedure gave the payload's document (stored encrypted, see ProcedureReports), or null.</summary>
    public async Task<string?> DocumentNameAsync(CancellationToken ct) =>
        Payload.DocumentName is not { } stored || Payload.DocumentBlob is not { } blob || AtRest is null ? Payload.DocumentName
            : await AtRest.UnprotectTextAsync(Submission.Ars, stored, CaseStatus.ProcedureReports.DocumentNameContext(blob), ct);

    /// <summary>The municipality's XMLDSig certificate, for adapters that sign what they send.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2 SigningCertificate => _keys.SigningCertificate(Submission.Ars);

    /// <summary>
    /// The signed fall.uebergabe.0001 (attachment metadata and hashes only) and its attachments as streamed parts:
    /// what a specialist procedure receives.
    /// </summary>
    public async Task<HandoverCall> BuildHandoverAsync(CancellationToken ct)
    {
        var content = await ReadSubmissionAsync(ct);
        var application = XmlContractValidator.LoadAndValidate(content.Data, _maxXmlCharacters);
        var handover = CaseHandover.Build(Delivery.Id, Submission, application, content.Attachments, Target, Tenant.Name, DateTimeOffset.UtcNow, Checks);
        XmlDocumentSigner.SignEnveloped(handover, SigningCertificate);
        return new HandoverCall(Submission.Id, Target, Options, IdempotencyKey, SafeXml.ToBytes(handover), await AttachmentsAsync(ct));
    }
}
