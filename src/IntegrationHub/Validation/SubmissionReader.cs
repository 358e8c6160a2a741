using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Jose;
using IntegrationHub.Jose.Streaming;
using IntegrationHub.Ledger;
using IntegrationHub.Operations.Edits;
using IntegrationHub.Problems;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding.KeyRotation;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Validation;

/// <summary>An attachment whose decryption and SHA-512 were verified; its content is not kept (see <see cref="SubmissionReader.OpenAttachmentAsync"/>).</summary>
public sealed record VerifiedAttachment(Guid AttachmentId, string FileName, string MimeType, string Sha512, long SizeBytes);

/// <summary>A submission as the sender meant it: metadata checked, every hash verified.</summary>
public sealed record DecryptedSubmission(JsonObject Metadata, string SchemaUri, byte[] Data, IReadOnlyList<VerifiedAttachment> Attachments);

/// <summary>
/// Raised by a stream from <see cref="SubmissionReader.OpenAttachmentAsync"/> when the attachment turns out not to be
/// authentic (GCM tag, or SHA-512 against the metadata). Everything read from that stream must be discarded.
/// <see cref="Exception.InnerException"/> is the <see cref="JweException"/> when the JWE was refused.
/// </summary>
public sealed class AttachmentIntegrityException(ProblemType type, string detail, Exception? innerException)
    : IOException(detail, innerException)
{
    /// <summary>The same problem (and <see cref="Exception.Message"/>) that <see cref="SubmissionReader.ReadAsync"/> gives.</summary>
    public ProblemType Type { get; } = type;
}

