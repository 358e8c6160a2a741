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
    private const long Unread = 1024 * 1024;
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
            var body = new MeteredContent(LargeBody, "application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/procedures/prosoz/reports") { Content = body };
            if (timestamp is not null) request.Headers.Add("callback-timestamp", timestamp);
            if (signature is not null) request.Headers.Add("callback-authentication", signature);

            using var response = await hub.Factory.CreateClient().SendAsync(request);

            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await RawSender.ProblemTypeAsync(response)).Should().Be(Type("callback-unauthenticated"));
            body.Sent.Should().BeLessThan(Unread, "the hub reads no body of a caller whose headers already fail");
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
        var body = new MeteredContent(LargeBody, "application/json");

        using var answer = await new RawSender(hub, HubFixture.NarrowClientId).SendAsync(HttpMethod.Put, $"/v1/submissions/{submissionId}", body);

        (await RawSender.ProblemTypeAsync(answer)).Should().Be(Type("submission-not-found"));
        body.Sent.Should().BeLessThan(Unread, "neither buffered nor parsed for a submission that is not the caller's");
    }

    [Fact]
    public async Task One_sender_client_has_a_bounded_number_of_requests_in_flight()
    {
        var sender = new RawSender(hub);
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 1602, withAttachment: false);
        var attachments = Enumerable.Range(0, ExhaustionHubFixture.SenderConcurrencyLimit).Select(_ => Guid.NewGuid()).ToList();
        var submissionId = (await RawSender.JsonAsync(await sender.CreateAsync(Destination, application.ServiceName, application.LeikaUrn, attachments)))["submissionId"]!
            .GetValue<Guid>();

        // Slow uploads that stay open until released hold the client's every slot.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var uploads = attachments.Select(a => new RawSender(hub).SendAsync(HttpMethod.Put, $"/v1/submissions/{submissionId}/attachments/{a}",
            new MeteredContent(Unread, "application/jose", release.Task))).ToList();
        try
        {
            var refused = await HubFixture.WaitForAsync(() => sender.SendAsync(HttpMethod.Get, $"/v1/submissions/{submissionId}"),
                r => r.StatusCode == HttpStatusCode.TooManyRequests);

            refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
            (await RawSender.ProblemTypeAsync(refused)).Should().Be(Type("concurrency-limited"));
            refused.Headers.RetryAfter.Should().NotBeNull();
            (await new RawSender(hub, HubFixture.NarrowClientId).SendAsync(HttpMethod.Get, $"/v1/submissions/{submissionId}")).StatusCode
                .Should().Be(HttpStatusCode.NotFound, "another client is not held up");
        }
        finally
        {
            release.SetResult();
            await Task.WhenAll(uploads);
        }
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

    /// <summary>A body of <paramref name="total"/> bytes that counts what the hub took; optionally it waits after each chunk.</summary>
    private sealed class MeteredContent : HttpContent
    {
        private readonly long _total;
        private readonly Task? _hold;
        private long _sent;

        public MeteredContent(long total, string mediaType, Task? hold = null)
        {
            (_total, _hold) = (total, hold);
            Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        public long Sent => Interlocked.Read(ref _sent);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var chunk = Encoding.ASCII.GetBytes(new string('a', 64 * 1024));
            while (Sent < _total)
            {
                var count = (int)Math.Min(chunk.Length, _total - Sent);
                await stream.WriteAsync(chunk.AsMemory(0, count));
                await stream.FlushAsync();
                Interlocked.Add(ref _sent, count);
                if (_hold is not null) await _hold;
            }
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
