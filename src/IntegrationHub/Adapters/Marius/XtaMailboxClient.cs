using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.ExceptionServices;
using System.Xml.Linq;
using IntegrationHub.Delivery;
using IntegrationHub.Hosting;
using IntegrationHub.Signing;
using IntegrationHub.Validation;

namespace IntegrationHub.Adapters.Marius;

/// <summary>The metadata of a message in the hub's mailbox, as the service lists it.</summary>
public sealed record XtaListedMessage(string MessageId, string Author, string MessageType, string? RelatesTo, long Size);

/// <summary>One message to send: where to, what it is, and its content.</summary>
public sealed record XtaOutgoingMessage(string MessageId, string Reader, string MessageType, string? RelatesTo, string? ContentId, HttpContent Content);

/// <summary>
/// Speaks the XTA-style mailbox service over HTTP: sendMessage (PUT …/messages/{id}, metadata in Xta-* headers),
/// getStatusList, getMessage and close on the hub's own mailbox. Authenticates with the hub mailbox's key. Answers are
/// sorted as everywhere in the hub: 408, 429 and 5xx are transient, every other 4xx is permanent.
/// </summary>
public sealed class XtaMailboxClient(HttpClient http)
{
    private const long MaxListBytes = 4 * 1024 * 1024;
    private static readonly XNamespace Xta = "urn:integrationhub:xta:1.0";

    public async Task SendAsync(string target, XtaMailboxOptions mailbox, TimeSpan timeout, XtaOutgoingMessage message, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Url(mailbox, $"v2/messages/{Uri.EscapeDataString(message.MessageId)}"));
        request.Headers.Add("Xta-Author", mailbox.HubMailboxId);
        request.Headers.Add("Xta-Reader", message.Reader);
        request.Headers.Add("Xta-Service", mailbox.Service);
        request.Headers.Add("Xta-Business-Scenario", mailbox.BusinessScenario);
        request.Headers.Add("Xta-Message-Type", message.MessageType);
        request.Headers.Add("Xta-Created", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        if (message.RelatesTo is not null) request.Headers.Add("Xta-Relates-To", message.RelatesTo);
        if (message.ContentId is not null) request.Headers.Add("Xta-Content-Id", message.ContentId);
        request.Content = message.Content;
        using var response = await SendAsync(request, target, mailbox, timeout, ct);
    }

    /// <summary>getStatusList: the open messages of the hub's mailbox, oldest first.</summary>
    public async Task<IReadOnlyList<XtaListedMessage>> ListOpenAsync(string target, XtaMailboxOptions mailbox, TimeSpan timeout, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(mailbox, $"v2/mailboxes/{Uri.EscapeDataString(mailbox.HubMailboxId)}/messages?status=open"));
        using var response = await SendAsync(request, target, mailbox, timeout, ct);
        var list = SafeXml.Load(await BoundedBody.ReadAsync(response.Content, MaxListBytes, ct) ?? throw TooLarge(MaxListBytes), MaxListBytes);
        var root = XElement.Parse(list.OuterXml);
        return root.Elements(Xta + "MessageMetaData").Select(m => new XtaListedMessage(
            (string?)m.Element(Xta + "MessageId") ?? string.Empty,
            (string?)m.Element(Xta + "Author") ?? string.Empty,
            (string?)m.Element(Xta + "MessageType") ?? string.Empty,
            (string?)m.Element(Xta + "RelatesTo"),
            long.TryParse((string?)m.Element(Xta + "Size"), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : 0)).ToList();
    }

    /// <summary>getMessage: the content of one message of the hub's mailbox (at most <paramref name="maxBytes"/>).</summary>
    public async Task<byte[]> GetAsync(string target, XtaMailboxOptions mailbox, TimeSpan timeout, string messageId, long maxBytes, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(mailbox, $"v2/mailboxes/{Uri.EscapeDataString(mailbox.HubMailboxId)}/messages/{Uri.EscapeDataString(messageId)}"));
        using var response = await SendAsync(request, target, mailbox, timeout, ct);
        return await BoundedBody.ReadAsync(response.Content, maxBytes, ct) ?? throw TooLarge(maxBytes);
    }

    /// <summary>close: the hub has recorded the message.</summary>
    public async Task CloseAsync(string target, XtaMailboxOptions mailbox, TimeSpan timeout, string messageId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post,
            Url(mailbox, $"v2/mailboxes/{Uri.EscapeDataString(mailbox.HubMailboxId)}/messages/{Uri.EscapeDataString(messageId)}/close"));
        using var response = await SendAsync(request, target, mailbox, timeout, ct);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string target, XtaMailboxOptions mailbox, TimeSpan timeout, CancellationToken ct)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", mailbox.ApiKey);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TransientDeliveryException($"The mailbox service of {target} did not answer within {timeout}.", inner: e);
        }
        catch (HttpRequestException e) when (InnerOf<AttachmentIntegrityException>(e) is { } integrity)
        {
            // An attachment turned out not to be authentic while it was sent: that is the cause (never retried), not the transport.
            ExceptionDispatchInfo.Throw(integrity);
            throw;
        }

        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var status = response.StatusCode;
            if (status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500)
                throw new TransientDeliveryException($"The mailbox service of {target} answered {(int)status}.", RetryAfter(response));
            var problem = await response.Content.ReadAsStringAsync(ct);
            throw new PermanentDeliveryException($"The mailbox service of {target} answered {(int)status}: {(problem.Length > 500 ? problem[..500] : problem)}");
        }
    }

    private static T? InnerOf<T>(Exception e) where T : Exception
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is T found) return found;
        return null;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);

    private static Uri Url(XtaMailboxOptions mailbox, string relative) => new(new Uri(mailbox.BaseUrl.TrimEnd('/') + "/"), relative);

    private static PermanentDeliveryException TooLarge(long maxBytes) => new($"A mailbox message exceeds {maxBytes} bytes.");
}
