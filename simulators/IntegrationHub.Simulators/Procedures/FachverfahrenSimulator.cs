using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using IntegrationHub.Contracts;
using IntegrationHub.Simulators.Crypto;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IntegrationHub.Simulators.Procedures;

/// <summary>What a concrete procedure read from the application inside a handover.</summary>
/// <param name="Leistungsart">Kind of benefit for the case list, e.g. "HILFE_ZUM_LEBENSUNTERHALT".</param>
public sealed record AcceptedApplication(string Leistungsart);

/// <summary>
/// Common behaviour of the simulated specialist procedures: safe loading, signature check against the
/// pinned certificate of the author ARS, schema validation, idempotent case creation, receipt, recording
/// and fault injection. The core (<see cref="ReceiveHandoverAsync"/>) knows no HTTP, so other transports
/// (e.g. a mailbox) can feed it the same way.
/// </summary>
public abstract partial class FachverfahrenSimulator
{
    /// <summary>Largest handover XML accepted (20 MB), inline attachments included.</summary>
    public const int MaxHandoverBytes = 20 * 1024 * 1024;

    /// <summary>Largest attachment accepted as a container part (200 MB); each part is streamed, never held.</summary>
    public const long MaxAttachmentPartBytes = 200L * 1024 * 1024;

    /// <summary>Most attachments one handover may reference.</summary>
    public const int MaxAttachments = 100;

    private const int HashChunkBytes = 64 * 1024;

    private const int MaxIdempotencyKeyLength = 200;
    private const int MaxRecordedCalls = 10_000;

    private static readonly Lazy<XmlSchemaSet> SharedSchemas = new(LoadSchemas, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly object SchemaValidationGate = new();

    private readonly object _gate = new();
    private readonly List<SimulatedCase> _cases = [];
    private readonly List<SimulatorCall> _calls = [];
    private readonly Dictionary<string, StoredReceipt> _receiptsByKey = new(StringComparer.Ordinal);
    private int _caseCounter;
    private int _duplicateCalls;

    protected FachverfahrenSimulator(string name, SignaturePins pins, TimeProvider? time, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(pins);
        Name = name;
        Pins = pins;
        Time = time ?? TimeProvider.System;
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Route segment and problem-type segment, e.g. "prosoz".</summary>
    public string Name { get; }

    /// <summary>The certificates this procedure trusts per ARS (shared between procedures).</summary>
    public SignaturePins Pins { get; }

    /// <summary>Fault injection applied before every handover is handled.</summary>
    public FaultInjection Faults { get; } = new();

    /// <summary>Path of the case collection, e.g. "/prosoz/api/v1/faelle".</summary>
    public abstract string CasesPath { get; }

    /// <summary>Snapshot of the cases created so far.</summary>
    public IReadOnlyList<SimulatedCase> Cases
    {
        get { lock (_gate) { return _cases.ToArray(); } }
    }

    /// <summary>Snapshot of all recorded calls (the latest 10,000).</summary>
    public IReadOnlyList<SimulatorCall> Calls
    {
        get { lock (_gate) { return _calls.ToArray(); } }
    }

    /// <summary>Raised (outside the simulator's lock) for every case created, e.g. to start its processing.</summary>
    public event Action<SimulatedCase>? CaseCreated;

    /// <summary>How many calls replayed an existing receipt because their Idempotency-Key was known.</summary>
    public int DuplicateCallCount
    {
        get { lock (_gate) { return _duplicateCalls; } }
    }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    /// <summary>How many cases exist for a FIT-Connect submission (more than one means a double delivery).</summary>
    public int CaseCountFor(Guid submissionId)
    {
        lock (_gate)
        {
            return _cases.Count(c => c.SubmissionId == submissionId);
        }
    }

    /// <summary>Forgets all cases, calls and faults (the case counter goes on, as in a real procedure).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _cases.Clear();
            _calls.Clear();
            _receiptsByKey.Clear();
            _duplicateCalls = 0;
        }

        Faults.Reset();
    }

