using IntegrationHub.UnitTests.Tenancy;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Ledger;
using IntegrationHub.Problems;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.UnitTests.Storage;
using IntegrationHub.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static IntegrationHub.UnitTests.Validation.HubTestData;

namespace IntegrationHub.UnitTests.Validation;

/// <summary>One blob store and one key folder for the class: the destination key is generated once.</summary>
public sealed class SubmissionReaderFixture : IDisposable
{
    private readonly TempDirectory _directory = new("reader");
    private readonly HttpClient _http = new() { BaseAddress = new Uri("http://hub.invalid/") };

    public SubmissionReaderFixture()
    {
        Options = Microsoft.Extensions.Options.Options.Create(new HubOptions
        {
            DataDirectory = _directory.Path,
            Keys = { Directory = _directory.Combine("keys"), MasterKey = TestMasterKeys.Default, DestinationKeyBits = 2048 },
        });
        Keys = new KeyStore(Options, NullLogger<KeyStore>.Instance);
        Blobs = new FileSystemBlobStore(_directory.Combine("blobs"));
        Reader = new SubmissionReader(Blobs, Keys, Options);
        Sender = new EfaOnlineService(_http, "efa-test", "secret");
        _ = Keys.DestinationKey(DestinationId); // generate once, up front
        OtherKey = RSA.Create(2048);
    }

    public static Guid DestinationId { get; } = Guid.Parse("6f7d2a51-5b0c-4a43-9a8e-3c1d2b4e5f60");

    public IOptions<HubOptions> Options { get; }
    public KeyStore Keys { get; }
    public FileSystemBlobStore Blobs { get; }
    public SubmissionReader Reader { get; }
    public EfaOnlineService Sender { get; }

    /// <summary>A key the destination does not hold.</summary>
    public RSA OtherKey { get; }

    /// <summary>The destination's public key, as a sender gets it.</summary>
    public RSA DestinationPublicKey()
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(Keys.DestinationKey(DestinationId).Rsa.ExportParameters(false));
        return rsa;
    }

    public void Dispose()
    {
        _http.Dispose();
        OtherKey.Dispose();
        _directory.Dispose();
    }
}

