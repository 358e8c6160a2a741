using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Mailbox;
using IntegrationHub.Simulators.Procedures;

namespace IntegrationHub.UnitTests.Simulators;

/// <summary>The XTA-style mailbox service over HTTP: send, list by status, get, close; keys per mailbox; idempotent send.</summary>
public sealed class XtaMailboxSimulatorTests : IAsyncLifetime
{
    private const string Amt = "urn:de:xta:ebene:kommune:test:amt";
    private const string Verfahren = "urn:de:xta:ebene:kommune:test:verfahren";
    private static readonly XNamespace Xta = "urn:integrationhub:xta:1.0";
    private readonly string _amtKey = Guid.NewGuid().ToString("N");
    private readonly string _verfahrenKey = Guid.NewGuid().ToString("N");
    private readonly FaultInjection _verfahrenFaults = new();
    private SimulatorServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await SimulatorServer.StartAsync();
        _server.Mailbox.RegisterMailbox(Amt, _amtKey);
        _server.Mailbox.RegisterMailbox(Verfahren, _verfahrenKey, _verfahrenFaults);
        _http = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Sent_message_is_listed_open_fetched_with_its_metadata_and_listed_closed_after_close()
    {
        var id = NewId();
        using (var sent = await SendAsync(id, _amtKey, Amt, Verfahren, "<a>1</a>", relatesTo: "urn:x:main", contentId: "att-1"))
            sent.StatusCode.Should().Be(HttpStatusCode.Created);

        var open = await ListAsync(Verfahren, _verfahrenKey, "open");
        var listed = open.Should().ContainSingle().Subject;
        ((string?)listed.Element(Xta + "MessageId")).Should().Be(id);
        ((string?)listed.Element(Xta + "Author")).Should().Be(Amt);
        ((string?)listed.Element(Xta + "MessageType")).Should().Be("fall.uebergabe.0001");
        ((string?)listed.Element(Xta + "RelatesTo")).Should().Be("urn:x:main");
        ((string?)listed.Element(Xta + "Size")).Should().Be("8");

        using (var get = await CallAsync(HttpMethod.Get, $"xta/v2/mailboxes/{E(Verfahren)}/messages/{E(id)}", _verfahrenKey))
        {
            get.StatusCode.Should().Be(HttpStatusCode.OK);
            (await get.Content.ReadAsStringAsync()).Should().Be("<a>1</a>");
            get.Headers.GetValues("Xta-Author").Should().Equal(Amt);
            get.Headers.GetValues("Xta-Content-Id").Should().Equal("att-1");
            get.Content.Headers.ContentType!.MediaType.Should().Be("application/xml");
        }

        using (var close = await CallAsync(HttpMethod.Post, $"xta/v2/mailboxes/{E(Verfahren)}/messages/{E(id)}/close", _verfahrenKey))
            close.StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await ListAsync(Verfahren, _verfahrenKey, "open")).Should().BeEmpty();
        (await ListAsync(Verfahren, _verfahrenKey, "closed")).Should().ContainSingle();
        _server.Mailbox.Messages(Verfahren).Should().ContainSingle().Which.Status.Should().Be(XtaMessageStatus.Closed);
    }

    [Fact]
    public async Task Sending_the_same_message_id_again_keeps_the_first_message_and_stores_no_second()
    {
        var id = NewId();
        using (var first = await SendAsync(id, _amtKey, Amt, Verfahren, "<a>first</a>"))
            first.StatusCode.Should().Be(HttpStatusCode.Created);
        using (var again = await SendAsync(id, _amtKey, Amt, Verfahren, "<a>retry</a>"))
            again.StatusCode.Should().Be(HttpStatusCode.OK);

        var message = _server.Mailbox.Messages(Verfahren).Should().ContainSingle().Subject;
        Encoding.UTF8.GetString(message.Content).Should().Be("<a>first</a>");
        _server.Mailbox.DuplicateSendCount.Should().Be(1);
    }

    [Fact]
    public async Task The_same_message_id_from_another_author_is_a_conflict()
    {
        var id = NewId();
        using (await SendAsync(id, _amtKey, Amt, Verfahren, "<a/>")) { }

        using var conflict = await SendAsync(id, _verfahrenKey, Verfahren, Amt, "<b/>");

        await ShouldBeProblemAsync(conflict, 409, "message-id-conflict");
        _server.Mailbox.Messages(Amt).Should().BeEmpty();
    }

    [Fact]
    public async Task Without_a_valid_key_every_operation_is_refused_with_401()
    {
        using (var send = await SendAsync(NewId(), "wrong-key", Amt, Verfahren, "<a/>"))
        {
            await ShouldBeProblemAsync(send, 401, "unauthenticated");
            send.Headers.WwwAuthenticate.Should().NotBeEmpty();
        }

        using (var list = await CallAsync(HttpMethod.Get, $"xta/v2/mailboxes/{E(Verfahren)}/messages", null))
            await ShouldBeProblemAsync(list, 401, "unauthenticated");
        _server.Mailbox.Messages(Verfahren).Should().BeEmpty();
    }

    [Fact]
    public async Task A_mailbox_can_only_be_read_by_its_owner_and_sent_from_only_under_ones_own_identifier()
    {
        var id = NewId();
        using (await SendAsync(id, _amtKey, Amt, Verfahren, "<a/>")) { }

        using (var foreignList = await CallAsync(HttpMethod.Get, $"xta/v2/mailboxes/{E(Verfahren)}/messages", _amtKey))
            await ShouldBeProblemAsync(foreignList, 403, "not-your-mailbox");
        using (var foreignGet = await CallAsync(HttpMethod.Get, $"xta/v2/mailboxes/{E(Verfahren)}/messages/{E(id)}", _amtKey))
            await ShouldBeProblemAsync(foreignGet, 403, "not-your-mailbox");
        using (var foreignClose = await CallAsync(HttpMethod.Post, $"xta/v2/mailboxes/{E(Verfahren)}/messages/{E(id)}/close", _amtKey))
            await ShouldBeProblemAsync(foreignClose, 403, "not-your-mailbox");
        using (var spoofed = await SendAsync(NewId(), _amtKey, Verfahren, Amt, "<a/>"))
            await ShouldBeProblemAsync(spoofed, 403, "author-mismatch");

        _server.Mailbox.Messages(Verfahren).Should().ContainSingle().Which.Status.Should().Be(XtaMessageStatus.Open);
        _server.Mailbox.Messages(Amt).Should().BeEmpty();
    }

    [Fact]
    public async Task Unknown_reader_missing_metadata_oversized_content_and_unknown_messages_get_specific_problems()
    {
        using (var unknownReader = await SendAsync(NewId(), _amtKey, Amt, "urn:de:xta:nobody", "<a/>"))
            await ShouldBeProblemAsync(unknownReader, 404, "reader-unknown");
        using (var noType = await SendAsync(NewId(), _amtKey, Amt, Verfahren, "<a/>", messageType: null))
            await ShouldBeProblemAsync(noType, 400, "metadata-missing");
        using (var unknown = await CallAsync(HttpMethod.Get, $"xta/v2/mailboxes/{E(Verfahren)}/messages/{E(NewId())}", _verfahrenKey))
            await ShouldBeProblemAsync(unknown, 404, "message-unknown");
        using (var badStatus = await CallAsync(HttpMethod.Get, $"xta/v2/mailboxes/{E(Verfahren)}/messages?status=pending", _verfahrenKey))
            await ShouldBeProblemAsync(badStatus, 400, "status-invalid");

        _server.Mailbox.MaxMessageBytes = 1024;
        try
        {
            using var tooLarge = await SendAsync(NewId(), _amtKey, Amt, Verfahren, new string('x', 2048));
            await ShouldBeProblemAsync(tooLarge, 413, "message-too-large");
        }
        finally
        {
            _server.Mailbox.MaxMessageBytes = 64L * 1024 * 1024;
        }

        _server.Mailbox.Messages(Verfahren).Should().BeEmpty();
    }

    [Fact]
    public async Task Faults_of_the_destination_make_sends_into_its_mailbox_fail_and_store_nothing()
    {
        _verfahrenFaults.FailNext(1, 503);

        using (var failed = await SendAsync(NewId(), _amtKey, Amt, Verfahren, "<a/>"))
            await ShouldBeProblemAsync(failed, 503, "fault-injected");
        _server.Mailbox.Messages(Verfahren).Should().BeEmpty();
        using (var next = await SendAsync(NewId(), _amtKey, Amt, Verfahren, "<a/>"))
            next.StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Inspection_lists_every_mailbox_with_its_messages_and_their_status_but_no_content()
    {
        var id = NewId();
        using (await SendAsync(id, _amtKey, Amt, Verfahren, "<geheim/>")) { }

        var text = await _http.GetStringAsync("xta/_mailboxes");

        var listed = JsonNode.Parse(text)!["mailboxes"]![Verfahren]!.AsArray().Should().ContainSingle().Subject!;
        listed["messageId"]!.GetValue<string>().Should().Be(id);
        listed["status"]!.GetValue<string>().Should().Be("open");
        text.Should().NotContain("geheim");
    }

    private static string NewId() => "urn:de:xta:messageid:test:" + Guid.NewGuid().ToString("N");

    private static string E(string value) => Uri.EscapeDataString(value);

    private async Task<HttpResponseMessage> SendAsync(string id, string key, string author, string reader, string content,
        string? messageType = "fall.uebergabe.0001", string? relatesTo = null, string? contentId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"xta/v2/messages/{E(id)}") { Content = new StringContent(content, Encoding.UTF8, "application/xml") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("Xta-Author", author);
        request.Headers.Add("Xta-Reader", reader);
        request.Headers.Add("Xta-Service", "urn:integrationhub:xta:service:test");
        request.Headers.Add("Xta-Business-Scenario", "TEST");
        if (messageType is not null) request.Headers.Add("Xta-Message-Type", messageType);
        if (relatesTo is not null) request.Headers.Add("Xta-Relates-To", relatesTo);
        if (contentId is not null) request.Headers.Add("Xta-Content-Id", contentId);
        return await _http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> CallAsync(HttpMethod method, string path, string? key)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await _http.SendAsync(request);
    }

    private async Task<List<XElement>> ListAsync(string mailbox, string key, string status)
    {
        using var response = await CallAsync(HttpMethod.Get, $"xta/v2/mailboxes/{E(mailbox)}/messages?status={status}", key);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return XElement.Parse(await response.Content.ReadAsStringAsync()).Elements(Xta + "MessageMetaData").ToList();
    }

    private static async Task ShouldBeProblemAsync(HttpResponseMessage response, int status, string kind)
    {
        ((int)response.StatusCode).Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["type"]!.GetValue<string>().Should().Be($"urn:integrationhub:simulator:xta:{kind}");
        problem["detail"]!.GetValue<string>().Should().NotBeNullOrEmpty();
    }
}
