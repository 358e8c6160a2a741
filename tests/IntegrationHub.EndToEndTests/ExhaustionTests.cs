using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Prosoz;
using IntegrationHub.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// What a caller can make the hub hold: an unauthenticated procedure callback is refused before its body is read and
/// limited per target; a submit to someone else's submission is refused before its body is read; one sender client has
/// a bounded number of requests in flight; submissions created and never submitted expire with their attachments.
/// </summary>
[Collection(ExhaustionCollection.Name)]
public sealed class ExhaustionTests(ExhaustionHubFixture hub)
{
    private const long LargeBody = 12L * 1024 * 1024;
    private static readonly Guid Destination = HubFixture.DarmstadtSozialhilfe;

    [Fact]
    public async Task A_procedure_report_without_valid_headers_is_refused_before_its_body_is_read()
    {
        foreach (var (timestamp, signature) in new (string?, string?)[]
                 {
                     (null, null),
                     (Now().ToString(CultureInfo.InvariantCulture), "not-hex"),
                     ((Now() - 3600).ToString(CultureInfo.InvariantCulture), new string('a', 128)),
                 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/procedures/prosoz/reports") { Content = new LargeContent(LargeBody, "application/json") };
            var meter = hub.Meter(request);
            if (timestamp is not null) request.Headers.Add("callback-timestamp", timestamp);
            if (signature is not null) request.Headers.Add("callback-authentication", signature);

            using var response = await hub.Factory.CreateClient().SendAsync(request);

            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await RawSender.ProblemTypeAsync(response)).Should().Be(Type("callback-unauthenticated"));
            hub.BodyBytesRead(meter).Should().Be(0, "the hub reads no body of a caller whose headers already fail");
        }
    }

    [Fact]
    public async Task Procedure_reports_are_limited_per_target_with_Retry_After()
    {
        // Each report is signed with a wrong secret: it costs the hub a bounded read and an HMAC, and counts.
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < ExhaustionHubFixture.CallbackPermitLimit * 3 && answers.All(a => a.StatusCode != HttpStatusCode.TooManyRequests); i++)
            answers.Add(await PostReportAsync("prosoz", ProsozCaseReports.Sign("not-the-secret", Now(), "{}"u8.ToArray())));