    /// <summary>Handles one signed fall.uebergabe.0001 document and the attachment parts of its container.</summary>
    /// <param name="handoverXml">The signed document bytes (the container's root part, or the whole body without attachments).</param>
    /// <param name="attachmentParts">
    /// The parts after the XML, or null when the handover came as a plain XML body. Every <c>inhaltReferenz</c> of the
    /// signed document must name exactly one part whose size and SHA-512 match the signed <c>groesseBytes</c>/<c>hashSha512</c>,
    /// and every part must be referenced. Parts are hashed while they stream by, never buffered.
    /// </param>
    /// <param name="idempotencyKey">The caller's idempotency key (required).</param>
    /// <param name="channel">Transport name for the call record.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<HandoverResponse> ReceiveHandoverAsync(
        byte[] handoverXml, IHandoverPartReader? attachmentParts, string? idempotencyKey, string channel = "http", CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(handoverXml);

        var latency = Faults.Latency;
        if (latency > TimeSpan.Zero)
        {
            // Wall-clock on purpose: latency is for the caller's real timeouts, even when Time is a fake clock.
            await Task.Delay(latency, ct).ConfigureAwait(false);
        }

        if (Faults.TryConsumeFailure(out var faultStatus))
        {
            var fault = HandoverResponse.Problem(Name, faultStatus, "fault-injected", "Injected fault", "The simulator was told to fail this call.");
            Record(channel, idempotencyKey, fault, "fault-injected", null, false, null);
            return fault;
        }

        var result = await HandleAsync(handoverXml, attachmentParts, idempotencyKey, ct).ConfigureAwait(false);
        Record(channel, idempotencyKey, result.Response, result.Outcome, result.SignatureOk, result.Duplicate, result.SubmissionId);
        if (result.Response.StatusCode >= 400)
        {
            // Ids and the problem kind only: never document content.
            Logger.LogWarning("{Simulator} refused a handover: {Outcome} ({Status})", Name, result.Outcome, result.Response.StatusCode);
        }

