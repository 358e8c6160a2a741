using System.Text;
using IntegrationHub.Operations.Edits;
using IntegrationHub.Problems;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.Operations;

/// <summary>An edit's corrected XML at rest: never in plaintext, bound to its edit, checked against its SHA-512.</summary>
public sealed class EditedApplicationDataTests : IDisposable
{
    private static readonly byte[] Xml = Encoding.UTF8.GetBytes("<antrag><familienname>Korrigiert</familienname></antrag>");
    private readonly string _directory = Directory.CreateTempSubdirectory("ih-edited-data-").FullName;
    private readonly FileSystemBlobStore _blobs;
    private readonly EditedApplicationData _data;

    public EditedApplicationDataTests()
    {
        _blobs = new FileSystemBlobStore(Path.Combine(_directory, "blobs"));
        _data = Create("unit-test-master-key");
    }

    private EditedApplicationData Create(string masterKey)
    {
        var options = Options.Create(new HubOptions { DataDirectory = _directory, Keys = { Directory = Path.Combine(_directory, "keys"), MasterKey = masterKey } });
        var scopes = new ServiceCollection().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>();
        return new EditedApplicationData(scopes, _blobs, new KeyStore(options, NullLogger<KeyStore>.Instance), options);
    }

    [Fact]
    public async Task Stored_beside_the_submission_encrypted_and_read_back_as_written()
    {
        var (submissionId, editId) = (Guid.NewGuid(), Guid.NewGuid());

        var (blob, sha512) = await _data.StoreAsync(submissionId, editId, Xml, default);

        blob.Should().StartWith(SubmissionBlobs.Prefix(submissionId));
        var raw = await File.ReadAllBytesAsync(Path.Combine(_directory, "blobs", blob));
        Encoding.UTF8.GetString(raw).Should().NotContain("Korrigiert");
        raw.Length.Should().Be(12 + 16 + Xml.Length);
        sha512.Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(Xml)));
        (await _data.ReadAsync(editId, blob, sha512, default)).Should().Equal(Xml);
    }

    [Fact]
    public async Task Another_edit_id_another_key_a_flipped_bit_another_hash_or_a_missing_blob_are_refused()
    {
        var (submissionId, editId) = (Guid.NewGuid(), Guid.NewGuid());
        var (blob, sha512) = await _data.StoreAsync(submissionId, editId, Xml, default);

        await Refused(() => _data.ReadAsync(Guid.NewGuid(), blob, sha512, default), "does not decrypt");
        await Refused(() => Create("another-master-key").ReadAsync(editId, blob, sha512, default), "does not decrypt");
        await Refused(() => _data.ReadAsync(editId, blob, new string('0', 128), default), "SHA-512");
        await Refused(() => _data.ReadAsync(editId, "submissions/gibt-es-nicht/edits/x.xml.aesgcm", sha512, default), "missing");

        var path = Path.Combine(_directory, "blobs", blob);
        var raw = await File.ReadAllBytesAsync(path);
        raw[^1] ^= 0x01;
        await File.WriteAllBytesAsync(path, raw);
        await Refused(() => _data.ReadAsync(editId, blob, sha512, default), "does not decrypt");
    }

    private static async Task Refused(Func<Task> read, string why)
    {
        var refused = await FluentActions.Awaiting(read).Should().ThrowAsync<SubmissionProblemException>();
        refused.Which.Type.Should().Be(ProblemTypes.EditedDataUnverifiable);
        refused.Which.Message.Should().Contain(why);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
