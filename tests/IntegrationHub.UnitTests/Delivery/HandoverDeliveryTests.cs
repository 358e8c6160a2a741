using Microsoft.Extensions.DependencyInjection;
using IntegrationHub.Adapters.Prosoz;
using IntegrationHub.Hosting;
using System.Buffers.Text;
using System.Text;
using IntegrationHub.Adapters.Marius;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Problems;
using IntegrationHub.Signing;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.UnitTests.Jose.Streaming;
using IntegrationHub.Validation;
using static IntegrationHub.UnitTests.Validation.HubTestData;

namespace IntegrationHub.UnitTests.Delivery;

/// <summary>A simulator server (Prosoz-like and Marius-like procedures on 127.0.0.1) as a delivery target.</summary>
public sealed class SimulatorTargetFixture : IAsyncLifetime
{
    public SimulatorServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await SimulatorServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// The delivery path as DeliveryRequestedConsumer runs it, minus the ledger: a stored (encrypted) submission is read
/// and verified, the handover built and signed, and the attachments stream from the stored originals through the
/// adapter into the Marius-like procedure, which checks every part against the signed hash and size.
/// </summary>
public sealed class HandoverDeliveryTests(StreamingReaderFixture hub, HandoverCertificates certificates, SimulatorTargetFixture target)
    : IClassFixture<StreamingReaderFixture>, IClassFixture<HandoverCertificates>, IClassFixture<SimulatorTargetFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Verified_attachments_stream_from_the_stored_originals_into_the_procedures_case()
    {
        var contents = new[] { StreamingTestData.Plaintext(3 * 1024 * 1024, 11), StreamingTestData.Plaintext(10, 12) };
        var submission = await StoreAsync(contents);
        var call = await BuildCallAsync(submission);
        using var http = new HttpClient();

        var receipt = await DeliveryRequestedConsumer.GuardAttachmentsAsync(() => QuittungHttpClient.PostAsync(http, "api/v1/antraege", call, None));

        receipt.Aktenzeichen.Should().MatchRegex(@"^WG-\d{4}-\d{6}$");
        var created = target.Server.Marius.Cases.Single(c => c.SubmissionId == submission.Id);
        created.Aktenzeichen.Should().Be(receipt.Aktenzeichen);
        created.AttachmentCount.Should().Be(2);
        created.AttachmentBytes.Should().Be(contents.Sum(c => (long)c.Length));
    }

    [Fact]
    public void Target_adapters_get_http_clients_without_a_whole_call_timeout()
    {
        using var provider = new ServiceCollection().AddTargetAdapters().BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();

        foreach (var adapter in new[] { nameof(XtaMailboxClient), nameof(ProsozAdapter) })
            factory.CreateClient(adapter).Timeout.Should().Be(Timeout.InfiniteTimeSpan, "the target's own timeout governs, not HttpClient's 100 s for the whole upload");
    }

    [Fact]
    public async Task Attachment_tampered_after_validation_is_a_permanent_problem_and_the_procedure_creates_no_case()
    {
        var content = StreamingTestData.Plaintext(2 * 1024 * 1024, 13);
        var submission = await StoreAsync([content]);
        var call = await BuildCallAsync(submission);
        var attachmentId = call.Attachments.Single().AttachmentId;
        var parts = JweEncryptor.Split(Encrypt(content));
        var ciphertext = Base64Url.DecodeFromChars(parts[3]);
        ciphertext[^1] ^= 0x80;
        parts[3] = Base64Url.EncodeToString(ciphertext);
        await PutAsync(SubmissionBlobs.Attachment(submission.Id, attachmentId), JweEncryptor.Join(parts));
        using var http = new HttpClient();

        var act = () => DeliveryRequestedConsumer.GuardAttachmentsAsync(() => QuittungHttpClient.PostAsync(http, "api/v1/antraege", call, None));

        // SubmissionProblemException: the consumer marks the delivery failed and sends it to the error queue, no retry.
        var problem = (await act.Should().ThrowAsync<SubmissionProblemException>()).Which;
        problem.Type.Should().Be(ProblemTypes.DecryptionFailed);
        problem.Message.Should().Contain(attachmentId.ToString());
        await Task.Delay(200); // the procedure sees the reset connection a moment later
        target.Server.Marius.CaseCountFor(submission.Id).Should().Be(0);
    }

    /// <summary>What the consumer does before it calls the adapter (the signing key is the test municipality's).</summary>
    private async Task<HandoverCall> BuildCallAsync(Submission submission)
    {
        target.Server.Pins.Pin(Ars, certificates.Pinned);
        var content = await hub.Reader.ReadAsync(submission, None);
        var application = XmlContractValidator.LoadAndValidate(content.Data, MaxXmlCharacters);
        var deliveryId = Guid.NewGuid();
        var handover = CaseHandover.Build(deliveryId, submission, application, content.Attachments, "marius", "Musterstadt", DateTimeOffset.UtcNow);
        XmlDocumentSigner.SignEnveloped(handover, certificates.Municipality);
        return new HandoverCall(submission.Id, "marius",
            new TargetOptions { Kind = MariusAdapter.KindName, BaseUrl = target.Server.BaseAddress + "marius", Timeout = TimeSpan.FromSeconds(10) },
            $"{submission.Id}:marius", SafeXml.ToBytes(handover), content.Attachments
                .Select(a => new HandoverAttachment(a.AttachmentId, a.MimeType, a.SizeBytes, token => hub.Reader.OpenAttachmentAsync(submission, a.AttachmentId, token)))
                .ToList());
    }

    private async Task<Submission> StoreAsync(byte[][] contents)
    {
        var application = ApplicationFactory.Wohngeld(StreamingReaderFixture.Ars, StreamingReaderFixture.Plz, StreamingReaderFixture.Ort, 2, withAttachment: false) with
        {
            Attachments = contents.Select((c, i) => new DemoAttachment(Guid.NewGuid(), $"anlage-{i}.pdf", "application/pdf", c)).ToList(),
        };
        var submission = StreamingReaderFixture.NewSubmission(application);
        await PutAsync(SubmissionBlobs.Metadata(submission.Id), Encrypt(Encoding.UTF8.GetBytes(hub.Sender.BuildMetadata(application).ToJsonString())));
        await PutAsync(SubmissionBlobs.Data(submission.Id), Encrypt(application.Xml));
        foreach (var a in application.Attachments)
        {
            await PutAsync(SubmissionBlobs.Attachment(submission.Id, a.AttachmentId), Encrypt(a.Content));
        }

        return submission;
    }

    private string Encrypt(byte[] plaintext)
    {
        using var key = hub.DestinationPublicKey();
        return JweEncryptor.Encrypt(plaintext, key, hub.Keys.DestinationKey(StreamingReaderFixture.DestinationId).Kid); // the kid the destination publishes
    }

    private Task PutAsync(string blob, string compact) => hub.Blobs.PutAsync(blob, new MemoryStream(Encoding.ASCII.GetBytes(compact)), None);
}