        return result.Response;
    }

    /// <summary>Checks that the application inside the handover belongs to this procedure.</summary>
    /// <param name="antrag">The application element (child of fall:antrag).</param>
    /// <param name="accepted">What the case list shows about it.</param>
    /// <param name="refusal">Why it does not belong here.</param>
    protected abstract bool TryAccept(XElement antrag, out AcceptedApplication accepted, out string refusal);

    /// <summary>The next case file number, e.g. "50.21-SGB12-2026-000001".</summary>
    protected abstract string FormatAktenzeichen(int number, DateTimeOffset now);

    /// <summary>How the procedure names itself as author of receipts.</summary>
    protected abstract (string Kennung, string Name) ReceiptAuthor { get; }

    private async Task<HandlingResult> HandleAsync(byte[] body, IHandoverPartReader? attachmentParts, string? idempotencyKey, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(idempotencyKey))
        {
            return Refuse(400, "idempotency-key-missing", "Idempotency-Key required", "Every handover needs an Idempotency-Key header.");
        }

        if (idempotencyKey.Length > MaxIdempotencyKeyLength)
        {
            return Refuse(400, "idempotency-key-invalid", "Idempotency-Key too long", $"At most {MaxIdempotencyKeyLength} characters.");
        }

        if (body.Length > MaxHandoverBytes)
        {
            return Refuse(413, "payload-too-large", "Handover too large", $"At most {MaxHandoverBytes} bytes.");
        }

        XmlDocument document;
        try
        {
            document = LoadSafely(body);
        }
        catch (XmlException)
        {
            return Refuse(400, "malformed-xml", "Not well-formed XML", "The body is not a well-formed XML document (DTDs are not allowed).");
        }

        var root = document.DocumentElement;
        if (root is null || root.LocalName != XoevNames.FallUebergabe || root.NamespaceURI != XoevNames.FallNs)
        {
            return Refuse(422, "wrong-root", "Not a case handover", $"Expected {{{XoevNames.FallNs}}}{XoevNames.FallUebergabe}.");
        }

        var authorArs = root.SelectSingleNode("*[local-name()='nachrichtenkopf']/*[local-name()='autor']/*[local-name()='kennung']")?.InnerText.Trim();
        if (string.IsNullOrEmpty(authorArs))
        {
            return Refuse(422, "author-missing", "No author", "nachrichtenkopf/autor/kennung is missing.");
        }

        if (!Pins.TryGet(authorArs, out var pinned))
        {
            return Refuse(403, "signer-not-pinned", "Unknown sender", "No signing certificate is pinned for the author ARS.");
        }

        (bool Ok, string? Failure) signature;
        try
        {
            signature = ReceivedSignature.Verify(document, pinned);
        }
        catch (CryptographicException)
        {
            signature = (false, "The signature could not be processed.");
        }

        if (!signature.Ok)
        {
            return Refuse(422, "signature-invalid", "Signature invalid", signature.Failure ?? "The XML signature does not verify.", signatureOk: false);
        }

        var schemaErrors = ValidateAgainstSchema(body);
        if (schemaErrors.Count > 0)
        {
            return Refuse(422, "schema-invalid", "Schema validation failed", $"{schemaErrors.Count} schema violation(s).", signatureOk: true, errors: schemaErrors);
        }

        // Valid by schema from here on, so the structure can be read without more checks.
        var handover = ToXDocument(body).Root!;
        var head = handover.Element(XoevNames.Fall + "nachrichtenkopf")!;
        var nachrichtUuid = Guid.Parse(head.Element(XoevNames.Ihc + "nachrichtUUID")!.Value);
        var fall = handover.Element(XoevNames.Fall + "fall")!;
        var submissionId = Guid.Parse(fall.Element(XoevNames.Fall + "submissionId")!.Value);
        var antrag = handover.Element(XoevNames.Fall + "antrag")!.Elements().First();
        var author = head.Element(XoevNames.Ihc + "autor")!;

        if (!TryAccept(antrag, out var accepted, out var refusal))
        {
            return Refuse(422, "unsupported-application", "Application not handled here", refusal, signatureOk: true, submissionId: submissionId);
        }

        var anlagen = ReadAnlagen(handover, submissionId, out var anlagenRefusal);
        if (anlagenRefusal is not null)
        {
            return anlagenRefusal;
        }

        // A known key replays its receipt at once: the attachment parts of a repeated call need not be read.
        lock (_gate)
        {
            if (TryReplay(idempotencyKey, submissionId, out var replay))
            {
                return replay;
            }
        }

        HandlingResult? partsRefusal;
        long attachmentBytes;
        try
        {
            (partsRefusal, attachmentBytes) = await ReceivePartsAsync(attachmentParts, anlagen, submissionId, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return Refuse(400, "malformed-multipart", "Container broken", "The multipart/related body is malformed or cut off.", signatureOk: true, submissionId: submissionId);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The caller went away mid-container (e.g. the sender aborted a part it could not authenticate): no case, but recorded.
            return Refuse(400, "aborted", "Call aborted", "The caller aborted before the container was complete.", signatureOk: true, submissionId: submissionId);
        }

        if (partsRefusal is not null)
        {
            return partsRefusal;
        }

        SimulatedCase newCase;
        HandlingResult result;
        lock (_gate)
        {
            // Checked again: a concurrent call with the same key may have created the case while the parts streamed.
            if (TryReplay(idempotencyKey, submissionId, out var replay))
            {
                return replay;
            }

            var now = Time.GetUtcNow();
            var aktenzeichen = FormatAktenzeichen(++_caseCounter, now);
            var receipt = BuildReceipt(now, nachrichtUuid, submissionId, aktenzeichen, author);
            _cases.Add(new SimulatedCase(aktenzeichen, submissionId, nachrichtUuid, now, accepted.Leistungsart, authorArs, idempotencyKey, anlagen.Count, attachmentBytes,
                Pruefhinweise(handover), antrag.ToString(System.Xml.Linq.SaveOptions.DisableFormatting)));
            _receiptsByKey[idempotencyKey] = new StoredReceipt(submissionId, aktenzeichen, receipt);
            Logger.LogInformation("{Simulator} created case {Aktenzeichen} for submission {SubmissionId}", Name, aktenzeichen, submissionId);
            var created = new HandoverResponse(201, HandoverResponse.Xml, receipt)
            {
                Aktenzeichen = aktenzeichen,
                Location = CaseLocation(aktenzeichen),
            };
            newCase = _cases[^1];
            result = new HandlingResult(created, "accepted", true, false, submissionId);
        }

        CaseCreated?.Invoke(newCase);
        return result;
    }

    /// <summary>The hub's checks against registers (fall:pruefungen), one line each for the caseworker.</summary>
    private static IReadOnlyList<string> Pruefhinweise(XElement handover) =>
        handover.Element(XoevNames.Fall + "pruefungen")?.Elements(XoevNames.Fall + "pruefung")
            .Select(p => string.Join(' ', p.Elements().Where(e => e.Name.LocalName != "anbieter").Select(e => e.Value)))
            .ToList() ?? [];

    /// <summary>Under <see cref="_gate"/>: the stored receipt for a known key (200), or 409 when the key belongs to another submission.</summary>
    private bool TryReplay(string idempotencyKey, Guid submissionId, out HandlingResult result)
    {
        if (!_receiptsByKey.TryGetValue(idempotencyKey, out var stored))
        {
            result = null!;
            return false;
        }

        if (stored.SubmissionId != submissionId)
        {
            result = Refuse(409, "idempotency-key-reused", "Idempotency-Key reused", "The key was used for another submission.", signatureOk: true, submissionId: submissionId);
            return true;
        }

        _duplicateCalls++;
        var replay = new HandoverResponse(200, HandoverResponse.Xml, stored.Receipt)
        {
            Aktenzeichen = stored.Aktenzeichen,
            Location = CaseLocation(stored.Aktenzeichen),
        };
        result = new HandlingResult(replay, "duplicate", true, true, submissionId);
        return true;
    }

    /// <summary>
    /// The signed attachment entries (schema-valid, so complete). Inline content is checked here against the signed hash
    /// and size; referenced content is keyed by the Content-ID its cid URL names.
    /// </summary>
    private List<SignedAnlage> ReadAnlagen(XElement handover, Guid submissionId, out HandlingResult? refusal)
    {
        refusal = null;
        var anlagen = new List<SignedAnlage>();
        var elements = handover.Element(XoevNames.Fall + "anlagen")!.Elements(XoevNames.Fall + "anlage").ToList();
        if (elements.Count > MaxAttachments)
        {
            refusal = Refuse(413, "payload-too-large", "Too many attachments", $"At most {MaxAttachments} attachments.", signatureOk: true, submissionId: submissionId);
            return anlagen;
        }

        var contentIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var element in elements)
        {
            var id = element.Element(XoevNames.Fall + "anlageId")!.Value;
            var hash = Convert.FromHexString(element.Element(XoevNames.Fall + "hashSha512")!.Value);
            var size = long.Parse(element.Element(XoevNames.Fall + "groesseBytes")!.Value, NumberStyles.None, CultureInfo.InvariantCulture);
            var inline = element.Element(XoevNames.Fall + "inhalt");
            if (inline is not null)
            {
                var content = Convert.FromBase64String(inline.Value);
                if (content.LongLength != size || !CryptographicOperations.FixedTimeEquals(SHA512.HashData(content), hash))
                {
                    refusal = Refuse(422, "attachment-mismatch", "Attachment does not match", $"The inline content of attachment {id} does not match its signed hash and size.", signatureOk: true, submissionId: submissionId);
                    return anlagen;
                }

                anlagen.Add(new SignedAnlage(id, null, hash, size));
                continue;
            }

            var contentId = ContentIdOfReference(element.Element(XoevNames.Fall + "inhaltReferenz")!.Value);
            if (contentId is null || !contentIds.Add(contentId))
            {
                refusal = Refuse(422, "attachment-reference-invalid", "Attachment reference invalid", $"The inhaltReferenz of attachment {id} is not a cid URL of its own part.", signatureOk: true, submissionId: submissionId);
                return anlagen;
            }

            if (size > MaxAttachmentPartBytes)
            {
                refusal = Refuse(413, "payload-too-large", "Attachment too large", $"At most {MaxAttachmentPartBytes} bytes per attachment.", signatureOk: true, submissionId: submissionId);
                return anlagen;
            }

            anlagen.Add(new SignedAnlage(id, contentId, hash, size));
        }

        return anlagen;
    }

    /// <summary>
    /// Streams every part through SHA-512 and matches it to its signed entry. Returns a refusal, or the bytes received
    /// (inline content included). A part is only read as far as its signed size allows.
    /// </summary>
    private async Task<(HandlingResult? Refusal, long Bytes)> ReceivePartsAsync(
        IHandoverPartReader? parts, List<SignedAnlage> anlagen, Guid submissionId, CancellationToken ct)
    {
        var expected = anlagen.Where(a => a.ContentId is not null).ToDictionary(a => a.ContentId!, StringComparer.Ordinal);
        var bytes = anlagen.Where(a => a.ContentId is null).Sum(a => a.Size);
        var received = new HashSet<string>(StringComparer.Ordinal);
        if (parts is not null)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(HashChunkBytes);
            try
            {
                while (await parts.ReadNextPartAsync(ct).ConfigureAwait(false) is { } part)
                {
                    var contentId = StripAngleBrackets(part.ContentId);
                    if (contentId is null || !expected.TryGetValue(contentId, out var anlage))
                    {
                        return (Refuse(422, "attachment-unreferenced", "Unreferenced part", "The container has a part that no inhaltReferenz names.", signatureOk: true, submissionId: submissionId), 0);
                    }

                    if (!received.Add(contentId))
                    {
                        return (Refuse(422, "attachment-duplicate", "Duplicate part", $"The content of attachment {anlage.AnlageId} arrived more than once.", signatureOk: true, submissionId: submissionId), 0);
                    }

                    var (size, hash) = part.ContentLength is { } announced && announced != anlage.Size
                        ? (announced, [])
                        : await HashAsync(part.Body, anlage.Size, buffer, ct).ConfigureAwait(false);
                    if (size != anlage.Size || !CryptographicOperations.FixedTimeEquals(hash, anlage.Sha512))
                    {
                        return (Refuse(422, "attachment-mismatch", "Attachment does not match", $"The part of attachment {anlage.AnlageId} does not match its signed hash and size.", signatureOk: true, submissionId: submissionId), 0);
                    }

                    bytes += size;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        var missing = anlagen.FirstOrDefault(a => a.ContentId is not null && !received.Contains(a.ContentId));
        if (missing is not null)
        {
            return (Refuse(422, "attachment-missing", "Attachment missing", $"No part carries the content of attachment {missing.AnlageId}.", signatureOk: true, submissionId: submissionId), 0);
        }

        return (null, bytes);
    }

    /// <summary>Reads a part up to one byte beyond its signed size (enough to know it is too long) and hashes it.</summary>
    private static async Task<(long Size, byte[] Sha512)> HashAsync(Stream body, long signedSize, byte[] buffer, CancellationToken ct)
    {
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        long size = 0;
        while (size <= signedSize)
        {
            var read = await body.ReadAsync(buffer.AsMemory(0, HashChunkBytes), ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            size += read;
            sha512.AppendData(buffer, 0, read);
        }

        return (size, sha512.GetHashAndReset());
    }

    /// <summary>"cid:abc%40x" → "abc@x" (RFC 2392); null when it is not a cid URL.</summary>
    private static string? ContentIdOfReference(string reference)
    {
        const string scheme = "cid:";
        if (!reference.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || reference.Length == scheme.Length)
        {
            return null;
        }

        return Uri.UnescapeDataString(reference[scheme.Length..]);
    }

    /// <summary>"&lt;abc@x&gt;" → "abc@x".</summary>
    internal static string? StripAngleBrackets(string? contentId)
    {
        var trimmed = contentId?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }

        return trimmed.Length >= 2 && trimmed[0] == '<' && trimmed[^1] == '>' ? trimmed[1..^1] : trimmed;
    }

    private string CaseLocation(string aktenzeichen) => $"{CasesPath}/{Uri.EscapeDataString(aktenzeichen)}";

    private byte[] BuildReceipt(DateTimeOffset now, Guid bezugNachrichtUuid, Guid submissionId, string aktenzeichen, XElement handoverAuthor)
    {
        var root = Quittung(now, bezugNachrichtUuid, submissionId, handoverAuthor,
            new XElement(XoevNames.Fall + "ergebnis", "ANGENOMMEN"),
            new XElement(XoevNames.Fall + "aktenzeichen", aktenzeichen));

        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true };
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, settings))
        {
            new XDocument(new XDeclaration("1.0", "utf-8", null), root).Save(writer);
        }

        return stream.ToArray();
    }

    /// <summary>
    /// A fall.quittung.0002 about a handover: from this procedure to the handover's author, referring to the handover's
    /// message and submission, followed by <paramref name="result"/> (ergebnis and aktenzeichen, or ergebnis and fehler).
    /// </summary>
    protected XElement Quittung(DateTimeOffset now, Guid bezugNachrichtUuid, Guid submissionId, XElement? handoverAuthor, params XElement[] result)
    {
        var ihc = XoevNames.Ihc;
        var fall = XoevNames.Fall;
        var (kennung, name) = ReceiptAuthor;
        var leserVerzeichnis = handoverAuthor?.Element(ihc + "verzeichnisdienst")?.Element(ihc + "code")?.Value ?? "ARS";
        return new XElement(
            fall + XoevNames.FallQuittung,
            new XAttribute(XNamespace.Xmlns + "fall", fall),
            new XAttribute(XNamespace.Xmlns + "ihc", ihc),
            new XElement(
                fall + "nachrichtenkopf",
                new XElement(ihc + "nachrichtUUID", Guid.NewGuid().ToString()),
                Code(ihc + "nachrichtentyp", XoevNames.NachrichtentypList, XoevNames.FallQuittung),
                new XElement(ihc + "erstellungszeitpunkt", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                new XElement(
                    ihc + "autor",
                    Code(ihc + "verzeichnisdienst", XoevNames.VerzeichnisdienstList, "FACHVERFAHREN"),
                    new XElement(ihc + "kennung", kennung),
                    new XElement(ihc + "name", name)),
                new XElement(
                    ihc + "leser",
                    Code(ihc + "verzeichnisdienst", XoevNames.VerzeichnisdienstList, leserVerzeichnis),
                    new XElement(ihc + "kennung", handoverAuthor?.Element(ihc + "kennung")?.Value ?? string.Empty),
                    new XElement(ihc + "name", handoverAuthor?.Element(ihc + "name")?.Value ?? string.Empty))),
            new XElement(fall + "bezugNachrichtUUID", bezugNachrichtUuid.ToString()),
            new XElement(fall + "submissionId", submissionId.ToString()),
            result);
    }

    protected static XElement Code(XName name, string listUri, string code) =>
        new(
            name,
            new XAttribute("listURI", listUri),
            new XAttribute("listVersionID", "1.0"),
            new XElement(XoevNames.Ihc + "code", code));

    /// <summary>Loads without DTDs, external resolution or more than 20 MB of characters; keeps whitespace for the signature.</summary>
    internal static XmlDocument LoadSafely(byte[] body)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxHandoverBytes,
            MaxCharactersFromEntities = 1024,
            IgnoreComments = false,
            IgnoreWhitespace = false,
            IgnoreProcessingInstructions = false,
        };
        var document = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        using var stream = new MemoryStream(body, writable: false);
        using var reader = XmlReader.Create(stream, settings);
        document.Load(reader);
        return document;
    }

    private static XDocument ToXDocument(byte[] body)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxHandoverBytes };
        using var stream = new MemoryStream(body, writable: false);
        using var reader = XmlReader.Create(stream, settings);
        return XDocument.Load(reader);
    }

    /// <summary>Validates the raw bytes (not the DOM, so no schema defaults leak into the signed tree).</summary>
    private static JsonArray ValidateAgainstSchema(byte[] body)
    {
        var errors = new JsonArray();
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxHandoverBytes,
            ValidationType = ValidationType.Schema,
            ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings,
        };
        settings.Schemas = SharedSchemas.Value;
        settings.ValidationEventHandler += (_, e) =>
        {
            if (errors.Count < 20)
            {
                errors.Add(new JsonObject
                {
                    ["severity"] = e.Severity == XmlSeverityType.Error ? "error" : "warning",
                    ["line"] = e.Exception?.LineNumber ?? 0,
                    ["position"] = e.Exception?.LinePosition ?? 0,
                    ["message"] = RedactValues(e.Message),
                });
            }
        };

        // A compiled XmlSchemaSet is not documented as safe for parallel validation; validation is quick.
        lock (SchemaValidationGate)
        {
            try
            {
                using var stream = new MemoryStream(body, writable: false);
                using var reader = XmlReader.Create(stream, settings);
                while (reader.Read())
                {
                }
            }
            catch (XmlException ex)
            {
                errors.Add(new JsonObject { ["severity"] = "error", ["line"] = ex.LineNumber, ["position"] = ex.LinePosition, ["message"] = "Not well-formed." });
            }
        }

        return errors;
    }

    // Shared, compiled once by the contracts; used read-only.
    private static XmlSchemaSet LoadSchemas() => XoevSchemas.Load();

    /// <summary>Schema messages quote the offending value; that may be personal data, so it is dropped.</summary>
    private static string RedactValues(string message) => ValueQuote().Replace(message, "value '***'");

    [GeneratedRegex("value '[^']*'", RegexOptions.CultureInvariant)]
    private static partial Regex ValueQuote();

    private HandlingResult Refuse(
        int status,
        string kind,
        string title,
        string detail,
        bool? signatureOk = null,
        JsonArray? errors = null,
        Guid? submissionId = null) =>
        new(HandoverResponse.Problem(Name, status, kind, title, detail, errors), kind, signatureOk, false, submissionId);

    /// <summary>Records a call the transport refused before the core saw it (e.g. wrong media type, too large).</summary>
    internal void RecordTransportRefusal(string channel, string? key, HandoverResponse response, string outcome) =>
        Record(channel, key, response, outcome, null, false, null);

    private void Record(string channel, string? key, HandoverResponse response, string outcome, bool? signatureOk, bool duplicate, Guid? submissionId)
    {
        var call = new SimulatorCall(
            Time.GetUtcNow(),
            channel,
            string.IsNullOrWhiteSpace(key) ? null : key,
            response.StatusCode,
            outcome,
            signatureOk,
            duplicate,
            response.Aktenzeichen,
            submissionId);
        lock (_gate)
        {
            if (_calls.Count >= MaxRecordedCalls)
            {
                _calls.RemoveAt(0);
            }

            _calls.Add(call);
        }
    }

    private sealed record StoredReceipt(Guid SubmissionId, string Aktenzeichen, byte[] Receipt);

    /// <summary>A signed anlage: its content is inline (already checked, <see cref="ContentId"/> null) or in the part with that Content-ID.</summary>
    private sealed record SignedAnlage(string AnlageId, string? ContentId, byte[] Sha512, long Size);

    private sealed record HandlingResult(HandoverResponse Response, string Outcome, bool? SignatureOk, bool Duplicate, Guid? SubmissionId);
}
