using System.Buffers.Text;
using System.Net.Http.Headers;
using IntegrationHub.Adapters.Dms;
using IntegrationHub.Delivery;
using IntegrationHub.Hosting;
using Microsoft.Extensions.DependencyInjection;
using IntegrationHub.Problems;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.Dms;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.UnitTests.Jose.Streaming;
using IntegrationHub.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using static IntegrationHub.UnitTests.Adapters.DmsTargetFixture;

namespace IntegrationHub.UnitTests.Adapters;

/// <summary>The d.3-like DMS adapter against the DMS simulator: what ends up where, byte for byte, once.</summary>
public sealed class DmsAdapterTests(DmsTargetFixture fixture) : IClassFixture<DmsTargetFixture>, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly HttpClient _http = new();

    private DmsAdapter Adapter => new(_http, NullLogger<DmsAdapter>.Instance);

    [Fact]
    public async Task Antrag_is_filed_as_Akte_Vorgang_and_Dokumente_under_the_Aktenplan_key_of_the_tenant_mapping()
    {
        var attachment = StreamingTestData.Plaintext(200_000, 21);
        var (submission, application) = await fixture.StoreAsync(attachment);
        var aktenzeichen = NewAktenzeichen();

        var outcome = await Adapter.DeliverAsync(fixture.Call(submission, "filing:antrag", Antrag(aktenzeichen), Tenant()), None);

        var filed = fixture.Dms.FiledUnder(aktenzeichen).Should().ContainSingle().Subject;
        filed.Akte.Property(DmsSchema.AktenplanKey).Should().Be("50.22.01", "the Wohngeld entry is more specific than the catch-all");
        filed.Akte.Property(DmsSchema.Title).Should().Be("Wohngeld Anträge");
        filed.Vorgang.Property(DmsSchema.Aktenzeichen).Should().Be(aktenzeichen);
        filed.Vorgang.ParentId.Should().Be(filed.Akte.Id);
        filed.Dokumente.Should().HaveCount(2);
        var antrag = filed.Dokumente[0];
        antrag.Property(DmsSchema.DocumentType).Should().Be("Antrag");
        antrag.Property(DmsSchema.FileName).Should().Be("Antrag.xml");
        antrag.Property(DmsSchema.SubmissionId).Should().Be(submission.Id.ToString());
        antrag.Property(DmsSchema.ReceivedAt).Should().Be("2026-03-02T09:30:00Z");
        antrag.Property(DmsSchema.AktenplanKey).Should().Be("50.22.01");
        antrag.Content!.Sha512.Should().Be(Sha512.Hex(application.Xml), "the application XML is filed exactly as received");
        var anlage = filed.Dokumente[1];
        anlage.Property(DmsSchema.DocumentType).Should().Be("Anlage");
        anlage.Property(DmsSchema.FileName).Should().Be("nachweis-0.pdf");
        anlage.Content!.Sha512.Should().Be(Sha512.Hex(attachment));
        outcome.Reference.Should().Be($"/dms/r/{DmsSimulator.DefaultRepositoryId}/o2m/{antrag.Id}?sourceid={Uri.EscapeDataString(fixture.Dms.SourceId)}");
    }

    [Fact]
    public async Task Attachment_larger_than_a_chunk_is_uploaded_in_chunks_and_arrives_byte_identical()
    {
        var attachment = StreamingTestData.Plaintext(1024 * 1024 + 123, 22);
        var (submission, _) = await fixture.StoreAsync(attachment);
        var aktenzeichen = NewAktenzeichen();
        var chunkCallsBefore = fixture.Dms.Calls.Count(c => c.Operation == "chunk");

        await Adapter.DeliverAsync(fixture.Call(submission, "filing:antrag", Antrag(aktenzeichen), Tenant(),
            settings: new Dictionary<string, string?> { ["ChunkSizeBytes"] = (64 * 1024).ToString() }), None);

        var anlage = fixture.Dms.FiledUnder(aktenzeichen).Single().Dokumente.Single(d => d.Property(DmsSchema.DocumentType) == "Anlage");
        anlage.Content!.Chunks.Should().Be(17, "1 MiB + 123 bytes in 64 KiB chunks");
        anlage.Content.SizeBytes.Should().Be(attachment.Length);
        anlage.Content.Sha512.Should().Be(Sha512.Hex(attachment));
        fixture.Dms.Calls.Count(c => c.Operation == "chunk").Should().Be(chunkCallsBefore + 17 + 1, "plus one chunk for the application XML");

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Server.BaseAddress, $"dms/r/{DmsSimulator.DefaultRepositoryId}/o/{anlage.Id}/v/current/b/main/c"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        using var download = await _http.SendAsync(request);
        (await download.Content.ReadAsByteArrayAsync()).Should().Equal(attachment);
    }

    [Fact]
    public async Task Retried_and_replayed_filing_finds_what_it_filed_and_creates_no_duplicate()
    {
        var (submission, _) = await fixture.StoreAsync(StreamingTestData.Plaintext(10_000, 23));
        var aktenzeichen = NewAktenzeichen();
        var call = () => fixture.Call(submission, "filing:antrag", Antrag(aktenzeichen), Tenant());
        fixture.Dms.Faults.FailNext(1, 503);
        await FluentActions.Awaiting(() => Adapter.DeliverAsync(call(), None)).Should().ThrowAsync<TransientDeliveryException>();

        var first = await Adapter.DeliverAsync(call(), None);
        var objectsAfterFirst = fixture.Dms.Objects.Count;
        var replay = await Adapter.DeliverAsync(call(), None);

        replay.Reference.Should().Be(first.Reference);
        fixture.Dms.Objects.Count.Should().Be(objectsAfterFirst);
        fixture.Dms.FiledUnder(aktenzeichen).Should().ContainSingle().Which.Dokumente.Should().HaveCount(2);
    }

    [Fact]
    public async Task Filings_racing_into_the_same_Aktenplan_key_share_one_Akte()
    {
        var submissions = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => fixture.StoreAsync()));
        var tenant = Tenant(new AktenplanEntry { Key = "50.99." + Random.Shared.Next(1000, 9999), AkteTitle = "Race" });

        await Task.WhenAll(submissions.Select(s => Adapter.DeliverAsync(fixture.Call(s.Submission, "filing:antrag", Antrag(NewAktenzeichen()), tenant), None)));

        fixture.Dms.Akten.Where(a => a.Property(DmsSchema.AktenplanKey) == tenant.Aktenplan[0].Key).Should().ContainSingle();
        fixture.Dms.Vorgaenge.Where(v => v.Property(DmsSchema.AktenplanKey) == tenant.Aktenplan[0].Key).Should().HaveCount(6);
    }

    [Fact]
    public async Task Bescheid_is_filed_under_its_own_Aktenplan_key_with_the_procedures_Aktenzeichen()
    {
        var (submission, _) = await fixture.StoreAsync();
        var aktenzeichen = NewAktenzeichen();
        await Adapter.DeliverAsync(fixture.Call(submission, "filing:antrag", Antrag(aktenzeichen), Tenant()), None);
        var bescheid = MinimalPdf.Create("Bescheid");
        var blob = SubmissionBlobs.Document(submission.Id, "marius", 2);
        await fixture.Hub.Blobs.PutAsync(blob, new MemoryStream(bescheid));

        await Adapter.DeliverAsync(fixture.Call(submission, "filing:bescheid-marius-2", new DeliveryPayload
        {
            DocumentKind = DocumentKinds.Bescheid,
            Aktenzeichen = aktenzeichen,
            DocumentBlob = blob,
            DocumentName = "Bescheid.pdf",
            DocumentMimeType = "application/pdf",
            OccurredAt = new DateTimeOffset(2026, 4, 1, 8, 0, 0, TimeSpan.Zero),
        }, Tenant()), None);

        var filed = fixture.Dms.FiledUnder(aktenzeichen);
        filed.Select(f => f.Akte.Property(DmsSchema.AktenplanKey)).Should().BeEquivalentTo(["50.22.01", "50.22.02"]);
        var dokument = filed.Single(f => f.Akte.Property(DmsSchema.AktenplanKey) == "50.22.02").Dokumente.Should().ContainSingle().Subject;
        dokument.Property(DmsSchema.DocumentType).Should().Be("Bescheid");
        dokument.Property(DmsSchema.ReceivedAt).Should().Be("2026-04-01T08:00:00Z");
        dokument.Content!.Sha512.Should().Be(Sha512.Hex(bescheid));
    }

    [Fact]
    public async Task Refusal_of_the_DMS_is_permanent_and_carries_its_problem_text()
    {
        var (submission, _) = await fixture.StoreAsync();

        var act = () => Adapter.DeliverAsync(fixture.Call(submission, "filing:antrag", Antrag(NewAktenzeichen()), Tenant(),
            settings: new Dictionary<string, string?> { ["Categories:Dokument"] = "schriftstueck" }), None);

        (await act.Should().ThrowAsync<PermanentDeliveryException>()).Which.Message
            .Should().Contain("400").And.Contain("Unknown category").And.Contain("'schriftstueck' is not a category");
    }

    [Fact]
    public async Task Wrong_api_key_is_a_permanent_refusal()
    {
        var (submission, _) = await fixture.StoreAsync();

        var act = () => Adapter.DeliverAsync(fixture.Call(submission, "filing:antrag", Antrag(NewAktenzeichen()), Tenant(),
            settings: new Dictionary<string, string?> { ["ApiKey"] = "wrong" }), None);

        (await act.Should().ThrowAsync<PermanentDeliveryException>()).Which.Message.Should().Contain("401");
    }

    [Fact]
    public async Task Unavailable_DMS_is_transient_with_its_retry_after()
    {
        var (submission, _) = await fixture.StoreAsync();
        var aktenzeichen = NewAktenzeichen();
        fixture.Dms.Faults.FailNext(1, 503);

        var act = () => Adapter.DeliverAsync(fixture.Call(submission, "filing:antrag", Antrag(aktenzeichen), Tenant()), None);

        (await act.Should().ThrowAsync<TransientDeliveryException>()).Which.RetryAfter.Should().Be(TimeSpan.FromSeconds(1));
        fixture.Dms.FiledUnder(aktenzeichen).Should().BeEmpty();
    }

    [Fact]
    public async Task DMS_that_does_not_answer_in_time_is_transient()
    {
        var (submission, _) = await fixture.StoreAsync();
        var call = fixture.Call(submission, "filing:antrag", Antrag(NewAktenzeichen()), Tenant());
        call.Options.Timeout = TimeSpan.FromMilliseconds(200);
        fixture.Dms.Faults.Latency = TimeSpan.FromSeconds(2);
        try
        {
            await FluentActions.Awaiting(() => Adapter.DeliverAsync(call, None)).Should().ThrowAsync<TransientDeliveryException>()
                .WithMessage("*did not answer*");
        }
        finally
        {
            fixture.Dms.Faults.Reset();
        }
    }

    [Fact]
    public async Task Missing_Aktenplan_entry_is_permanent_and_nothing_is_filed()
    {
        var (submission, _) = await fixture.StoreAsync();
        var callsBefore = fixture.Dms.Calls.Count;
        var tenant = Tenant(new AktenplanEntry { LeikaKey = DemoServices.SozialhilfeLeikaKey, Key = "50.21.01", AkteTitle = "Hilfe zum Lebensunterhalt" });

        var act = () => Adapter.DeliverAsync(fixture.Call(submission, "filing:antrag", Antrag(NewAktenzeichen()), tenant), None);

        (await act.Should().ThrowAsync<PermanentDeliveryException>()).Which.Message
            .Should().Contain("no Aktenplan entry").And.Contain(DemoServices.WohngeldLeikaKey).And.Contain("Antrag");
        fixture.Dms.Calls.Count.Should().Be(callsBefore);
    }

    [Fact]
    public async Task Attachment_tampered_in_the_store_is_a_submission_problem_and_no_document_is_filed()
    {
        var content = StreamingTestData.Plaintext(100_000, 24);
        var (submission, application) = await fixture.StoreAsync(content);
        var parts = JweEncryptor.Split(fixture.Encrypt(content));
        var ciphertext = Base64Url.DecodeFromChars(parts[3]);
        ciphertext[^1] ^= 0x01;
        parts[3] = Base64Url.EncodeToString(ciphertext);
        await fixture.PutAsync(SubmissionBlobs.Attachment(submission.Id, application.Attachments[0].AttachmentId), JweEncryptor.Join(parts));
        var aktenzeichen = NewAktenzeichen();

        var act = () => DeliveryRequestedConsumer.GuardAttachmentsAsync(() =>
            Adapter.DeliverAsync(fixture.Call(submission, "filing:antrag", Antrag(aktenzeichen), Tenant()), None));

        (await act.Should().ThrowAsync<SubmissionProblemException>()).Which.Type.Should().Be(ProblemTypes.DecryptionFailed);
        fixture.Dms.Dokumente.Should().NotContain(d => d.Property(DmsSchema.Aktenzeichen) == aktenzeichen);
    }

    [Fact]
    public async Task Step_other_than_a_filing_is_refused_permanently()
    {
        var (submission, _) = await fixture.StoreAsync();

        var act = () => Adapter.DeliverAsync(fixture.Call(submission, "postbox:SUBMITTED", Antrag(NewAktenzeichen()), Tenant()), None);

        await act.Should().ThrowAsync<PermanentDeliveryException>().WithMessage("*files documents only*");
    }

    [Fact]
    public void Both_DMS_adapters_are_registered_with_http_clients_without_a_whole_call_timeout()
    {
        using var provider = new ServiceCollection().AddLogging().AddTargetAdapters().BuildServiceProvider();

        provider.GetServices<ITargetAdapter>().Select(a => a.Kind).Should().Contain([DmsAdapter.KindName, XdomeaAdapter.KindName]);
        var factory = provider.GetRequiredService<IHttpClientFactory>();
        foreach (var name in new[] { nameof(DmsAdapter), nameof(XdomeaAdapter) })
            factory.CreateClient(name).Timeout.Should().Be(Timeout.InfiniteTimeSpan, "each request has the target's own timeout");
    }

    public void Dispose() => _http.Dispose();
}