        var limited = answers.Last();
        limited.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        (await RawSender.ProblemTypeAsync(limited)).Should().Be(Type("rate-limited"));
        limited.Headers.RetryAfter.Should().NotBeNull();
        answers.Count.Should().BeGreaterThan(1, "the window's first report passes the limiter (the other tests here may have spent some)");
        (await PostReportAsync("marius", new string('a', 128))).StatusCode.Should().NotBe(HttpStatusCode.TooManyRequests,
            "another target has a budget of its own");
    }

    [Fact]
    public async Task A_submit_to_another_clients_submission_is_refused_before_its_body_is_read()
    {
        var owner = new RawSender(hub);
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 1601, withAttachment: false);
        var submissionId = (await RawSender.JsonAsync(await owner.CreateAsync(Destination, application.ServiceName, application.LeikaUrn, [])))["submissionId"]!
            .GetValue<Guid>();
        var other = new RawSender(hub, HubFixture.NarrowClientId);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/submissions/{submissionId}") { Content = new LargeContent(LargeBody, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await other.TokenAsync());
        var meter = hub.Meter(request);

        using var answer = await other.Http.SendAsync(request);

        (await RawSender.ProblemTypeAsync(answer)).Should().Be(Type("submission-not-found"));
        hub.BodyBytesRead(meter).Should().Be(0, "neither buffered nor parsed for a submission that is not the caller's");
    }

    [Fact]
    public async Task One_sender_client_has_a_bounded_number_of_requests_in_flight()
    {
        var sender = new RawSender(hub);
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 1602, withAttachment: false);
        var attachments = Enumerable.Range(0, ExhaustionHubFixture.SenderConcurrencyLimit).Select(_ => Guid.NewGuid()).ToList();
        var submissionId = (await RawSender.JsonAsync(await sender.CreateAsync(Destination, application.ServiceName, application.LeikaUrn, attachments)))["submissionId"]!
            .GetValue<Guid>();

        // Slow uploads (held in the blob store until released) take the client's every slot.
        var (key, kid) = await sender.KeyAsync(Destination);
        var release = hub.HoldAttachmentUploads();
        var uploads = attachments.Select(a => new RawSender(hub).UploadAsync(submissionId, a, JweEncryptor.Encrypt("Anlage"u8, key, kid))).ToList();
        try
        {
            (await HubFixture.WaitForAsync(() => Task.FromResult(hub.HeldUploads), held => held == attachments.Count)).Should().Be(attachments.Count);

            using var refused = await sender.SendAsync(HttpMethod.Get, $"/v1/submissions/{submissionId}");

            refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
            (await RawSender.ProblemTypeAsync(refused)).Should().Be(Type("concurrency-limited"));
            refused.Headers.RetryAfter.Should().NotBeNull();
            (await new RawSender(hub, HubFixture.NarrowClientId).SendAsync(HttpMethod.Get, $"/v1/submissions/{submissionId}")).StatusCode
                .Should().Be(HttpStatusCode.NotFound, "another client is not held up");
        }
        finally
        {
            release();
        }
        (await Task.WhenAll(uploads)).Select(u => u.StatusCode).Should().AllBeEquivalentTo(HttpStatusCode.NoContent);
        (await sender.SendAsync(HttpMethod.Get, $"/v1/submissions/{submissionId}")).StatusCode.Should().Be(HttpStatusCode.OK, "the slots are free again");
    }

    [Fact]
    public async Task A_submission_not_submitted_within_its_lifetime_expires_with_its_attachments_and_answers_410()
    {
        var sender = new RawSender(hub);
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 1603, withAttachment: true);
        var (key, kid) = await sender.KeyAsync(Destination);
        var attachment = application.Attachments.Single();
        var created = await RawSender.JsonAsync(await sender.CreateAsync(Destination, application.ServiceName, application.LeikaUrn, [attachment.AttachmentId]));
        var abandoned = created["submissionId"]!.GetValue<Guid>();
        (await sender.UploadAsync(abandoned, attachment.AttachmentId, JweEncryptor.Encrypt(attachment.Content, key, kid))).StatusCode
            .Should().Be(HttpStatusCode.NoContent);
        var completed = await hub.Sender().SubmitAsync(ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 1604), Destination);
        completed.SubmitStatus.Should().Be(202);

        var status = await HubFixture.WaitForAsync(() => StatusAsync(abandoned), s => s == SubmissionStatus.Expired);

        status.Should().Be(SubmissionStatus.Expired, $"the lifetime is {ExhaustionHubFixture.Lifetime}");
        (await hub.InLedgerAsync(db => db.SubmissionAttachments.CountAsync(a => a.SubmissionId == abandoned))).Should().Be(0);
        (await BlobsAsync(abandoned)).Should().BeEmpty("the uploaded attachment is deleted from the blob store");
        (await hub.InLedgerAsync(db => db.History.Where(h => h.SubmissionId == abandoned).Select(h => h.Step).ToListAsync()))
            .Should().Contain(HistorySteps.Expired);

        var submit = await sender.SubmitAsync(abandoned, JweEncryptor.Encrypt("{}"u8, key, kid), JweEncryptor.Encrypt(application.Xml, key, kid));
        submit.StatusCode.Should().Be(HttpStatusCode.Gone);
        (await RawSender.ProblemTypeAsync(submit)).Should().Be(Type("submission-expired"));
        var upload = await sender.UploadAsync(abandoned, attachment.AttachmentId, JweEncryptor.Encrypt(attachment.Content, key, kid));
        (await RawSender.ProblemTypeAsync(upload)).Should().Be(Type("submission-expired"));
        (await BlobsAsync(abandoned)).Should().BeEmpty("a late upload leaves nothing behind");
        (await RawSender.JsonAsync(await sender.SendAsync(HttpMethod.Get, $"/v1/submissions/{abandoned}")))["status"]!.GetValue<string>().Should().Be("expired");
        (await StatusAsync(completed.SubmissionId!.Value)).Should().NotBe(SubmissionStatus.Expired, "a submitted submission never expires");
    }

    private Task<SubmissionStatus> StatusAsync(Guid submissionId) =>
        hub.InLedgerAsync(db => db.Submissions.Where(s => s.Id == submissionId).Select(s => s.Status).SingleAsync());

    private async Task<List<string>> BlobsAsync(Guid submissionId)
    {
        var names = new List<string>();
        await foreach (var name in hub.Factory.Services.GetRequiredService<IBlobStore>().ListAsync(SubmissionBlobs.Prefix(submissionId))) names.Add(name);
        return names;
    }

    private async Task<HttpResponseMessage> PostReportAsync(string target, string signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/procedures/{target}/reports") { Content = new ByteArrayContent("{}"u8.ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("callback-timestamp", Now().ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("callback-authentication", signature);
        return await hub.Factory.CreateClient().SendAsync(request);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static string Type(string name) => "urn:integrationhub:problem:" + name;

    /// <summary>A body of <paramref name="total"/> bytes of filler.</summary>
    private sealed class LargeContent : HttpContent
    {
        private readonly long _total;

        public LargeContent(long total, string mediaType)
        {
            _total = total;
            Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = Encoding.ASCII.GetBytes(new string('a', 64 * 1024));
            for (long sent = 0; sent < _total; sent += chunk.Length)
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, _total - sent)));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _total;
            return true;
        }
    }
}

