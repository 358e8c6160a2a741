using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using IntegrationHub.Delivery;
using IntegrationHub.Tenancy;

namespace IntegrationHub.UnitTests.Delivery;

/// <summary>Posting a handover and sorting the answer into receipt, permanent refusal or transient failure.</summary>
public sealed class QuittungHttpClientTests
{
    private const string Path = "api/v1/faelle";
    private static readonly byte[] SignedXml = Encoding.UTF8.GetBytes("<fall:fall.uebergabe.0001 xmlns:fall=\"urn:integrationhub:xoev:fall:1.0\"/>");

    private static HandoverCall Call(TimeSpan? timeout = null, string baseUrl = "http://prosoz.test/base", IReadOnlyList<HandoverAttachment>? attachments = null) =>
        new(Guid.Parse("5d1e0a52-3c2b-4f7a-8e9d-0a1b2c3d4e5f"), "prosoz",
            new TargetOptions { Kind = "Prosoz", BaseUrl = baseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(10) },
            "5d1e0a52-3c2b-4f7a-8e9d-0a1b2c3d4e5f:prosoz", SignedXml, attachments ?? []);

    /// <summary>An attachment whose streams are counted (opened, disposed) and delivered by <paramref name="stream"/>.</summary>
    private sealed class TrackedAttachment(byte[] content, string mimeType = "application/pdf", Func<byte[], CancellationToken, Stream>? stream = null)
    {
        private int _opened;
        private int _disposed;

        public Guid Id { get; } = Guid.NewGuid();

        public byte[] Content => content;

        public int Opened => _opened;

        public int Disposed => _disposed;

        public HandoverAttachment Attachment => new(Id, mimeType, content.Length, ct =>
        {
            Interlocked.Increment(ref _opened);
            Stream inner = stream?.Invoke(content, ct) ?? new MemoryStream(content, writable: false);
            return Task.FromResult<Stream>(new DisposeCountingStream(inner, () => Interlocked.Increment(ref _disposed)));
        });
    }

    private sealed class DisposeCountingStream(Stream inner, Action disposed) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                disposed();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Delivers its content in chunks with a pause before each, or stalls for good after <paramref name="stallAfter"/> bytes.</summary>
    private sealed class SlowStream(byte[] content, int chunk, TimeSpan pause, int stallAfter = int.MaxValue) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("async only");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(_position >= stallAfter ? Timeout.InfiniteTimeSpan : pause, cancellationToken);
            var n = Math.Min(Math.Min(chunk, buffer.Length), content.Length - _position);
            content.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed record ReceivedPart(Dictionary<string, Microsoft.Extensions.Primitives.StringValues> Headers, byte[] Body);