/// <summary>Opening a stored submission: decryption, metadata and hash checks, and the problem each failure gives.</summary>
public sealed class SubmissionReaderTests(SubmissionReaderFixture hub) : IClassFixture<SubmissionReaderFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    private string Kid => hub.Keys.DestinationKey(SubmissionReaderFixture.DestinationId).Kid;

    private string Encrypt(byte[] plaintext, string? kid = "", bool compress = false, string alg = "RSA-OAEP-256")
    {
        using var key = hub.DestinationPublicKey();
        return JweEncryptor.Encrypt(plaintext, key, kid == "" ? Kid : kid, compress: compress, alg: alg);
    }

    private static Submission NewSubmission(DemoApplication application, IEnumerable<Guid>? announced = null) => new()
    {
        Id = Guid.NewGuid(),
        CaseId = Guid.NewGuid(),
        DestinationId = SubmissionReaderFixture.DestinationId,
        Ars = Ars,
        SenderClientId = "efa-test",
        LeikaKey = application.LeikaKey,
        ServiceName = application.ServiceName,
        Status = SubmissionStatus.Submitted,
        AnnouncedAttachments = string.Join(',', announced ?? application.Attachments.Select(a => a.AttachmentId)),
        CreatedAt = DateTimeOffset.UtcNow,
        SubmittedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    private async Task PutAsync(string blobName, string compact) =>
        await hub.Blobs.PutAsync(blobName, new MemoryStream(Encoding.ASCII.GetBytes(compact)), None);

    private async Task PutMetadataAsync(Submission submission, JsonNode metadata) =>
        await PutAsync(SubmissionBlobs.Metadata(submission.Id), Encrypt(Encoding.UTF8.GetBytes(metadata.ToJsonString())));

    /// <summary>Stores metadata, data and attachments as the sender would, after optional changes to the metadata.</summary>
    private async Task<Submission> StoreAsync(
        DemoApplication application,
        Action<JsonObject>? editMetadata = null,
        IEnumerable<Guid>? announced = null,
        SubmitOptions? options = null,
        bool compress = false,
        string? kid = "")
    {
        var submission = NewSubmission(application, announced);
        var metadata = hub.Sender.BuildMetadata(application, options);
        editMetadata?.Invoke(metadata);
        await PutAsync(SubmissionBlobs.Metadata(submission.Id), Encrypt(Encoding.UTF8.GetBytes(metadata.ToJsonString()), kid, compress));
        await PutAsync(SubmissionBlobs.Data(submission.Id), Encrypt(application.Xml, kid, compress));
        foreach (var a in application.Attachments)
        {
            await PutAsync(SubmissionBlobs.Attachment(submission.Id, a.AttachmentId), Encrypt(a.Content, kid, compress));
        }

        return submission;
    }

    private Task<DecryptedSubmission> ReadAsync(Submission submission) => hub.Reader.ReadAsync(submission, None);

    private static DemoApplication WohngeldWithAttachment(int seed = 2) => ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed, withAttachment: true);

    private static DemoApplication WithSecondAttachment(DemoApplication application) =>
        application with
        {
            Attachments = [.. application.Attachments, new DemoAttachment(Guid.NewGuid(), "Lohnabrechnung.pdf", "application/pdf", MinimalPdf.Create("Lohnabrechnung (fiktiv)"))],
        };

    private static JsonObject Data(JsonObject metadata) => metadata["contentStructure"]!["data"]!.AsObject();

    private static JsonArray AttachmentEntries(JsonObject metadata) => metadata["contentStructure"]!["attachments"]!.AsArray();

    [Fact]
    public async Task Submission_with_attachment_reads_data_and_attachments()
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application);

        var result = await ReadAsync(submission);

        result.Data.Should().Equal(application.Xml);
        result.SchemaUri.Should().Be(DemoServices.WohngeldSchemaUri);
        ((string?)result.Metadata["publicServiceType"]!["identifier"]).Should().Be(application.LeikaUrn);
        var expected = application.Attachments.Single();
        var attachment = result.Attachments.Should().ContainSingle().Which;
        attachment.AttachmentId.Should().Be(expected.AttachmentId);
        attachment.FileName.Should().Be(expected.FileName);
        attachment.MimeType.Should().Be(expected.MimeType);
        attachment.Sha512.Should().Be(Sha512.Hex(expected.Content));
        attachment.SizeBytes.Should().Be(expected.Content.Length);
    }

    [Fact]
    public async Task Metadata_alone_is_read_without_touching_data_or_attachments_and_is_still_authenticated()
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application);
        await hub.Blobs.DeleteAsync(SubmissionBlobs.Data(submission.Id), None);
        await hub.Blobs.DeleteAsync(SubmissionBlobs.Attachment(submission.Id, application.Attachments[0].AttachmentId), None);

        var metadata = await hub.Reader.ReadMetadataAsync(submission, None);

        metadata["contentStructure"]!["attachments"]!.AsArray().Should().ContainSingle();
        await FluentActions.Awaiting(() => ReadAsync(submission)).Should().ThrowAsync<BlobNotFoundException>("the full read still needs every part");
        var parts = Encrypt(Encoding.UTF8.GetBytes(hub.Sender.BuildMetadata(application).ToJsonString())).Split('.');
        parts[3] = parts[3][..^2] + (parts[3][^2] == 'A' ? "B" : "A") + parts[3][^1];
        await PutAsync(SubmissionBlobs.Metadata(submission.Id), string.Join('.', parts));
        (await FluentActions.Awaiting(() => hub.Reader.ReadMetadataAsync(submission, None)).Should().ThrowAsync<SubmissionProblemException>())
            .Which.Type.Should().Be(ProblemTypes.DecryptionFailed);
    }

    [Fact]
    public async Task Submission_without_attachments_reads_data()
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 4, withAttachment: false);
        var submission = await StoreAsync(application);

        var result = await ReadAsync(submission);

        result.Data.Should().Equal(application.Xml);
        result.SchemaUri.Should().Be(DemoServices.SozialhilfeSchemaUri);
        result.Attachments.Should().BeEmpty();
    }

    [Fact]
    public async Task Two_attachments_are_read_in_metadata_order()
    {
        var application = WithSecondAttachment(WohngeldWithAttachment());
        var submission = await StoreAsync(application);

        var result = await ReadAsync(submission);

        result.Attachments.Select(a => a.AttachmentId).Should().Equal(application.Attachments.Select(a => a.AttachmentId));
        result.Attachments[1].Sha512.Should().Be(Sha512.Hex(application.Attachments[1].Content));
    }

    [Fact]
    public async Task Hash_in_upper_case_hex_is_accepted()
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application, m =>
        {
            var hash = Data(m)["hash"]!.AsObject();
            hash["content"] = ((string)hash["content"]!).ToUpperInvariant();
        });

        (await ReadAsync(submission)).Data.Should().Equal(application.Xml);
    }

    [Fact]
    public async Task Data_hash_mismatch_is_HashMismatch()
    {
        var submission = await StoreAsync(WohngeldWithAttachment(), options: new SubmitOptions { TamperDataHash = true });

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.HashMismatch);

        ex.Message.Should().Be("The hash of the data does not match contentStructure.data.hash.");
    }

    [Fact]
    public async Task Data_blob_replaced_by_other_content_is_HashMismatch()
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application);
        await PutAsync(SubmissionBlobs.Data(submission.Id), Encrypt(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 99).Xml));

        await ProblemAsync(() => ReadAsync(submission), ProblemTypes.HashMismatch);
    }

    [Fact]
    public async Task Attachment_hash_mismatch_is_HashMismatch_naming_the_attachment()
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application, options: new SubmitOptions { TamperAttachmentHash = true });

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.HashMismatch);

        ex.Message.Should().Be($"The hash of attachment {application.Attachments[0].AttachmentId} does not match its metadata entry.");
    }

    [Fact]
    public async Task Attachment_described_but_not_announced_is_AttachmentsMismatch()
    {
        var submission = await StoreAsync(WohngeldWithAttachment(), announced: []);

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.AttachmentsMismatch);

        ex.Message.Should().Be("The metadata describes 1 attachment(s); 0 were announced, and the ids must match.");
    }

    [Fact]
    public async Task Announced_attachment_missing_from_the_metadata_is_AttachmentsMismatch()
    {
        var application = WithSecondAttachment(WohngeldWithAttachment());
        var submission = await StoreAsync(application, m => AttachmentEntries(m).RemoveAt(1));

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.AttachmentsMismatch);

        ex.Message.Should().Be("The metadata describes 1 attachment(s); 2 were announced, and the ids must match.");
    }

    [Fact]
    public async Task Attachment_with_an_id_other_than_the_announced_is_AttachmentsMismatch()
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application, announced: [Guid.NewGuid()]);

        await ProblemAsync(() => ReadAsync(submission), ProblemTypes.AttachmentsMismatch);
    }

    [Fact]
    public async Task Metadata_describing_one_announced_attachment_twice_and_another_not_at_all_is_AttachmentsMismatch()
    {
        // Same count as announced, and every described id was announced, but the second announced
        // attachment is never described, so its hash is never checked and it is never handed over.
        var application = WithSecondAttachment(WohngeldWithAttachment());
        var submission = await StoreAsync(application, m =>
        {
            var entries = AttachmentEntries(m);
            entries[1] = entries[0]!.DeepClone();
        });

        await ProblemAsync(() => ReadAsync(submission), ProblemTypes.AttachmentsMismatch);
    }

    [Theory]
    [InlineData("kein JSON")]
    [InlineData("{\"contentStructure\":")]
    [InlineData("")]
    public async Task Metadata_that_is_not_JSON_is_MetadataInvalid(string metadata)
    {
        var submission = await StoreAsync(ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 5, withAttachment: false));
        await PutAsync(SubmissionBlobs.Metadata(submission.Id), Encrypt(Encoding.UTF8.GetBytes(metadata)));

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.MetadataInvalid);

        ex.Message.Should().Be("The metadata is not valid JSON.");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    public async Task Metadata_that_is_not_a_JSON_object_is_MetadataInvalid(string metadata)
    {
        var submission = await StoreAsync(ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 5, withAttachment: false));
        await PutAsync(SubmissionBlobs.Metadata(submission.Id), Encrypt(Encoding.UTF8.GetBytes(metadata)));

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.MetadataInvalid);

        ex.Message.Should().Be("The metadata is not a JSON object.");
    }

    [Fact]
    public async Task Metadata_nested_deeper_than_32_levels_is_MetadataInvalid()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40);
        var submission = await StoreAsync(ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 5, withAttachment: false));
        await PutAsync(SubmissionBlobs.Metadata(submission.Id), Encrypt(Encoding.UTF8.GetBytes(deep)));

        await ProblemAsync(() => ReadAsync(submission), ProblemTypes.MetadataInvalid);
    }

    public static TheoryData<string, string, string> MetadataDefects => new()
    {
        { "no contentStructure", "contentStructure", "contentStructure is missing." },
        { "no data", "contentStructure.data", "contentStructure.data is missing." },
        { "no schemaUri", "contentStructure.data.submissionSchema.schemaUri", "contentStructure.data.submissionSchema.schemaUri is missing." },
        { "no submissionSchema", "contentStructure.data.submissionSchema", "contentStructure.data.submissionSchema.schemaUri is missing." },
        { "no data hash", "contentStructure.data.hash", "contentStructure.data.hash must be {type: sha512, content: 128 hex digits}." },
    };

    [Theory]
    [MemberData(nameof(MetadataDefects))]
    public async Task Metadata_missing_a_required_member_is_MetadataInvalid(string defect, string path, string detail)
    {
        var submission = await StoreAsync(WohngeldWithAttachment(), m =>
        {
            var names = path.Split('.');
            JsonObject parent = m;
            foreach (var name in names[..^1])
            {
                parent = parent[name]!.AsObject();
            }

            parent.Remove(names[^1]).Should().BeTrue(defect);
        });

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.MetadataInvalid);

        ex.Message.Should().Be(detail);
    }

    [Theory]
    [InlineData("sha256", 128)]
    [InlineData("SHA512", 128)]
    [InlineData("sha512", 64)]
    [InlineData("sha512", 130)]
    public async Task Data_hash_other_than_sha512_with_128_hex_digits_is_MetadataInvalid(string type, int length)
    {
        var submission = await StoreAsync(WohngeldWithAttachment(), m =>
            Data(m)["hash"] = new JsonObject { ["type"] = type, ["content"] = new string('a', length) });

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.MetadataInvalid);

        ex.Message.Should().Be("contentStructure.data.hash must be {type: sha512, content: 128 hex digits}.");
    }

    [Fact]
    public async Task Attachment_hash_of_another_type_is_MetadataInvalid_naming_the_attachment()
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application, m =>
            AttachmentEntries(m)[0]!["hash"]!["type"] = "sha256");

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.MetadataInvalid);

        ex.Message.Should().Be($"attachment {application.Attachments[0].AttachmentId}.hash must be {{type: sha512, content: 128 hex digits}}.");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("anlage-1")]
    public async Task Attachment_without_a_UUID_is_MetadataInvalid(string? attachmentId)
    {
        var submission = await StoreAsync(WohngeldWithAttachment(), m =>
        {
            var entry = AttachmentEntries(m)[0]!.AsObject();
            entry.Remove("attachmentId");
            if (attachmentId is not null)
            {
                entry["attachmentId"] = attachmentId;
            }
        });

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.MetadataInvalid);

        ex.Message.Should().Be("Every contentStructure.attachments entry needs an attachmentId (UUID).");
    }

    [Fact]
    public async Task Service_of_the_metadata_other_than_the_submissions_is_ServiceMismatch()
    {
        var submission = await StoreAsync(WohngeldWithAttachment(), m =>
            m["publicServiceType"]!["identifier"] = DemoServices.LeikaUrn(DemoServices.SozialhilfeLeikaKey));

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.ServiceMismatch);

        ex.Message.Should().Be("publicServiceType.identifier differs from the submission's serviceType.");
    }

    [Fact]
    public async Task Metadata_without_publicServiceType_is_accepted()
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application, m => m.Remove("publicServiceType"));

        (await ReadAsync(submission)).Data.Should().Equal(application.Xml);
    }

    [Theory]
    [InlineData("metadata")]
    [InlineData("data")]
    [InlineData("attachment")]
    public async Task RSA_OAEP_with_SHA1_is_UnsupportedEncryption(string part)
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application);
        var attachment = application.Attachments[0];
        var (blob, plaintext) = part switch
        {
            "metadata" => (SubmissionBlobs.Metadata(submission.Id), Encoding.UTF8.GetBytes(hub.Sender.BuildMetadata(application).ToJsonString())),
            "data" => (SubmissionBlobs.Data(submission.Id), application.Xml),
            _ => (SubmissionBlobs.Attachment(submission.Id, attachment.AttachmentId), attachment.Content),
        };
        await PutAsync(blob, Encrypt(plaintext, alg: "RSA-OAEP"));

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.UnsupportedEncryption);

        ex.Message.Should().Contain(part == "attachment" ? $"attachment {attachment.AttachmentId}" : $"The {part} uses");
    }

    [Theory]
    [InlineData("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A128GCM\"}")]
    [InlineData("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256CBC-HS512\"}")]
    [InlineData("{\"alg\":\"RSA1_5\",\"enc\":\"A256GCM\"}")]
    [InlineData("{\"alg\":\"dir\",\"enc\":\"A256GCM\"}")]
    [InlineData("{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\",\"zip\":\"GZIP\"}")]
    public async Task Other_algorithms_are_UnsupportedEncryption(string header)
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 6, withAttachment: false);
        var submission = await StoreAsync(application);
        using var key = hub.DestinationPublicKey();
        await PutAsync(SubmissionBlobs.Data(submission.Id), JweEncryptor.EncryptWithHeader(application.Xml, key, header));

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.UnsupportedEncryption);

        ex.Message.Should().Be("The data uses an encryption other than RSA-OAEP-256 with A256GCM.");
    }

    [Fact]
    public async Task Data_encrypted_to_another_key_is_DecryptionFailed()
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 7, withAttachment: false);
        var submission = await StoreAsync(application);
        await PutAsync(SubmissionBlobs.Data(submission.Id), JweEncryptor.Encrypt(application.Xml, hub.OtherKey, Kid));

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.DecryptionFailed);

        ex.Message.Should().Be("The data could not be decrypted with the destination's key.");
    }

    [Fact]
    public async Task Metadata_encrypted_to_a_key_of_another_size_is_DecryptionFailed()
    {
        using var other = RSA.Create(3072);
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 7, withAttachment: false);
        var submission = await StoreAsync(application);
        await PutAsync(SubmissionBlobs.Metadata(submission.Id),
            JweEncryptor.Encrypt(Encoding.UTF8.GetBytes(hub.Sender.BuildMetadata(application).ToJsonString()), other, Kid));

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.DecryptionFailed);

        ex.Message.Should().Be("The metadata could not be decrypted with the destination's key.");
    }

    [Fact]
    public async Task Attachment_encrypted_to_another_key_is_DecryptionFailed_naming_the_attachment()
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application);
        var attachment = application.Attachments[0];
        await PutAsync(SubmissionBlobs.Attachment(submission.Id, attachment.AttachmentId), JweEncryptor.Encrypt(attachment.Content, hub.OtherKey, Kid));

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.DecryptionFailed);

        ex.Message.Should().Be($"The attachment {attachment.AttachmentId} could not be decrypted with the destination's key.");
    }

    [Theory]
    [InlineData("not a jwe")]
    [InlineData("a.b.c.d")]
    [InlineData("")]
    public async Task Blob_that_is_not_a_JWE_is_DecryptionFailed(string content)
    {
        var submission = await StoreAsync(ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 8, withAttachment: false));
        await PutAsync(SubmissionBlobs.Data(submission.Id), content);

        await ProblemAsync(() => ReadAsync(submission), ProblemTypes.DecryptionFailed);
    }

    [Fact]
    public async Task Tampered_ciphertext_is_DecryptionFailed()
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 8, withAttachment: false);
        var submission = await StoreAsync(application);
        var parts = JweEncryptor.Split(Encrypt(application.Xml));
        var c = parts[3][10];
        parts[3] = parts[3][..10] + (c == 'A' ? 'B' : 'A') + parts[3][11..];
        await PutAsync(SubmissionBlobs.Data(submission.Id), JweEncryptor.Join(parts));

        await ProblemAsync(() => ReadAsync(submission), ProblemTypes.DecryptionFailed);
    }

    [Fact]
    public async Task Compressed_parts_zip_DEF_are_accepted()
    {
        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application, compress: true);

        var result = await ReadAsync(submission);

        result.Data.Should().Equal(application.Xml);
        result.Attachments.Single().Sha512.Should().Be(Sha512.Hex(application.Attachments[0].Content));
    }

    [Fact]
    public async Task Data_larger_than_the_limit_is_PayloadTooLarge()
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 9, withAttachment: false);
        var submission = await StoreAsync(application);
        var reader = new SubmissionReader(hub.Blobs, hub.Keys, Options.Create(new HubOptions { Limits = { MaxDataBytes = 1024 } }));

        var ex = await ProblemAsync(() => reader.ReadAsync(submission, None), ProblemTypes.PayloadTooLarge);

        ex.Message.Should().Be("The decrypted data exceeds the configured limit.");
    }

    [Fact]
    public async Task Compressed_data_that_inflates_beyond_the_limit_is_PayloadTooLarge()
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 9, withAttachment: false);
        var submission = await StoreAsync(application);
        await PutAsync(SubmissionBlobs.Data(submission.Id), Encrypt(new byte[2 * 1024 * 1024], compress: true));
        var reader = new SubmissionReader(hub.Blobs, hub.Keys, Options.Create(new HubOptions { Limits = { MaxDataBytes = 1024 * 1024 } }));

        await ProblemAsync(() => reader.ReadAsync(submission, None), ProblemTypes.PayloadTooLarge);
    }

    public static TheoryData<string?> Kids => new()
    {
        null,
        "thumbprint",
    };

    // Key rotation: the kid picks among the destination's own keys (see Tenancy/Onboarding/KeyRotation tests); without
    // one, the key published when the submission was made.
    [Theory]
    [MemberData(nameof(Kids))]
    public async Task Key_is_the_destinations_whether_named_by_thumbprint_or_not_at_all(string? kid)
    {
        if (kid == "thumbprint")
        {
            using var key = hub.DestinationPublicKey();
            kid = Jwk.Thumbprint(key);
            kid.Should().Be(hub.Keys.DestinationKey(SubmissionReaderFixture.DestinationId).Thumbprint);
        }

        var application = WohngeldWithAttachment();
        var submission = await StoreAsync(application, kid: kid);

        (await ReadAsync(submission)).Data.Should().Equal(application.Xml);
    }

    [Fact]
    public async Task A_kid_the_destination_does_not_have_is_DestinationKeyUnknown()
    {
        var submission = await StoreAsync(WohngeldWithAttachment(), kid: "irgendein-kid");

        var ex = await ProblemAsync(() => ReadAsync(submission), ProblemTypes.DestinationKeyUnknown);

        ex.Message.Should().Contain(SubmissionReaderFixture.DestinationId.ToString()).And.Contain("encryptionKid").And.NotContain("irgendein-kid");
    }

    [Fact]
    public async Task Missing_data_blob_is_not_a_sender_problem()
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 10, withAttachment: false);
        var submission = NewSubmission(application);
        await PutMetadataAsync(submission, hub.Sender.BuildMetadata(application));

        // Storage trouble is the hub's, not the sender's: it propagates (and the consumer retries).
        var ex = (await FluentActions.Awaiting(() => ReadAsync(submission)).Should().ThrowAsync<BlobNotFoundException>()).Which;
        ex.Name.Should().Be(SubmissionBlobs.Data(submission.Id));
    }
}
