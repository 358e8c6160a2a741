using IntegrationHub.UnitTests.Tenancy;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Operations.Edits;
using IntegrationHub.Problems;
using IntegrationHub.Security.AtRest;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.UnitTests.Security.AtRest;
using IntegrationHub.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.Operations;

/// <summary>An edit's corrected XML at rest: never in plaintext, under its municipality's key, bound to its blob, checked against its SHA-512.</summary>
public sealed class EditedApplicationDataTests : IAsyncLifetime
{
    private const string Offenbach = "064130000000";
    private static readonly byte[] Xml = Encoding.UTF8.GetBytes("<antrag><familienname>Korrigiert</familienname></antrag>");
    private AtRestLedger _ledger = null!;
    private FileSystemBlobStore _blobs = null!;
    private EditedApplicationData _data = null!;

    public async Task InitializeAsync()
    {
        _ledger = await AtRestLedger.CreateAsync();
        _blobs = new FileSystemBlobStore(_ledger.Folder.Combine("blobs"));
        _data = Create(TestMasterKeys.Default);
    }

    public async Task DisposeAsync() => await _ledger.DisposeAsync();

    private EditedApplicationData Create(string masterKey)
    {
        var hub = _ledger.Hub(masterKey);
        return new EditedApplicationData(hub.GetRequiredService<IServiceScopeFactory>(), _blobs, hub.GetRequiredService<KeyStore>(),
            hub.GetRequiredService<AtRestProtector>(), hub.GetRequiredService<IOptions<HubOptions>>());
    }

    [Fact]
    public async Task Stored_beside_the_submission_encrypted_and_read_back_as_written()
    {
        var (submissionId, editId) = (Guid.NewGuid(), Guid.NewGuid());

        var (blob, sha512) = await _data.StoreAsync(submissionId, Offenbach, editId, Xml, default);

        blob.Should().StartWith(SubmissionBlobs.Prefix(submissionId));
        var raw = await File.ReadAllBytesAsync(_ledger.Folder.Combine("blobs", blob));
        Encoding.UTF8.GetString(raw).Should().NotContain("Korrigiert");
        AtRestEnvelope.Parse(raw).Ars.Should().Be(Offenbach, "the municipality's data key protects it");
        sha512.Should().Be(Convert.ToHexStringLower(SHA512.HashData(Xml)));
        (await _data.ReadAsync(editId, Offenbach, blob, sha512, default)).Should().Equal(Xml);
    }

    [Fact]
    public async Task Another_blob_another_municipality_another_master_key_a_flipped_bit_another_hash_or_a_missing_blob_are_refused()
    {
        var (submissionId, editId) = (Guid.NewGuid(), Guid.NewGuid());
        var (blob, sha512) = await _data.StoreAsync(submissionId, Offenbach, editId, Xml, default);

        var copied = EditedApplicationData.BlobName(submissionId, Guid.NewGuid());
        await _blobs.PutAsync(copied, await _blobs.OpenReadAsync(blob));
        await Refused(() => _data.ReadAsync(editId, Offenbach, copied, sha512, default), "does not decrypt");
        await Refused(() => _data.ReadAsync(editId, "064110000000", blob, sha512, default), "does not decrypt");
        await Refused(() => Create(TestMasterKeys.Other).ReadAsync(editId, Offenbach, blob, sha512, default), "does not decrypt");
        await Refused(() => _data.ReadAsync(editId, Offenbach, blob, new string('0', 128), default), "SHA-512");
        await Refused(() => _data.ReadAsync(editId, Offenbach, "submissions/gibt-es-nicht/edits/x.xml.aesgcm", sha512, default), "missing");

        var path = _ledger.Folder.Combine("blobs", blob);
        var raw = await File.ReadAllBytesAsync(path);
        raw[^1] ^= 0x01;
        await File.WriteAllBytesAsync(path, raw);
        await Refused(() => _data.ReadAsync(editId, Offenbach, blob, sha512, default), "does not decrypt");
    }

    [Fact]
    public async Task An_edit_stored_before_the_per_municipality_keys_is_still_read()
    {
        var (submissionId, editId) = (Guid.NewGuid(), Guid.NewGuid());
        var key = _ledger.Hub().GetRequiredService<KeyStore>().DerivedKey("integrationhub:message-edits:v1");
        var legacy = new byte[12 + 16 + Xml.Length];
        RandomNumberGenerator.Fill(legacy.AsSpan(0, 12));
        using (var aes = new AesGcm(key, 16)) aes.Encrypt(legacy.AsSpan(0, 12), Xml, legacy.AsSpan(28), legacy.AsSpan(12, 16), editId.ToByteArray());
        var blob = EditedApplicationData.BlobName(submissionId, editId);
        await _blobs.PutAsync(blob, new MemoryStream(legacy));

        (await _data.ReadAsync(editId, Offenbach, blob, Convert.ToHexStringLower(SHA512.HashData(Xml)), default)).Should().Equal(Xml);
    }

    private static async Task Refused(Func<Task> read, string why)
    {
        var refused = await FluentActions.Awaiting(read).Should().ThrowAsync<SubmissionProblemException>();
        refused.Which.Type.Should().Be(ProblemTypes.EditedDataUnverifiable);
        refused.Which.Message.Should().Contain(why);
    }
}
