using System.Security.Cryptography;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Problems;
using IntegrationHub.Security.AtRest;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Operations.Edits;

/// <summary>
/// The corrected application XML of an edit, kept beside the submission's blobs and protected at rest with the
/// municipality's data key (<see cref="AtRestProtector"/>), the blob's name as associated data (a blob copied to another
/// edit does not decrypt). Its SHA-512 is kept in the ledger (MessageEdit.EditedDataSha512) and checked on every read.
/// Edits stored before the per-municipality keys (nonce | tag | ciphertext under a key derived from Hub:Keys:MasterKey,
/// the edit id as associated data) are still read. The sender's original (the JWE blobs) is never touched.
/// </summary>
public sealed class EditedApplicationData(IServiceScopeFactory scopes, IBlobStore blobs, KeyStore keys, AtRestProtector atRest, IOptions<HubOptions> options)
{
    private const string LegacyPurpose = "integrationhub:message-edits:v1";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private readonly Lazy<byte[]> _legacyKey = new(() => keys.DerivedKey(LegacyPurpose));

    /// <summary>Under the submission's prefix, so whatever removes the submission's payloads removes its edits too.</summary>
    public static string BlobName(Guid submissionId, Guid editId) => $"{SubmissionBlobs.Prefix(submissionId)}edits/{editId:N}.xml.aesgcm";

    /// <summary>Stores the XML protected; returns the blob name and the SHA-512 (hex) of the plaintext.</summary>
    public async Task<(string Blob, string Sha512)> StoreAsync(Guid submissionId, string ars, Guid editId, byte[] xml, CancellationToken ct)
    {
        var blob = BlobName(submissionId, editId);
        var sealedBytes = await atRest.ProtectAsync(ars, xml, AtRestProtector.BlobContext(blob), ct);
        await blobs.PutAsync(blob, new MemoryStream(sealedBytes), ct);
        return (blob, Sha512Hex.Compute(xml));
    }

    /// <summary>Decrypts the edit's XML and checks it against its SHA-512.</summary>
    /// <exception cref="SubmissionProblemException">Missing, not decryptable, or another hash (edited-data-unverifiable).</exception>
    public async Task<byte[]> ReadAsync(Guid editId, string ars, string blob, string sha512, CancellationToken ct)
    {
        byte[] sealedBytes;
        try
        {
            await using var stream = await blobs.OpenReadAsync(blob, ct);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, ct);
            sealedBytes = buffer.ToArray();
        }
        catch (BlobNotFoundException)
        {
            throw Unverifiable(editId, "its blob is missing");
        }
        if (sealedBytes.Length < NonceBytes + TagBytes || sealedBytes.Length - NonceBytes - TagBytes > options.Value.Limits.MaxDataBytes + 64)
            throw Unverifiable(editId, "its blob has an impossible size");
        var xml = AtRestEnvelope.StartsWithMagic(sealedBytes)
            ? await UnprotectAsync(editId, ars, blob, sealedBytes, ct)
            : UnprotectLegacy(editId, sealedBytes);
        if (!Sha512Hex.FixedTimeEqualsHex(sha512, Sha512Hex.Compute(xml)))
            throw Unverifiable(editId, "its SHA-512 differs from the one stored with the edit");
        return xml;
    }

    private async Task<byte[]> UnprotectAsync(Guid editId, string ars, string blob, byte[] sealedBytes, CancellationToken ct)
    {
        try
        {
            return await atRest.UnprotectAsync(ars, sealedBytes, AtRestProtector.BlobContext(blob), ct);
        }
        catch (AtRestDataException)
        {
            throw Unverifiable(editId, "its blob does not decrypt");
        }
    }

    /// <summary>An edit stored before the per-municipality keys.</summary>
    private byte[] UnprotectLegacy(Guid editId, byte[] sealedBytes)
    {
        var xml = new byte[sealedBytes.Length - NonceBytes - TagBytes];
        try
        {
            using var aes = new AesGcm(_legacyKey.Value, TagBytes);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes + TagBytes), sealedBytes.AsSpan(NonceBytes, TagBytes), xml,
                editId.ToByteArray());
        }
        catch (CryptographicException)
        {
            throw Unverifiable(editId, "its blob does not decrypt");
        }
        return xml;
    }

    /// <summary>What delivery reads: the approved data edit <paramref name="editId"/> of this submission, from the ledger.</summary>
    public async Task<byte[]> ReadApprovedAsync(Guid submissionId, Guid editId, CancellationToken ct)
    {
        // SubmissionReader is a singleton: the ledger is read in a scope of its own.
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var edit = await db.MessageEdits.AsNoTracking()
            .FirstOrDefaultAsync(e => e.Id == editId && e.SubmissionId == submissionId && e.Status == MessageEditStatus.Approved, ct);
        if (edit is not { EditedDataBlob: { } blob, EditedDataSha512: { } sha512 })
            throw Unverifiable(editId, "it is not an approved edit of this submission's data");
        var ars = await db.Submissions.AsNoTracking().Where(s => s.Id == submissionId).Select(s => s.Ars).FirstAsync(ct);
        return await ReadAsync(editId, ars, blob, sha512, ct);
    }

    private static SubmissionProblemException Unverifiable(Guid editId, string why) =>
        new(ProblemTypes.EditedDataUnverifiable, $"Edit {editId} of the application cannot be used: {why}.");
}
