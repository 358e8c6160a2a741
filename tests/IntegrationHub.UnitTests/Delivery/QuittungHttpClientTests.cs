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

    private static HandoverCall Call(TimeSpan? timeout = null, string baseUrl = "http://prosoz.test/base") =>
        new(Guid.Parse("5d1e0a52-3c2b-4f7a-8e9d-0a1b2c3d4e5f"), "prosoz",
            new TargetOptions { Kind = "Prosoz", BaseUrl = baseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(10) },
            "5d1e0a52-3c2b-4f7a-8e9d-0a1b2c3d4e5f:prosoz", SignedXml);

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
    public async Task Request_posts_the_signed_XML_with_idempotency_key_and_content_type()
    {
        var handler = new StubHandler((_, _) => Task.FromResult(Answer(HttpStatusCode.Created, Quittung("ANGENOMMEN", "AZ-1"))));

        await PostAsync(handler);

        handler.Method.Should().Be(HttpMethod.Post);
        handler.Uri.Should().Be(new Uri("http://prosoz.test/base/api/v1/faelle"));
        handler.Headers!.GetValues("Idempotency-Key").Should().Equal("5d1e0a52-3c2b-4f7a-8e9d-0a1b2c3d4e5f:prosoz");
        handler.ContentType!.MediaType.Should().Be("application/xml");
        handler.ContentType.CharSet.Should().Be("utf-8");
        handler.Body.Should().Equal(SignedXml);
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

        var ex = (await FluentActions.Awaiting(() => PostAsync(handler)).Should().ThrowExactlyAsync<HttpRequestException>()).Which;

        ex.StatusCode.Should().Be(status);
        ex.Message.Should().Be($"prosoz answered {(int)status}.");
        QuittungHttpClient.IsPermanent(status).Should().BeFalse();
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
        public byte[]? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Method = request.Method;
            Uri = request.RequestUri;
            Headers = request.Headers;
            ContentType = request.Content?.Headers.ContentType;
            Body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            return await answer(request, cancellationToken);
        }
    }
}