    /// <summary>Splits a captured multipart body the way a receiver does.</summary>
    private static async Task<List<ReceivedPart>> PartsOf(StubHandler handler)
    {
        var boundary = handler.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, new MemoryStream(handler.Body!));
        var parts = new List<ReceivedPart>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var body = new MemoryStream();
            await section.Body.CopyToAsync(body);
            parts.Add(new ReceivedPart(section.Headers!, body.ToArray()));
        }

        return parts;
    }

    private static string Quittung(string ergebnis, string? aktenzeichen, string? fehler = null) =>
        $"""
        <?xml version="1.0" encoding="utf-8"?>
        <fall:fall.quittung.0002 xmlns:fall="urn:integrationhub:xoev:fall:1.0" xmlns:ihc="urn:integrationhub:xoev:common:1.0">
          <fall:nachrichtenkopf>
            <ihc:nachrichtUUID>{Guid.NewGuid()}</ihc:nachrichtUUID>
            <ihc:nachrichtentyp><ihc:code>fall.quittung.0002</ihc:code></ihc:nachrichtentyp>
            <ihc:erstellungszeitpunkt>2026-03-02T09:30:16Z</ihc:erstellungszeitpunkt>
            <ihc:autor><ihc:verzeichnisdienst><ihc:code>FACHVERFAHREN</ihc:code></ihc:verzeichnisdienst><ihc:kennung>prosoz</ihc:kennung><ihc:name>Prosoz</ihc:name></ihc:autor>
            <ihc:leser><ihc:verzeichnisdienst><ihc:code>ARS</ihc:code></ihc:verzeichnisdienst><ihc:kennung>064350014014</ihc:kennung><ihc:name>Musterstadt</ihc:name></ihc:leser>
          </fall:nachrichtenkopf>
          <fall:bezugNachrichtUUID>{Guid.NewGuid()}</fall:bezugNachrichtUUID>
          <fall:submissionId>5d1e0a52-3c2b-4f7a-8e9d-0a1b2c3d4e5f</fall:submissionId>
          <fall:ergebnis>{ergebnis}</fall:ergebnis>
          {(aktenzeichen is null ? "" : $"<fall:aktenzeichen>{aktenzeichen}</fall:aktenzeichen>")}
          {(fehler is null ? "" : $"<fall:fehler><fall:code>F01</fall:code><fall:text>{fehler}</fall:text></fall:fehler>")}
        </fall:fall.quittung.0002>
        """;

    private static HttpResponseMessage Answer(HttpStatusCode status, string body, string mediaType = "application/xml") =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) };

    private static async Task<HandoverReceipt> PostAsync(StubHandler handler, HandoverCall? call = null, CancellationToken ct = default)
    {
        using var http = new HttpClient(handler, disposeHandler: false);
        return await QuittungHttpClient.PostAsync(http, Path, call ?? Call(), ct);
    }

    [Theory]
    [InlineData(HttpStatusCode.Created)]
    [InlineData(HttpStatusCode.OK)]
    public async Task Accepted_Quittung_gives_the_Aktenzeichen(HttpStatusCode status)
    {
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(status, Quittung("ANGENOMMEN", "SGB12-2026-000042"))));

        var receipt = await PostAsync(handler);

        receipt.Should().Be(new HandoverReceipt("SGB12-2026-000042"));
    }

    [Fact]
    public async Task Request_posts_a_multipart_related_container_with_idempotency_key()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", "AZ-1"))));

        await PostAsync(handler);

        handler.Method.Should().Be(HttpMethod.Post);
        handler.Uri.Should().Be(new Uri("http://prosoz.test/base/api/v1/faelle"));
        handler.Headers!.GetValues("Idempotency-Key").Should().Equal("5d1e0a52-3c2b-4f7a-8e9d-0a1b2c3d4e5f:prosoz");
        handler.ContentType!.MediaType.Should().Be("multipart/related");
        handler.ContentType.Parameters.Single(p => p.Name == "type").Value.Should().Be("\"application/xml\"");
        handler.ContentType.Parameters.Single(p => p.Name == "start").Value.Should().Be("\"<handover>\"");
        var parts = await PartsOf(handler);
        var xml = parts.Should().ContainSingle("without attachments the container holds only the signed XML").Subject;
        xml.Headers["Content-ID"].ToString().Should().Be("<handover>");
        xml.Headers["Content-Type"].ToString().Should().Be("application/xml; charset=utf-8");
        xml.Body.Should().Equal(SignedXml);
    }

    [Fact]
    public async Task Attachments_follow_the_XML_as_parts_with_content_id_type_length_and_their_exact_bytes()
    {
        var pdf = new TrackedAttachment(System.Security.Cryptography.RandomNumberGenerator.GetBytes(200_000));
        var png = new TrackedAttachment([0x89, 0x50, 0x4e, 0x47], "image/png");
        var empty = new TrackedAttachment([], "text/plain");
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", "AZ-1"))));

        await PostAsync(handler, Call(attachments: [pdf.Attachment, png.Attachment, empty.Attachment]));

        var parts = await PartsOf(handler);
        parts.Select(p => p.Headers["Content-ID"].ToString()).Should().Equal("<handover>", $"<{pdf.Id}>", $"<{png.Id}>", $"<{empty.Id}>");
        parts.Select(p => p.Headers["Content-Type"].ToString()).Should().Equal("application/xml; charset=utf-8", "application/pdf", "image/png", "text/plain");
        parts.Skip(1).Select(p => p.Headers["Content-Length"].ToString()).Should().Equal("200000", "4", "0");
        parts[0].Body.Should().Equal(SignedXml);
        parts[1].Body.Should().Equal(pdf.Content);
        parts[2].Body.Should().Equal(png.Content);
        parts[3].Body.Should().BeEmpty();
        handler.ContentLength.Should().Be(handler.Body!.Length, "every part's length is known, so the request announces its length");
    }

    [Fact]
    public async Task Each_attempt_opens_every_attachment_anew_and_disposes_it()
    {
        var attachment = new TrackedAttachment([1, 2, 3]);
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.ServiceUnavailable, "später", "text/plain")));
        var call = Call(attachments: [attachment.Attachment]);
        attachment.Opened.Should().Be(0, "nothing is opened before the request is written");

        await FluentActions.Awaiting(() => PostAsync(handler, call)).Should().ThrowAsync<TransientDeliveryException>();
        await FluentActions.Awaiting(() => PostAsync(handler, call)).Should().ThrowAsync<TransientDeliveryException>();

        attachment.Opened.Should().Be(2);
        attachment.Disposed.Should().Be(2);
    }

    [Fact]
    public async Task An_attachment_that_fails_while_read_surfaces_as_its_own_exception_not_as_a_transport_error()
    {
        // As SubmissionReader's stream does when the GCM tag does not verify: the caller must see that cause (permanent), not an HttpRequestException (retry).
        var failure = new IOException("tag mismatch");
        var attachment = new TrackedAttachment(new byte[100_000], stream: (_, _) => new ThrowingStream(failure));
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", "AZ-1"))));

        var ex = (await FluentActions.Awaiting(() => PostAsync(handler, Call(attachments: [attachment.Attachment]))).Should().ThrowAsync<IOException>()).Which;

        ex.Should().BeSameAs(failure);
        attachment.Disposed.Should().Be(1);
    }

    [Theory]
    [InlineData(99)]
    [InlineData(101)]
    public async Task An_attachment_stream_of_another_length_than_announced_aborts_the_request(int actualLength)
    {
        var announced = new HandoverAttachment(Guid.NewGuid(), "application/pdf", 100, _ => Task.FromResult<Stream>(new MemoryStream(new byte[actualLength])));
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", "AZ-1"))));

        var ex = (await FluentActions.Awaiting(() => PostAsync(handler, Call(attachments: [announced]))).Should().ThrowAsync<IOException>()).Which;

        ex.Message.Should().Contain(announced.AttachmentId.ToString()).And.Contain(actualLength < 100 ? "shorter" : "longer");
    }

    [Fact]
    public async Task A_slow_but_steady_upload_may_take_longer_than_the_timeout()
    {
        // 16 chunks, 150 ms apart: 2.4 s in all, against a timeout of 1.5 s that only applies to time without progress
        // (generous: timers in a busy test process can be late by several hundred milliseconds).
        var content = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16 * 1000);
        var attachment = new TrackedAttachment(content, stream: (c, _) => new SlowStream(c, 1000, TimeSpan.FromMilliseconds(150)));
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", "AZ-langsam"))));
        var clock = Stopwatch.StartNew();

        var receipt = await PostAsync(handler, Call(TimeSpan.FromSeconds(1.5), attachments: [attachment.Attachment]));

        receipt.Aktenzeichen.Should().Be("AZ-langsam");
        clock.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(2));
        (await PartsOf(handler))[1].Body.Should().Equal(content);
    }

    [Fact]
    public async Task An_upload_that_stalls_is_cancelled_after_the_timeout_without_progress()
    {
        var content = new byte[10 * 1000];
        var attachment = new TrackedAttachment(content, stream: (c, _) => new SlowStream(c, 1000, TimeSpan.FromMilliseconds(50), stallAfter: 5000));
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", "AZ"))));
        var clock = Stopwatch.StartNew();

        var ex = (await FluentActions.Awaiting(() => PostAsync(handler, Call(TimeSpan.FromMilliseconds(300), attachments: [attachment.Attachment])))
            .Should().ThrowAsync<TaskCanceledException>()).Which;

        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3));
        ex.InnerException.Should().BeOfType<TimeoutException>();
        ex.Message.Should().Be("prosoz made no progress within 00:00:00.3000000.");
        attachment.Disposed.Should().Be(1);
    }

    [Theory]
    [InlineData("http://prosoz.test/base/")]
    [InlineData("http://prosoz.test/base")]
    public async Task Base_URL_with_or_without_trailing_slash_keeps_its_path(string baseUrl)
    {
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", "AZ-1"))));

        await PostAsync(handler, Call(baseUrl: baseUrl));

        handler.Uri.Should().Be(new Uri("http://prosoz.test/base/api/v1/faelle"));
    }

    [Fact]
    public async Task Refused_Quittung_is_permanent()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, Quittung("ABGELEHNT", null, "Antragsteller unbekannt"))));

        var ex = (await FluentActions.Awaiting(() => PostAsync(handler)).Should().ThrowAsync<PermanentDeliveryException>()).Which;

        ex.Message.Should().Be("prosoz refused the case in its Quittung (ergebnis ABGELEHNT).");
    }

    [Fact]
    public async Task Accepted_Quittung_without_Aktenzeichen_is_permanent()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", null))));

        await FluentActions.Awaiting(() => PostAsync(handler)).Should().ThrowAsync<PermanentDeliveryException>();
    }

    [Fact]
    public async Task Quittung_without_ergebnis_is_permanent()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, "<quittung><aktenzeichen>AZ</aktenzeichen></quittung>")));

        var ex = (await FluentActions.Awaiting(() => PostAsync(handler)).Should().ThrowAsync<PermanentDeliveryException>()).Which;

        ex.Message.Should().Contain("ergebnis missing");
    }

    [Fact]
    public async Task Success_status_with_a_body_that_is_not_XML_is_neither_receipt_nor_permanent()
    {
        // The target did take the call; a retry with the same idempotency key gets its Quittung again.
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, "<html><body>Gateway</body>", "text/html")));

        await FluentActions.Awaiting(() => PostAsync(handler)).Should().ThrowAsync<System.Xml.XmlException>();
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    public async Task Client_errors_are_permanent_with_the_targets_problem_text(HttpStatusCode status)
    {
        const string problem = "{\"type\":\"urn:prosoz:problem:signature\",\"title\":\"Signatur ungueltig\",\"status\":422}";
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(status, problem, "application/problem+json")));

        var ex = (await FluentActions.Awaiting(() => PostAsync(handler)).Should().ThrowAsync<PermanentDeliveryException>()).Which;

        ex.Message.Should().Be($"prosoz answered {(int)status}: {problem}");
    }

    [Fact]
    public async Task Long_problem_text_is_cut_to_500_characters()
    {
        var problem = new string('x', 2000);
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.BadRequest, problem, "text/plain")));

        var ex = (await FluentActions.Awaiting(() => PostAsync(handler)).Should().ThrowAsync<PermanentDeliveryException>()).Which;

        ex.Message.Should().Be($"prosoz answered 400: {new string('x', 500)}");
    }

    [Theory]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task Timeouts_throttling_and_server_errors_are_transient(HttpStatusCode status)
    {
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(status, "später bitte", "text/plain")));

        var ex = (await FluentActions.Awaiting(() => PostAsync(handler)).Should().ThrowExactlyAsync<TransientDeliveryException>()).Which;

        ex.InnerException.Should().BeOfType<HttpRequestException>().Which.StatusCode.Should().Be(status);
        ex.Message.Should().Be($"prosoz answered {(int)status}.");
        ex.RetryAfter.Should().BeNull("the answer had no Retry-After");
        QuittungHttpClient.IsPermanent(status).Should().BeFalse();
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    public async Task Retry_after_in_seconds_is_carried_by_the_transient_error(HttpStatusCode status)
    {
        var handler = new StubHandler((_, _) =>
        {
            var answer = Answer(status, "später bitte", "text/plain");
            answer.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(120));
            return Task.FromResult(answer);
        });

        var ex = (await FluentActions.Awaiting(() => PostAsync(handler)).Should().ThrowExactlyAsync<TransientDeliveryException>()).Which;

        ex.RetryAfter.Should().Be(TimeSpan.FromSeconds(120));
    }

    [Fact]
    public void Retry_after_as_http_date_is_the_wait_until_that_date_and_a_past_date_is_none()
    {
        var now = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
        using var later = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        later.Headers.TryAddWithoutValidation("Retry-After", "Mon, 02 Mar 2026 10:05:00 GMT");
        using var past = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        past.Headers.TryAddWithoutValidation("Retry-After", "Mon, 02 Mar 2026 09:00:00 GMT");

        QuittungHttpClient.RetryAfter(later, now).Should().Be(TimeSpan.FromMinutes(5));
        QuittungHttpClient.RetryAfter(past, now).Should().BeNull();
    }

    [Fact]
    public async Task Target_not_answering_within_its_timeout_is_cancelled()
    {
        var handler = new StubHandler(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", "AZ"));
        });
        var clock = Stopwatch.StartNew();

        await FluentActions.Awaiting(() => PostAsync(handler, Call(TimeSpan.FromMilliseconds(200)))).Should().ThrowAsync<OperationCanceledException>();

        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Quittung_body_arriving_after_the_timeout_is_cancelled()
    {
        // A real socket: the target sends its headers at once and the body three seconds later.
        // The target's timeout (1 s) must hold for the whole answer, not only for the headers.
        var body = Encoding.UTF8.GetBytes(Quittung("ANGENOMMEN", "AZ-spaet"));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var request = new byte[64 * 1024];
            var received = new StringBuilder();
            while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(request);
                if (n == 0) return;
                received.Append(Encoding.ASCII.GetString(request, 0, n));
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 201 Created\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\n\r\n"));
            await stream.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(3));
            try
            {
                await stream.WriteAsync(body);
            }
            catch (IOException)
            {
                // The hub gave up and closed the connection: what the test wants.
            }
        });
        using var http = new HttpClient();
        var call = Call(TimeSpan.FromSeconds(1), baseUrl: $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        var clock = Stopwatch.StartNew();

        var act = () => QuittungHttpClient.PostAsync(http, Path, call, CancellationToken.None);

        await act.Should().ThrowAsync<OperationCanceledException>();
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2.5));
        await server;
    }

    [Fact]
    public async Task Caller_cancellation_is_honoured()
    {
        using var cts = new CancellationTokenSource();
        var handler = new StubHandler(async (_, ct) =>
        {
            await cts.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
            return Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", "AZ"));
        });

        await FluentActions.Awaiting(() => PostAsync(handler, ct: cts.Token)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public void Only_4xx_other_than_408_and_429_are_permanent()
    {
        Enumerable.Range(400, 100).Select(s => (HttpStatusCode)s).Where(QuittungHttpClient.IsPermanent)
            .Should().NotContain([HttpStatusCode.RequestTimeout, HttpStatusCode.TooManyRequests]).And.HaveCount(98);
        QuittungHttpClient.IsPermanent(HttpStatusCode.InternalServerError).Should().BeFalse();
        QuittungHttpClient.IsPermanent(HttpStatusCode.MovedPermanently).Should().BeFalse();
    }

    /// <summary>Answers with a function and remembers what was sent (read before the request is disposed).</summary>
    private sealed class StubHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        public HttpMethod? Method { get; private set; }
        public Uri? Uri { get; private set; }
        public System.Net.Http.Headers.HttpRequestHeaders? Headers { get; private set; }
        public System.Net.Http.Headers.MediaTypeHeaderValue? ContentType { get; private set; }
        public long? ContentLength { get; private set; }
        public byte[]? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Method = request.Method;
            Uri = request.RequestUri;
            Headers = request.Headers;
            ContentType = request.Content?.Headers.ContentType;
            ContentLength = request.Content?.Headers.ContentLength;
            Body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            return await answer(request, cancellationToken);
        }
    }
}

/// <summary>A stream whose first read fails.</summary>
internal sealed class ThrowingStream(Exception failure) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw failure;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromException<int>(failure);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
