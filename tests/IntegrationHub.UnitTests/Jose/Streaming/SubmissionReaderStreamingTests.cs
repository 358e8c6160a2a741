using IntegrationHub.UnitTests.Tenancy;
using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Problems;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace IntegrationHub.UnitTests.Jose.Streaming;

/// <summary>A blob store, a destination key (generated once) and a reader, in a temporary folder.</summary>
public sealed class StreamingReaderFixture : IDisposable
{
    /// <summary>A submitted ledger row for the application, announcing its attachments, at this fixture's destination.</summary>
    public static Submission NewSubmission(DemoApplication application) => new()
    {
        Id = Guid.NewGuid(),
        CaseId = Guid.NewGuid(),
        DestinationId = DestinationId,
        Ars = Ars,
        SenderClientId = "efa-test",
        LeikaKey = application.LeikaKey,
        ServiceName = application.ServiceName,
        Status = SubmissionStatus.Submitted,
        AnnouncedAttachments = string.Join(',', application.Attachments.Select(a => a.AttachmentId)),
        CreatedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    public const string Ars = "064350014014";
    public const string Plz = "63067";
    public const string Ort = "Musterstadt";

    private readonly string _directory = Directory.CreateTempSubdirectory("ih-streaming-reader-").FullName;
    private readonly HttpClient _http = new() { BaseAddress = new Uri("http://hub.invalid/") };

    public StreamingReaderFixture()
    {
        var options = Options.Create(new HubOptions
        {
            DataDirectory = _directory,
            Keys = { Directory = Path.Combine(_directory, "keys"), MasterKey = TestMasterKeys.Default, DestinationKeyBits = 2048 },
            Limits = { MaxAttachmentBytes = 128L * 1024 * 1024 },
        });
        Keys = new KeyStore(options, NullLogger<KeyStore>.Instance);
        Blobs = new FileSystemBlobStore(Path.Combine(_directory, "blobs"));
        Reader = new SubmissionReader(Blobs, Keys, options);
        Sender = new EfaOnlineService(_http, "efa-test", "secret");
        _ = Keys.DestinationKey(DestinationId);
    }

    public static Guid DestinationId { get; } = Guid.Parse("0b6c8a8e-4f4e-4b8e-9d1e-7a2f3c4d5e6f");

    public KeyStore Keys { get; }

    public FileSystemBlobStore Blobs { get; }

    public SubmissionReader Reader { get; }

    public EfaOnlineService Sender { get; }

    public string BlobPath(string name) => Path.Combine(_directory, "blobs", name);

    public RSA DestinationPublicKey()
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(Keys.DestinationKey(DestinationId).Rsa.ExportParameters(false));
        return rsa;
    }

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>
/// SubmissionReader never holds an attachment whole: ReadAsync verifies it by streaming, OpenAttachmentAsync streams
/// it and fails the last read when it is not authentic.
/// </summary>
[Collection(LargePayloadCollection.Name)]
public sealed class SubmissionReaderStreamingTests(StreamingReaderFixture hub, ITestOutputHelper output) : IClassFixture<StreamingReaderFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    // The kid of the destination's key: a kid the destination does not have is refused (key rotation).
    private string Kid => hub.Keys.DestinationKey(StreamingReaderFixture.DestinationId).Kid;

    private string Encrypt(byte[] plaintext, bool compress = false)
    {
        using var key = hub.DestinationPublicKey();
        return JweEncryptor.Encrypt(plaintext, key, Kid, compress: compress);
    }

    private Task PutAsync(string blob, string compact) => hub.Blobs.PutAsync(blob, new MemoryStream(Encoding.ASCII.GetBytes(compact)), None);

    /// <summary>Metadata and data as the sender stores them; attachments only when <paramref name="storeAttachments"/>.</summary>
    private async Task<Submission> StoreAsync(DemoApplication application, bool compress = false, bool storeAttachments = true)
    {
        var submission = StreamingReaderFixture.NewSubmission(application);
        await PutAsync(SubmissionBlobs.Metadata(submission.Id), Encrypt(Encoding.UTF8.GetBytes(hub.Sender.BuildMetadata(application).ToJsonString())));
        await PutAsync(SubmissionBlobs.Data(submission.Id), Encrypt(application.Xml, compress));
        if (storeAttachments)
        {
            foreach (var a in application.Attachments)
            {
                await PutAsync(SubmissionBlobs.Attachment(submission.Id, a.AttachmentId), Encrypt(a.Content, compress));
            }
        }

        return submission;
    }

