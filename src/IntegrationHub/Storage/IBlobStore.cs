namespace IntegrationHub.Storage;

/// <summary>
/// Where raw submissions and attachments live (claim check). Names are paths like
/// <c>submissions/{id}/data.jwe</c>; implementations stream, never buffer whole blobs.
/// </summary>
public interface IBlobStore
{
    Task PutAsync(string name, Stream content, CancellationToken ct = default);
    Task<Stream> OpenReadAsync(string name, CancellationToken ct = default);
    Task<bool> ExistsAsync(string name, CancellationToken ct = default);
    Task DeleteAsync(string name, CancellationToken ct = default);
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken ct = default);
}

public sealed class BlobNotFoundException(string name) : Exception($"Blob '{name}' does not exist.")
{
    public string Name { get; } = name;
}

/// <summary>Names of the blobs that belong to one submission, in one place.</summary>
public static class SubmissionBlobs
{
    public static string Prefix(Guid submissionId) => $"submissions/{submissionId:N}/";
    public static string Metadata(Guid submissionId) => $"{Prefix(submissionId)}metadata.jwe";
    public static string Data(Guid submissionId) => $"{Prefix(submissionId)}data.jwe";
    public static string Attachment(Guid submissionId, Guid attachmentId) => $"{Prefix(submissionId)}attachments/{attachmentId:N}.jwe";
    /// <summary>A document a procedure sent back about the case (Bescheid, Nachforderung), by its report.</summary>
    public static string Document(Guid submissionId, string source, int sequence) => $"{Prefix(submissionId)}documents/{source}-{sequence}";

    /// <summary>Deletes every blob under the submission's prefix (metadata, data, attachments, documents, edits); returns how many.</summary>
    public static async Task<int> DeleteAllAsync(IBlobStore blobs, Guid submissionId, CancellationToken ct)
    {
        var names = new List<string>();
        await foreach (var name in blobs.ListAsync(Prefix(submissionId), ct)) names.Add(name);
        foreach (var name in names) await blobs.DeleteAsync(name, ct);
        return names.Count;
    }
}
