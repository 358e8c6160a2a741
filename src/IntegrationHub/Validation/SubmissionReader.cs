using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Problems;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Validation;

public sealed record DecryptedAttachment(Guid AttachmentId, string FileName, string MimeType, string Sha512, byte[] Content);

/// <summary>A submission as the sender meant it: metadata checked, every hash verified.</summary>
public sealed record DecryptedSubmission(JsonObject Metadata, string SchemaUri, byte[] Data, IReadOnlyList<DecryptedAttachment> Attachments);

/// <summary>
/// Opens a stored submission: decrypts metadata, data and attachments with the destination's key
/// (chosen by destination, never by the JWE header) and checks them against the metadata's hashes.
/// Used by validation and again by delivery, which always starts from the stored original.
/// </summary>
public sealed class SubmissionReader(IBlobStore blobs, KeyStore keys, IOptions<HubOptions> options)
{
    public async Task<DecryptedSubmission> ReadAsync(Submission submission, CancellationToken ct)
    {
        var limits = options.Value.Limits;
        var key = keys.DestinationKey(submission.DestinationId);

        var metadataJson = await DecryptAsync(SubmissionBlobs.Metadata(submission.Id), key, limits.MaxMetadataBytes, "metadata", ct);
        var metadata = ParseMetadata(metadataJson);

        var expectedService = $"urn:de:fim:leika:leistung:{submission.LeikaKey}";
        var service = Str(metadata["publicServiceType"]?["identifier"]);
        if (service is not null && service != expectedService)
            throw new SubmissionProblemException(ProblemTypes.ServiceMismatch, "publicServiceType.identifier differs from the submission's serviceType.");

        var content = metadata["contentStructure"] as JsonObject
            ?? throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "contentStructure is missing.");
        var dataNode = content["data"] as JsonObject
            ?? throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "contentStructure.data is missing.");
        var schemaUri = Str(dataNode["submissionSchema"]?["schemaUri"])
            ?? throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "contentStructure.data.submissionSchema.schemaUri is missing.");
        var dataHash = HashOf(dataNode, "contentStructure.data");

        var data = await DecryptAsync(SubmissionBlobs.Data(submission.Id), key, limits.MaxDataBytes, "data", ct);
        if (!Sha512Hex.FixedTimeEqualsHex(dataHash, Sha512Hex.Compute(data)))
            throw new SubmissionProblemException(ProblemTypes.HashMismatch, "The hash of the data does not match contentStructure.data.hash.");

        var described = new List<(Guid Id, string Hash, string FileName, string MimeType)>();
        foreach (var node in content["attachments"] as JsonArray ?? [])
        {
            if (node is not JsonObject a || !Guid.TryParse(Str(a["attachmentId"]), out var id))
                throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "Every contentStructure.attachments entry needs an attachmentId (UUID).");
            described.Add((id, HashOf(a, $"attachment {id}"), Str(a["filename"]) ?? $"{id}", Str(a["mimeType"]) ?? "application/octet-stream"));
        }
        var announced = submission.AnnouncedAttachmentIds;
        if (described.Count != announced.Count || described.Select(d => d.Id).Except(announced).Any())
            throw new SubmissionProblemException(ProblemTypes.AttachmentsMismatch,
                $"The metadata describes {described.Count} attachment(s); {announced.Count} were announced, and the ids must match.");

        var attachments = new List<DecryptedAttachment>();
        foreach (var (id, hash, fileName, mimeType) in described)
        {
            var bytes = await DecryptAsync(SubmissionBlobs.Attachment(submission.Id, id), key, limits.MaxAttachmentBytes, $"attachment {id}", ct);
            var actual = Sha512Hex.Compute(bytes);
            if (!Sha512Hex.FixedTimeEqualsHex(hash, actual))
                throw new SubmissionProblemException(ProblemTypes.HashMismatch, $"The hash of attachment {id} does not match its metadata entry.");
            attachments.Add(new DecryptedAttachment(id, fileName, mimeType, actual, bytes));
        }
        return new DecryptedSubmission(metadata, schemaUri, data, attachments);
    }

    private async Task<byte[]> DecryptAsync(string blobName, DestinationKey key, long maxBytes, string part, CancellationToken ct)
    {
        string compact;
        await using (var stream = await blobs.OpenReadAsync(blobName, ct))
        using (var reader = new StreamReader(stream, System.Text.Encoding.ASCII))
            compact = await reader.ReadToEndAsync(ct);
        try
        {
            return JweDecryptor.Decrypt(compact, key.Rsa, new JweDecryptionOptions { MaxPlaintextBytes = maxBytes }).Plaintext;
        }
        catch (JweException e) when (e.Failure == JweFailure.UnsupportedAlgorithm)
        {
            throw new SubmissionProblemException(ProblemTypes.UnsupportedEncryption, $"The {part} uses an encryption other than RSA-OAEP-256 with A256GCM.");
        }
        catch (JweException e) when (e.Failure == JweFailure.TooLarge)
        {
            throw new SubmissionProblemException(ProblemTypes.PayloadTooLarge, $"The decrypted {part} exceeds the configured limit.");
        }
        catch (JweException)
        {
            throw new SubmissionProblemException(ProblemTypes.DecryptionFailed, $"The {part} could not be decrypted with the destination's key.");
        }
    }

    private static JsonObject ParseMetadata(byte[] json)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }) as JsonObject
                ?? throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "The metadata is not a JSON object.");
        }
        catch (JsonException)
        {
            throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "The metadata is not valid JSON.");
        }
    }

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
}