/// <summary>
/// Opens a stored submission: decrypts metadata, data and attachments with the destination's key and checks them against
/// the metadata's hashes. Each JWE's kid picks among the submission's destination's own key versions only (key rotation,
/// see <see cref="DestinationKeyRing"/>); a key retired before the submission was made, or one the destination does not
/// have, is refused with a problem of its own. A JWE without a kid is read with the key published when it was submitted.
/// Used by validation and again by delivery, which always starts from the stored original.
/// Attachments are never held whole: they are verified by streaming and opened as streams.
/// <paramref name="edits"/> reads an operator's approved edit of the application (see <see cref="ReadForDeliveryAsync"/>);
/// without <paramref name="ring"/> every destination has its first key only.
/// </summary>
public sealed partial class SubmissionReader(IBlobStore blobs, KeyStore keys, IOptions<HubOptions> options, EditedApplicationData? edits = null,
    DestinationKeyRing? ring = null)
{
    private readonly DestinationKeyRing _ring = ring ?? DestinationKeyRing.FirstKeysOnly(keys);

    // Read-ahead of an opened attachment: the decryptor pauses when the consumer is this far behind.
    private const long PipePauseBytes = 1024 * 1024;

    /// <summary>
    /// Decrypts and checks metadata and data (held in memory, bounded by the limits) and verifies every attachment
    /// by streaming it through decryption and SHA-512; attachment contents are discarded.
    /// </summary>
    /// <exception cref="SubmissionProblemException">The sender's submission is not acceptable.</exception>
    public async Task<DecryptedSubmission> ReadAsync(Submission submission, CancellationToken ct)
    {
        var (metadata, schemaUri, data) = await ReadDataAsync(submission, ct);
        var limits = options.Value.Limits;
        var content = ContentStructure(metadata);

        var described = DescribedAttachments(content);
        var announced = submission.AnnouncedAttachmentIds;
        // Same set, each id once: a duplicate entry must not stand in for an attachment that is never described.
        if (described.Count != announced.Count || !described.Select(d => d.Id).ToHashSet().SetEquals(announced)
            || described.DistinctBy(d => d.Id).Count() != described.Count)
            throw new SubmissionProblemException(ProblemTypes.AttachmentsMismatch,
                $"The metadata describes {described.Count} attachment(s); {announced.Count} were announced, and the ids must match.");

        var attachments = new List<VerifiedAttachment>();
        foreach (var (id, hash, fileName, mimeType) in described)
        {
            var (actual, size) = await HashAttachmentAsync(submission, id, limits.MaxAttachmentBytes, ct);
            if (!Sha512Hex.FixedTimeEqualsHex(hash, actual))
                throw new SubmissionProblemException(ProblemTypes.HashMismatch, HashMismatchDetail(id));
            attachments.Add(new VerifiedAttachment(id, fileName, mimeType, actual, size));
        }
        return new DecryptedSubmission(metadata, schemaUri, data, attachments);
    }

    /// <summary>
    /// Metadata and the sender's application data, decrypted and checked against the metadata's hash; attachments are
    /// not touched (the operations console shows the original application with this).
    /// </summary>
    /// <exception cref="SubmissionProblemException">The sender's submission is not acceptable.</exception>
    public async Task<(JsonObject Metadata, string SchemaUri, byte[] Data)> ReadDataAsync(Submission submission, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var limits = options.Value.Limits;

        var metadataJson = await DecryptAsync(submission, SubmissionBlobs.Metadata(submission.Id), limits.MaxMetadataBytes, "metadata", ct);
        var metadata = ParseMetadata(metadataJson);

        var expectedService = $"urn:de:fim:leika:leistung:{submission.LeikaKey}";
        var service = Str((metadata["publicServiceType"] as JsonObject)?["identifier"]);
        if (service is not null && service != expectedService)
            throw new SubmissionProblemException(ProblemTypes.ServiceMismatch, "publicServiceType.identifier differs from the submission's serviceType.");

        var content = ContentStructure(metadata);
        var dataNode = content["data"] as JsonObject
            ?? throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "contentStructure.data is missing.");
        var schemaUri = Str((dataNode["submissionSchema"] as JsonObject)?["schemaUri"])
            ?? throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "contentStructure.data.submissionSchema.schemaUri is missing.");
        var dataHash = HashOf(dataNode, "contentStructure.data");

        var data = await DecryptAsync(submission, SubmissionBlobs.Data(submission.Id), limits.MaxDataBytes, "data", ct);
        if (!Sha512Hex.FixedTimeEqualsHex(dataHash, Sha512Hex.Compute(data)))
            throw new SubmissionProblemException(ProblemTypes.HashMismatch, "The hash of the data does not match contentStructure.data.hash.");
        return (metadata, schemaUri, data);
    }

    /// <summary>
    /// Only the metadata, decrypted (its GCM tag checked) and parsed: what a step needs that looks at the sender's reply
    /// channels and not at the application (postbox notices), without decrypting the data and every attachment again.
    /// </summary>
    /// <exception cref="SubmissionProblemException">The metadata is not acceptable.</exception>
    public async Task<JsonObject> ReadMetadataAsync(Submission submission, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(submission);
        return ParseMetadata(await DecryptAsync(submission, SubmissionBlobs.Metadata(submission.Id), options.Value.Limits.MaxMetadataBytes, "metadata", ct));
    }

    /// <summary>
    /// What targets get (DeliveryCall): the stored original, verified as by <see cref="ReadAsync"/>, except that once an
    /// operator's edit of the application was approved (Submission.DataEditId, Operations/Edits) its corrected XML,
    /// checked against its stored SHA-512, stands in for the data. Metadata and attachments stay the sender's.
    /// </summary>
    public async Task<DecryptedSubmission> ReadForDeliveryAsync(Submission submission, CancellationToken ct)
    {
        var original = await ReadAsync(submission, ct);
        if (submission.DataEditId is not { } editId) return original;
        if (edits is null) throw new InvalidOperationException("The submission has an approved data edit, but no reader of edits is configured.");
        return original with { Data = await edits.ReadApprovedAsync(submission.Id, editId, ct) };
    }

    /// <summary>
    /// Opens one attachment as a read-only stream of its plaintext, decrypted lazily from the stored original while it
    /// is read (read-ahead bounded to about 1 MiB). The stream checks the GCM tag and the SHA-512 from the metadata
    /// at the end: if either fails, a read throws <see cref="AttachmentIntegrityException"/> (an <see cref="IOException"/>;
    /// its inner exception is the <see cref="JweException"/> for a refused JWE) instead of ever reporting the end of
    /// the stream, so a consumer copying it to a target aborts the transfer. Until a read has returned 0 the bytes
    /// read are unauthenticated: whatever was sent on must be discarded when the stream throws.
    /// Dispose the stream (also when giving up early); that stops the decryption and closes the blob.
    /// </summary>
    /// <exception cref="SubmissionProblemException">The metadata is not acceptable or does not describe this announced attachment.</exception>
    /// <exception cref="BlobNotFoundException">The attachment blob is missing.</exception>
    public async Task<Stream> OpenAttachmentAsync(Submission submission, Guid attachmentId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var limits = options.Value.Limits;

        // The expected hash comes from the (authenticated) metadata again, so a blob replaced since validation is caught.
        var metadata = await ReadMetadataAsync(submission, ct);
        var matches = DescribedAttachments(ContentStructure(metadata)).Where(d => d.Id == attachmentId).ToList();
        if (matches.Count != 1 || !submission.AnnouncedAttachmentIds.Contains(attachmentId))
            throw new SubmissionProblemException(ProblemTypes.AttachmentsMismatch, $"Attachment {attachmentId} is not described exactly once in the metadata and announced.");

        var (blob, key) = await OpenAttachmentBlobAsync(submission, attachmentId, ct);
        return AttachmentPlaintextStream.Start(blob, key.Rsa, attachmentId, matches[0].Hash, JweOptions(limits.MaxAttachmentBytes), ct);
    }

    private async Task<(string Sha512, long Size)> HashAttachmentAsync(Submission submission, Guid attachmentId, long maxBytes, CancellationToken ct)
    {
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var (stream, key) = await OpenAttachmentBlobAsync(submission, attachmentId, ct);
        await using (stream)
        try
        {
            var result = await JweStreamDecryptor.DecryptToAsync(stream, key.Rsa, (chunk, _) =>
            {
                sha512.AppendData(chunk.Span);
                return ValueTask.CompletedTask;
            }, JweOptions(maxBytes), ct);
            // Only now is the hashed plaintext authenticated.
            return (Convert.ToHexStringLower(sha512.GetHashAndReset()), result.PlaintextLength);
        }
        catch (JweException e)
        {
            throw ProblemOf(e, $"attachment {attachmentId}");
        }
    }

    private async Task<byte[]> DecryptAsync(Submission submission, string blobName, long maxBytes, string part, CancellationToken ct)
    {
        string compact;
        await using (var stream = await blobs.OpenReadAsync(blobName, ct))
        using (var reader = new StreamReader(stream, System.Text.Encoding.ASCII))
            compact = await reader.ReadToEndAsync(ct);
        string? kid;
        try
        {
            kid = Jwe.ReadHeader(compact).Kid;
        }
        catch (JweException)
        {
            kid = null; // malformed: decryption below reports it as it always did
        }
        var key = await KeyAsync(submission, kid, part, ct);
        try
        {
            return JweDecryptor.Decrypt(compact, key.Rsa, JweOptions(maxBytes)).Plaintext;
        }
        catch (JweException e)
        {
            throw ProblemOf(e, part);
        }
    }

    /// <summary>
    /// The attachment's blob (its JWE header already read, replayed to whoever reads the stream) and the key its kid names.
    /// </summary>
    private async Task<(Stream Blob, DestinationKey Key)> OpenAttachmentBlobAsync(Submission submission, Guid attachmentId, CancellationToken ct)
    {
        var blob = await blobs.OpenReadAsync(SubmissionBlobs.Attachment(submission.Id, attachmentId), ct);
        try
        {
            var (kid, replayed) = await JweHeaderPeek.ReadKidAsync(blob, ct);
            blob = replayed;
            return (replayed, await KeyAsync(submission, kid, $"attachment {attachmentId}", ct));
        }
        catch
        {
            await blob.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The key a JWE of this submission names: only the destination's own versions count, and only one still accepted when
    /// the submission was made (accepted ones stay readable for delivery after the key retires).
    /// </summary>
    private async Task<DestinationKey> KeyAsync(Submission submission, string? kid, string part, CancellationToken ct)
    {
        var madeAt = submission.SubmittedAt ?? submission.CreatedAt;
        if (kid is null)
            return _ring.Key(submission.DestinationId, (await _ring.VersionsAsync(submission.DestinationId, ct)).CurrentAt(madeAt));
        var match = await _ring.FindAsync(submission.DestinationId, kid, ct)
            // The kid is the sender's text: not repeated in the detail.
            ?? throw new SubmissionProblemException(ProblemTypes.DestinationKeyUnknown,
                $"The {part} is encrypted to a key (kid) that destination {submission.DestinationId} does not have; encrypt to the key it publishes as encryptionKid.");
        if (!match.Entry.AcceptedAt(madeAt))
            throw new SubmissionProblemException(ProblemTypes.DestinationKeyRetired,
                $"The {part} is encrypted to key '{match.Entry.Kid}', which destination {submission.DestinationId} retired at {match.Entry.RetiresAt:O}; encrypt to the key it publishes as encryptionKid.");
        return match.Key;
    }

    private static JweDecryptionOptions JweOptions(long maxBytes) => new() { MaxPlaintextBytes = maxBytes };

    private static SubmissionProblemException ProblemOf(JweException e, string part) => e.Failure switch
    {
        JweFailure.UnsupportedAlgorithm => new SubmissionProblemException(ProblemTypes.UnsupportedEncryption, $"The {part} uses an encryption other than RSA-OAEP-256 with A256GCM."),
        JweFailure.TooLarge => new SubmissionProblemException(ProblemTypes.PayloadTooLarge, $"The decrypted {part} exceeds the configured limit."),
        _ => new SubmissionProblemException(ProblemTypes.DecryptionFailed, $"The {part} could not be decrypted with the destination's key."),
    };

    private static string HashMismatchDetail(Guid attachmentId) => $"The hash of attachment {attachmentId} does not match its metadata entry.";

    private static JsonObject ParseMetadata(byte[] json)
    {
        try
        {
            // Duplicate members would throw later, on first access (found by the mutation test): refuse them while parsing.
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false }) as JsonObject
                ?? throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "The metadata is not a JSON object.");
        }
        catch (JsonException)
        {
            throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "The metadata is not valid JSON.");
        }
    }

    private static JsonObject ContentStructure(JsonObject metadata) =>
        metadata["contentStructure"] as JsonObject
            ?? throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "contentStructure is missing.");

    private static List<(Guid Id, string Hash, string FileName, string MimeType)> DescribedAttachments(JsonObject content)
    {
        var described = new List<(Guid Id, string Hash, string FileName, string MimeType)>();
        foreach (var node in content["attachments"] as JsonArray ?? [])
        {
            if (node is not JsonObject a || !Guid.TryParse(Str(a["attachmentId"]), out var id))
                throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "Every contentStructure.attachments entry needs an attachmentId (UUID).");
            var fileName = Str(a["filename"]) ?? $"{id}";
            var mimeType = Str(a["mimeType"]) ?? "application/octet-stream";
            // Both go on to targets (DMS documents, procedures' containers, HTTP headers): found by the mutation test.
            if (!IsPlainFileName(fileName) || mimeType.Length > 127 || !MediaType().IsMatch(mimeType))
                throw new SubmissionProblemException(ProblemTypes.MetadataInvalid,
                    $"Attachment {id} needs a plain filename (1 to 255 characters, no path, no control characters) and a media type (type/subtype).");
            described.Add((id, HashOf(a, $"attachment {id}"), fileName, mimeType));
        }
        return described;
    }

    private static bool IsPlainFileName(string name) =>
        name.Trim().Length > 0 && name.Length <= 255 && name is not ("." or "..")
        && !name.Any(c => c is '/' or '\\' || char.IsControl(c));

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$")]
    private static partial System.Text.RegularExpressions.Regex MediaType();

    private static string HashOf(JsonObject node, string where)
    {
        var hash = node["hash"] as JsonObject;
        var type = Str(hash?["type"]);
        var value = Str(hash?["content"]);
        if (type != "sha512" || value is null || value.Length != 128)
            throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, $"{where}.hash must be {{type: sha512, content: 128 hex digits}}.");
        return value;
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>
    /// Reads a stored JWE's protected header from the front of its stream for the kid, without a second read of the blob:
    /// the bytes read are replayed in front of the rest. A header that cannot be read gives no kid; the decryption then
    /// refuses the JWE as it always did.
    /// </summary>
    private static class JweHeaderPeek
    {
        public static async Task<(string? Kid, Stream Replayed)> ReadKidAsync(Stream blob, CancellationToken ct)
        {
            var buffer = new byte[Jwe.MaxHeaderChars + 1];
            var length = 0;
            var dot = -1;
            while (dot < 0 && length < buffer.Length)
            {
                var read = await blob.ReadAsync(buffer.AsMemory(length), ct);
                if (read == 0) break;
                dot = Array.IndexOf(buffer, (byte)'.', length, read);
                length += read;
            }
            string? kid = null;
            if (dot > 0)
            {
                try
                {
                    kid = Jwe.ParseHeader(System.Text.Encoding.ASCII.GetString(buffer, 0, dot)).Kid;
                }
                catch (JweException)
                {
                    // Left to the decryption, which reports a malformed JWE.
                }
            }
            return (kid, new PrefixedStream(buffer.AsMemory(0, length), blob));
        }
    }

    /// <summary>
    /// The consumer's side of a pipe that a background task fills with <see cref="JweStreamDecryptor"/> output. The
    /// pipe's writer is completed with an exception unless tag and hash verified, so no read reports the end before that.
    /// </summary>
    private sealed class AttachmentPlaintextStream : ReadOnlyForwardStream
    {
        private readonly Stream _reader;
        private readonly CancellationTokenSource _stop;
        private readonly Task _pump;
        private int _disposed;

        private AttachmentPlaintextStream(Stream reader, CancellationTokenSource stop, Task pump)
        {
            _reader = reader;
            _stop = stop;
            _pump = pump;
        }

        public static AttachmentPlaintextStream Start(Stream blob, RSA key, Guid attachmentId, string expectedSha512, JweDecryptionOptions jweOptions, CancellationToken ct)
        {
            // Segments as large as the decryptor's chunks: few buffers in flight, so the shared pool can recycle them all.
            var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PipePauseBytes, resumeWriterThreshold: PipePauseBytes / 2,
                minimumSegmentSize: 64 * 1024, useSynchronizationContext: false));
            var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var pump = Task.Run(() => PumpAsync(blob, key, attachmentId, expectedSha512, jweOptions, pipe.Writer, stop), CancellationToken.None);
            return new AttachmentPlaintextStream(pipe.Reader.AsStream(), stop, pump);
        }

        // Never throws: every outcome ends up as the pipe writer's completion, which the reader sees.
        private static async Task PumpAsync(Stream blob, RSA key, Guid attachmentId, string expectedSha512, JweDecryptionOptions jweOptions,
            PipeWriter writer, CancellationTokenSource stop)
        {
            Exception? failure = null;
            try
            {
                using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
                await JweStreamDecryptor.DecryptToAsync(blob, key, async (chunk, token) =>
                {
                    sha512.AppendData(chunk.Span);
                    var flushed = await writer.WriteAsync(chunk, token).ConfigureAwait(false);
                    if (flushed.IsCompleted || flushed.IsCanceled)
                        throw new OperationCanceledException("The attachment stream was disposed.");
                }, jweOptions, stop.Token).ConfigureAwait(false);

                if (!Sha512Hex.FixedTimeEqualsHex(expectedSha512, Convert.ToHexStringLower(sha512.GetHashAndReset())))
                    failure = new AttachmentIntegrityException(ProblemTypes.HashMismatch, HashMismatchDetail(attachmentId), null);
            }
            catch (JweException e)
            {
                var problem = ProblemOf(e, $"attachment {attachmentId}");
                failure = new AttachmentIntegrityException(problem.Type, problem.Message, e);
            }
            catch (Exception e)
            {
                failure = e; // storage trouble or cancellation: the reader sees it as it is
            }
            finally
            {
                await blob.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                await writer.CompleteAsync(failure).ConfigureAwait(false);
            }
            finally
            {
                stop.Dispose();
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => _reader.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => _reader.Read(buffer);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _reader.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _reader.ReadAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Stop();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Stop();
                await _pump.ConfigureAwait(false); // the blob is closed when this returns
            }

            await base.DisposeAsync().ConfigureAwait(false);
        }

        private void Stop()
        {
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The pump has already finished.
            }

            _reader.Dispose(); // completes the pipe's reader, so a waiting writer returns at once
        }
    }
}