    private static DemoApplication WithAttachments(params byte[][] contents) =>
        ApplicationFactory.Wohngeld(StreamingReaderFixture.Ars, StreamingReaderFixture.Plz, StreamingReaderFixture.Ort, 2, withAttachment: false) with
        {
            Attachments = contents.Select((c, i) => new DemoAttachment(Guid.NewGuid(), $"anlage-{i}.pdf", "application/pdf", c)).ToList(),
        };

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Attachments_are_verified_without_content_and_open_as_their_plaintext(bool compress)
    {
        var application = WithAttachments(StreamingTestData.Plaintext(300_000, 1, compressible: true), [], StreamingTestData.Plaintext(17, 2));
        var submission = await StoreAsync(application, compress);

        var result = await hub.Reader.ReadAsync(submission, None);

        result.Attachments.Should().HaveCount(3);
        for (var i = 0; i < 3; i++)
        {
            var expected = application.Attachments[i];
            var verified = result.Attachments[i];
            verified.Should().Be(new VerifiedAttachment(expected.AttachmentId, expected.FileName, expected.MimeType, Sha512.Hex(expected.Content), expected.Content.Length));
            await using var plaintext = await hub.Reader.OpenAttachmentAsync(submission, expected.AttachmentId, None);
            plaintext.CanRead.Should().BeTrue();
            plaintext.CanWrite.Should().BeFalse();
            plaintext.CanSeek.Should().BeFalse();
            (await ReadAllAsync(plaintext)).Should().Equal(expected.Content);
        }
    }

    [Fact]
    public async Task Attachment_tampered_after_validation_fails_the_last_read_with_the_JWE_failure_inside()
    {
        var content = StreamingTestData.Plaintext(3 * 1024 * 1024, 3);
        var application = WithAttachments(content);
        var submission = await StoreAsync(application);
        var attachmentId = application.Attachments[0].AttachmentId;
        await hub.Reader.ReadAsync(submission, None);
        var blob = SubmissionBlobs.Attachment(submission.Id, attachmentId);
        var parts = JweEncryptor.Split(Encrypt(content));
        var ciphertext = Base64Url.DecodeFromChars(parts[3]);
        ciphertext[^1] ^= 0x80;
        parts[3] = Base64Url.EncodeToString(ciphertext);
        await PutAsync(blob, JweEncryptor.Join(parts));

        await using var plaintext = await hub.Reader.OpenAttachmentAsync(submission, attachmentId, None);
        var received = 0L;
        var buffer = new byte[81920];
        var act = async () =>
        {
            int read;
            while ((read = await plaintext.ReadAsync(buffer)) > 0)
            {
                received += read;
            }
        };

        var ex = (await act.Should().ThrowAsync<IOException>()).Which;
        var integrity = ex.Should().BeOfType<AttachmentIntegrityException>().Subject;
        integrity.Type.Should().Be(ProblemTypes.DecryptionFailed);
        integrity.Message.Should().Be($"The attachment {attachmentId} could not be decrypted with the destination's key.");
        integrity.InnerException.Should().BeOfType<JweException>().Which.Failure.Should().Be(JweFailure.DecryptionFailed);
        received.Should().BeLessThanOrEqualTo(content.Length, "the end of the stream is never reported, the failure comes instead");
        output.WriteLine($"{received} of {content.Length} unauthenticated bytes were read before the failure");

        var problem = await FluentActions.Awaiting(() => hub.Reader.ReadAsync(submission, None)).Should().ThrowAsync<SubmissionProblemException>();
        problem.Which.Type.Should().Be(ProblemTypes.DecryptionFailed);
        problem.Which.Message.Should().Be($"The attachment {attachmentId} could not be decrypted with the destination's key.");
    }

    [Fact]
    public async Task Attachment_replaced_by_other_authentic_content_fails_the_stream_with_HashMismatch()
    {
        var application = WithAttachments(StreamingTestData.Plaintext(100_000, 4));
        var submission = await StoreAsync(application);
        var attachmentId = application.Attachments[0].AttachmentId;
        await PutAsync(SubmissionBlobs.Attachment(submission.Id, attachmentId), Encrypt(StreamingTestData.Plaintext(100_000, 5)));

        await using var plaintext = await hub.Reader.OpenAttachmentAsync(submission, attachmentId, None);
        var ex = (await FluentActions.Awaiting(() => ReadAllAsync(plaintext)).Should().ThrowAsync<AttachmentIntegrityException>()).Which;

        ex.Type.Should().Be(ProblemTypes.HashMismatch);
        ex.Message.Should().Be($"The hash of attachment {attachmentId} does not match its metadata entry.");
        ex.InnerException.Should().BeNull();
        var problem = await FluentActions.Awaiting(() => hub.Reader.ReadAsync(submission, None)).Should().ThrowAsync<SubmissionProblemException>();
        problem.Which.Type.Should().Be(ProblemTypes.HashMismatch);
    }