/// <summary>A hub with small limits and a short lifetime for incomplete submissions, so the tests can reach them.</summary>
public sealed class ExhaustionHubFixture : HubFixture
{
    public const int CallbackPermitLimit = 5;
    public const int SenderConcurrencyLimit = 2;
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(3);
    private const string MeterHeader = "x-test-body-meter";
    private readonly ConcurrentDictionary<string, long> _bodyBytesRead = new();

    /// <summary>Marks the request so the hub counts how many bytes of its body the hub's own pipeline reads.</summary>
    public string Meter(HttpRequestMessage request)
    {
        var id = Guid.NewGuid().ToString("N");
        request.Headers.Add(MeterHeader, id);
        return id;
    }

    public long BodyBytesRead(string meter) => _bodyBytesRead.TryGetValue(meter, out var read) ? read : -1;

    private TaskCompletionSource? _uploadGate;
    private int _heldUploads;

    /// <summary>Attachment uploads wait in the blob store until the returned action releases them.</summary>
    public Action HoldAttachmentUploads()
    {
        var gate = _uploadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return () =>
        {
            _uploadGate = null;
            _heldUploads = 0;
            gate.SetResult();
        };
    }

    public int HeldUploads => Volatile.Read(ref _heldUploads);

    // Outermost: whatever the hub reads of a metered request's body passes through a counting stream. The blob store
    // can hold uploads, so a test can keep requests in flight.
    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<IStartupFilter>(new BodyMeter(_bodyBytesRead));
        var store = services.Last(d => d.ServiceType == typeof(IBlobStore));
        services.AddSingleton<IBlobStore>(sp => new HoldingBlobStore((IBlobStore)store.ImplementationFactory!(sp), this));
    }

    private sealed class HoldingBlobStore(IBlobStore inner, ExhaustionHubFixture fixture) : IBlobStore
    {
        public async Task PutAsync(string name, Stream content, CancellationToken ct = default)
        {
            if (fixture._uploadGate is { } gate && name.Contains("/attachments/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref fixture._heldUploads);
                await gate.Task;
            }
            await inner.PutAsync(name, content, ct);
        }

        public Task<Stream> OpenReadAsync(string name, CancellationToken ct = default) => inner.OpenReadAsync(name, ct);
        public Task<bool> ExistsAsync(string name, CancellationToken ct = default) => inner.ExistsAsync(name, ct);
        public Task DeleteAsync(string name, CancellationToken ct = default) => inner.DeleteAsync(name, ct);
        public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken ct = default) => inner.ListAsync(prefix, ct);
    }

    private sealed class BodyMeter(ConcurrentDictionary<string, long> read) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (http, pipeline) =>
            {
                if (http.Request.Headers[MeterHeader].ToString() is not { Length: > 0 } id)
                {
                    await pipeline(http);
                    return;
                }
                var counting = new CountingStream(http.Request.Body);
                http.Request.Body = counting;
                try { await pipeline(http); }
                finally { read[id] = counting.BytesRead; }
            });
            next(app);
        };
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            BytesRead += read;
            return read;
        }
    }

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
    [
        new("Hub:Limits:RateLimit:CallbackPermitLimit", CallbackPermitLimit.ToString(CultureInfo.InvariantCulture)),
        new("Hub:Limits:RateLimit:SenderConcurrencyLimit", SenderConcurrencyLimit.ToString(CultureInfo.InvariantCulture)),
        new("Hub:Limits:IncompleteSubmissionLifetime", Lifetime.ToString("c", CultureInfo.InvariantCulture)),
    ];
}

[CollectionDefinition(Name)]
public sealed class ExhaustionCollection : ICollectionFixture<ExhaustionHubFixture>
{
    public const string Name = "hub with small limits and a short lifetime for incomplete submissions";
}