    [Fact]
    public async Task Attachment_with_another_algorithm_is_UnsupportedEncryption_in_the_stream()
    {
        var content = StreamingTestData.Plaintext(1000, 6);
        var application = WithAttachments(content);
        var submission = await StoreAsync(application);
        var attachmentId = application.Attachments[0].AttachmentId;
        using (var key = hub.DestinationPublicKey())
        {
            await PutAsync(SubmissionBlobs.Attachment(submission.Id, attachmentId), JweEncryptor.Encrypt(content, key, Kid, alg: "RSA-OAEP"));
        }

        await using var plaintext = await hub.Reader.OpenAttachmentAsync(submission, attachmentId, None);
        var ex = (await FluentActions.Awaiting(() => ReadAllAsync(plaintext)).Should().ThrowAsync<AttachmentIntegrityException>()).Which;

        ex.Type.Should().Be(ProblemTypes.UnsupportedEncryption);
        ex.Message.Should().Be($"The attachment {attachmentId} uses an encryption other than RSA-OAEP-256 with A256GCM.");
        ex.InnerException.Should().BeOfType<JweException>().Which.Failure.Should().Be(JweFailure.UnsupportedAlgorithm);
    }

    [Fact]
    public async Task Opening_an_attachment_the_metadata_does_not_describe_is_AttachmentsMismatch()
    {
        var application = WithAttachments(StreamingTestData.Plaintext(10, 7));
        var submission = await StoreAsync(application);

        var act = () => hub.Reader.OpenAttachmentAsync(submission, Guid.NewGuid(), None);

        (await act.Should().ThrowAsync<SubmissionProblemException>()).Which.Type.Should().Be(ProblemTypes.AttachmentsMismatch);
    }

    [Fact]
    public async Task Missing_attachment_blob_is_not_a_sender_problem()
    {
        var application = WithAttachments(StreamingTestData.Plaintext(10, 8));
        var submission = await StoreAsync(application, storeAttachments: false);

        var act = () => hub.Reader.OpenAttachmentAsync(submission, application.Attachments[0].AttachmentId, None);

        await act.Should().ThrowAsync<BlobNotFoundException>();
        await FluentActions.Awaiting(() => hub.Reader.ReadAsync(submission, None)).Should().ThrowAsync<BlobNotFoundException>();
    }

    [Fact]
    public async Task Disposing_early_stops_the_decryption_and_closes_the_blob()
    {
        var application = WithAttachments(StreamingTestData.Plaintext(8 * 1024 * 1024, 9));
        var submission = await StoreAsync(application);
        var attachmentId = application.Attachments[0].AttachmentId;

        var plaintext = await hub.Reader.OpenAttachmentAsync(submission, attachmentId, None);
        var first = new byte[1000];
        (await plaintext.ReadAsync(first)).Should().BeGreaterThan(0);
        var stopwatch = Stopwatch.StartNew();
        await plaintext.DisposeAsync();

        stopwatch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
        using var exclusive = new FileStream(hub.BlobPath(SubmissionBlobs.Attachment(submission.Id, attachmentId)), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        exclusive.Length.Should().BeGreaterThan(0);
    }

    /// <summary>
    /// The whole reader path with a 100 MB attachment (file-backed blob store): ReadAsync verifies it and the opened
    /// stream delivers it, each with a bounded number of bytes allocated in the whole process (this class runs alone).
    /// </summary>
    [Fact]
    public async Task Hundred_megabyte_attachment_is_verified_and_streamed_with_bounded_allocations()
    {
        const int size = 100 * 1024 * 1024;
        const long bound = 16 * 1024 * 1024;
        var content = StreamingTestData.Plaintext(size, 10);
        var application = WithAttachments(content);
        var submission = await StoreAsync(application, storeAttachments: false);
        var attachmentId = application.Attachments[0].AttachmentId;
        var expectedSha512 = Sha512.Hex(content);
        using (var key = hub.DestinationPublicKey())
        {
            var path = hub.BlobPath(SubmissionBlobs.Attachment(submission.Id, attachmentId));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            StreamingTestData.WriteLargeJwe(path, content, key); // encrypts in place
        }

        content = null;
        application = null;
        GC.Collect();
        GC.WaitForPendingFinalizers();

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var stopwatch = Stopwatch.StartNew();
        var result = await hub.Reader.ReadAsync(submission, None);
        var readSeconds = stopwatch.Elapsed.TotalSeconds;
        var readAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        result.Attachments.Single().SizeBytes.Should().Be(size);
        result.Attachments.Single().Sha512.Should().Be(expectedSha512);

        using var sink = new RecordingStream(keep: false, hash: true);
        before = GC.GetTotalAllocatedBytes(precise: true);
        stopwatch.Restart();
        await using (var plaintext = await hub.Reader.OpenAttachmentAsync(submission, attachmentId, None))
        {
            await plaintext.CopyToAsync(sink);
        }

        var streamSeconds = stopwatch.Elapsed.TotalSeconds;
        var streamAllocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        sink.Count.Should().Be(size);
        sink.Sha512Hex().Should().Be(expectedSha512);

        output.WriteLine($"ReadAsync (verify 100 MiB attachment): {100 / readSeconds:F0} MiB/s, {readAllocated / 1024.0:F0} KiB allocated");
        output.WriteLine($"OpenAttachmentAsync + CopyToAsync: {100 / streamSeconds:F0} MiB/s, {streamAllocated / 1024.0:F0} KiB allocated");
        readAllocated.Should().BeLessThan(bound);
        streamAllocated.Should().BeLessThan(bound);
    }
}
