using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using IntegrationHub.Simulators.Procedures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Mailbox;

/// <summary>
/// An XTA-style mailbox service, as Wohngeld procedures use it: every party owns a mailbox named by an XTA identifier
/// and authenticates with its own key; it sends messages into other mailboxes (sendMessage), lists its own by status
/// (getStatusList), fetches one (getMessage) and closes it once processed (close). Sending is idempotent by message id.
/// The operations below are the service's core; <see cref="Map"/> puts the same operations on HTTP, and an in-process
/// party (the Marius-like procedure) calls them directly, with the same authentication and checks.
/// </summary>
public sealed class XtaMailboxSimulator(TimeProvider time, ILogger<XtaMailboxSimulator> logger)
{
    public const string Prefix = "/xta/v2";
    public const string SimulatorName = "xta";

    private const int MaxMessageIdLength = 200;
    private const int MaxHeaderLength = 500;
    private const int MaxListed = 500;

    private readonly object _gate = new();
    private readonly Dictionary<string, Account> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Stored> _messages = new(StringComparer.Ordinal);
    private int _duplicateSends;

    /// <summary>Largest message content accepted (one evidence message carries one attachment).</summary>
    public long MaxMessageBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How many sends named a message id the service already had (and stored nothing new).</summary>
    public int DuplicateSendCount
    {
        get { lock (_gate) { return _duplicateSends; } }
    }

    /// <summary>
    /// Opens a mailbox for <paramref name="mailboxId"/>, reachable with <paramref name="apiKey"/> (only its hash is kept).
    /// <paramref name="faults"/>, if given, apply to every message sent into this mailbox (the service failing towards it).
    /// </summary>
    public void RegisterMailbox(string mailboxId, string apiKey, FaultInjection? faults = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mailboxId);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        lock (_gate)
        {
            _accounts[mailboxId] = new Account(mailboxId, SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)), faults ?? new FaultInjection());
        }
    }

    /// <summary>The messages in a mailbox (oldest first), with their status.</summary>
    public IReadOnlyList<XtaMessage> Messages(string mailboxId)
    {
        lock (_gate)
        {
            return _messages.Values.Where(m => m.Metadata.Reader == mailboxId).OrderBy(m => m.Order).Select(m => m.Snapshot()).ToList();
        }
    }

    /// <summary>The mailbox identity a key belongs to; null for an unknown or missing key.</summary>
    public string? Authenticate(string? apiKey)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            return null;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));
        lock (_gate)
        {
            return _accounts.Values.FirstOrDefault(a => CryptographicOperations.FixedTimeEquals(a.KeyHash, hash))?.MailboxId;
        }
    }

    /// <summary>sendMessage: stores the message in the reader's mailbox. Returns false when the id was known (nothing stored).</summary>
    /// <exception cref="XtaException">Refused: not the author, unknown reader, too large, conflicting id, injected fault.</exception>
    public async Task<(bool Created, XtaMessageMetadata Metadata)> SendAsync(string identity, XtaMessageMetadata metadata, byte[] content, CancellationToken ct = default)
    {
        Check(metadata);
        if (metadata.Author != identity)
        {
            throw new XtaException(403, "author-mismatch", "Not your identity", "A message can only be sent under the sender's own mailbox identifier.");
        }

        if (content.LongLength > MaxMessageBytes)
        {
            throw new XtaException(413, "message-too-large", "Message too large", $"At most {MaxMessageBytes} bytes per message.");
        }

        Account reader;
        lock (_gate)
        {
            if (!_accounts.TryGetValue(metadata.Reader, out reader!))
            {
                throw new XtaException(404, "reader-unknown", "Unknown reader", "The destination mailbox does not exist.");
            }
        }

        var latency = reader.Faults.Latency;
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, ct).ConfigureAwait(false);
        }

        if (reader.Faults.TryConsumeFailure(out var status))
        {
            throw new XtaException(status, "fault-injected", "Injected fault", "The simulator was told to fail this call.");
        }

        lock (_gate)
        {
            if (_messages.TryGetValue(metadata.MessageId, out var existing))
            {
                if (existing.Metadata.Author != metadata.Author || existing.Metadata.Reader != metadata.Reader)
                {
                    throw new XtaException(409, "message-id-conflict", "Message id in use", "Another message already has this id.");
                }

                // A retried send: the service keeps the first copy (a retry may differ only in creation time and signature).
                _duplicateSends++;
                return (false, existing.Metadata);
            }

            var stored = metadata with { Size = content.LongLength, Created = metadata.Created == default ? time.GetUtcNow() : metadata.Created };
            _messages[metadata.MessageId] = new Stored(stored, content, _messages.Count, time.GetUtcNow());
            // Identifiers only: message contents are social data.
            logger.LogInformation("XTA message {MessageId} ({MessageType}) from {Author} to {Reader}", stored.MessageId, stored.MessageType, stored.Author, stored.Reader);
            return (true, stored);
        }
    }

    /// <summary>getStatusList: the mailbox's messages with the given status, oldest first.</summary>
    public IReadOnlyList<(XtaMessageMetadata Metadata, XtaMessageStatus Status, DateTimeOffset ReceivedAt)> StatusList(
        string identity, string mailboxId, XtaMessageStatus status, int max = 100)
    {
        Own(identity, mailboxId);
        lock (_gate)
        {
            return _messages.Values
                .Where(m => m.Metadata.Reader == mailboxId && m.Status == status)
                .OrderBy(m => m.Order)
                .Take(Math.Clamp(max, 1, MaxListed))
                .Select(m => (m.Metadata, m.Status, m.ReceivedAt))
                .ToList();
        }
    }

    /// <summary>getMessage: one message of the caller's own mailbox (open or closed).</summary>
    public XtaMessage GetMessage(string identity, string mailboxId, string messageId)
    {
        Own(identity, mailboxId);
        lock (_gate)
        {
            return Find(mailboxId, messageId).Snapshot();
        }
    }

    /// <summary>close: the owner has processed the message; closing twice is fine.</summary>
    public void Close(string identity, string mailboxId, string messageId)
    {
        Own(identity, mailboxId);
        lock (_gate)
        {
            var message = Find(mailboxId, messageId);
            if (message.Status == XtaMessageStatus.Open)
            {
                message.Status = XtaMessageStatus.Closed;
                message.ClosedAt = time.GetUtcNow();
            }
        }
    }

    /// <summary>Sets a closed message open again, as if the close had been lost (tests: a message delivered twice).</summary>
    public bool Reopen(string messageId)
    {
        lock (_gate)
        {
            if (!_messages.TryGetValue(messageId, out var message))
            {
                return false;
            }

            message.Status = XtaMessageStatus.Open;
            message.ClosedAt = null;
            return true;
        }
    }

    /// <summary>
    /// Maps PUT {Prefix}/messages/{messageId} (sendMessage: metadata in Xta-* headers, content as body),
    /// GET {Prefix}/mailboxes/{mailboxId}/messages?status=open|closed (getStatusList, XML),
    /// GET {Prefix}/mailboxes/{mailboxId}/messages/{messageId} (getMessage: content as body, metadata in headers),
    /// POST {Prefix}/mailboxes/{mailboxId}/messages/{messageId}/close, and GET /xta/_mailboxes (inspection, no content).
    /// Every call but the inspection needs "Authorization: Bearer {key of the caller's mailbox}".
    /// </summary>
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPut(Prefix + "/messages/{messageId}", (Delegate)SendEndpointAsync);
        app.MapGet(Prefix + "/mailboxes/{mailboxId}/messages", (Delegate)ListEndpointAsync);
        app.MapGet(Prefix + "/mailboxes/{mailboxId}/messages/{messageId}", (Delegate)GetEndpointAsync);
        app.MapPost(Prefix + "/mailboxes/{mailboxId}/messages/{messageId}/close", (Delegate)CloseEndpointAsync);
        app.MapGet("/xta/_mailboxes", (Delegate)InspectEndpointAsync);
    }

    private async Task SendEndpointAsync(HttpContext context, string messageId)
    {
        await HandleAsync(context, async identity =>
        {
            var request = context.Request;
            // Kestrel's server-wide limit is sized for handover XML; an evidence message may be as large as MaxMessageBytes.
            var sizeLimit = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
            if (sizeLimit is { IsReadOnly: false })
            {
                sizeLimit.MaxRequestBodySize = MaxMessageBytes + 1;
            }

            if (request.ContentLength > MaxMessageBytes)
            {
                throw new XtaException(413, "message-too-large", "Message too large", $"At most {MaxMessageBytes} bytes per message.");
            }

            var created = DateTimeOffset.TryParse(Header(request, XtaHeaders.Created), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : default;
            var metadata = new XtaMessageMetadata(
                messageId,
                Header(request, XtaHeaders.Author) ?? string.Empty,
                Header(request, XtaHeaders.Reader) ?? string.Empty,
                Header(request, XtaHeaders.Service) ?? string.Empty,
                Header(request, XtaHeaders.BusinessScenario) ?? string.Empty,
                Header(request, XtaHeaders.MessageType) ?? string.Empty,
                created,
                Header(request, XtaHeaders.RelatesTo),
                Header(request, XtaHeaders.ContentId),
                string.IsNullOrEmpty(request.ContentType) ? "application/octet-stream" : request.ContentType,
                0);
            Check(metadata);
            var content = await ReadLimitedAsync(request.Body, MaxMessageBytes, context.RequestAborted).ConfigureAwait(false)
                ?? throw new XtaException(413, "message-too-large", "Message too large", $"At most {MaxMessageBytes} bytes per message.");
            var (isNew, stored) = await SendAsync(identity, metadata, content, context.RequestAborted).ConfigureAwait(false);
            await WriteXmlAsync(context, isNew ? 201 : 200, stored.ToXml(XtaMessageStatus.Open, time.GetUtcNow())).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private Task ListEndpointAsync(HttpContext context, string mailboxId) =>
        HandleAsync(context, identity =>
        {
            var statusText = context.Request.Query["status"].ToString();
            var status = statusText switch
            {
                "" or "open" => XtaMessageStatus.Open,
                "closed" => XtaMessageStatus.Closed,
                _ => throw new XtaException(400, "status-invalid", "Unknown status", "status must be open or closed."),
            };
            var max = int.TryParse(context.Request.Query["max"], out var m) ? m : 100;
            var list = new XElement(XNamespace.Get(XtaMessageMetadata.Namespace) + "MsgStatusList",
                StatusList(identity, mailboxId, status, max).Select(e => e.Metadata.ToXml(e.Status, e.ReceivedAt)));
            return WriteXmlAsync(context, 200, list);
        });

    private Task GetEndpointAsync(HttpContext context, string mailboxId, string messageId) =>
        HandleAsync(context, async identity =>
        {
            var message = GetMessage(identity, mailboxId, messageId);
            var m = message.Metadata;
            var headers = context.Response.Headers;
            headers[XtaHeaders.MessageId] = m.MessageId;
            headers[XtaHeaders.Author] = m.Author;
            headers[XtaHeaders.Reader] = m.Reader;
            headers[XtaHeaders.Service] = m.Service;
            headers[XtaHeaders.BusinessScenario] = m.BusinessScenario;
            headers[XtaHeaders.MessageType] = m.MessageType;
            headers[XtaHeaders.Created] = m.Created.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            headers[XtaHeaders.Status] = message.Status == XtaMessageStatus.Open ? "open" : "closed";
            if (m.RelatesTo is not null)
            {
                headers[XtaHeaders.RelatesTo] = m.RelatesTo;
            }

            if (m.ContentId is not null)
            {
                headers[XtaHeaders.ContentId] = m.ContentId;
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = m.ContentType;
            context.Response.ContentLength = message.Content.LongLength;
            await context.Response.Body.WriteAsync(message.Content, context.RequestAborted).ConfigureAwait(false);
        });

    private Task CloseEndpointAsync(HttpContext context, string mailboxId, string messageId) =>
        HandleAsync(context, identity =>
        {
            Close(identity, mailboxId, messageId);
            context.Response.StatusCode = 204;
            return Task.CompletedTask;
        });

    private Task InspectEndpointAsync(HttpContext context)
    {
        var mailboxes = new JsonObject();
        List<string> ids;
        lock (_gate)
        {
            ids = [.. _accounts.Keys];
        }

        foreach (var id in ids)
        {
            var list = new JsonArray();
            foreach (var m in Messages(id))
            {
                list.Add(new JsonObject
                {
                    ["messageId"] = m.MessageId,
                    ["author"] = m.Metadata.Author,
                    ["messageType"] = m.Metadata.MessageType,
                    ["relatesTo"] = m.Metadata.RelatesTo,
                    ["size"] = m.Metadata.Size,
                    ["status"] = m.Status == XtaMessageStatus.Open ? "open" : "closed",
                });
            }

            mailboxes[id] = list;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(new JsonObject { ["duplicateSendCount"] = DuplicateSendCount, ["mailboxes"] = mailboxes }.ToJsonString(), context.RequestAborted);
    }

    private async Task HandleAsync(HttpContext context, Func<string, Task> operation)
    {
        try
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            var key = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..].Trim() : null;
            var identity = Authenticate(key);
            if (identity is null)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"xta\"";
                throw new XtaException(401, "unauthenticated", "Not authenticated", "A valid mailbox key is required (Authorization: Bearer).");
            }

            await operation(identity).ConfigureAwait(false);
        }
        catch (XtaException e)
        {
            var problem = HandoverResponse.Problem(SimulatorName, e.Status, e.Kind, e.Title, e.Detail);
            context.Response.StatusCode = problem.StatusCode;
            context.Response.ContentType = problem.ContentType;
            await context.Response.Body.WriteAsync(problem.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static void Check(XtaMessageMetadata m)
    {
        if (string.IsNullOrWhiteSpace(m.MessageId) || m.MessageId.Length > MaxMessageIdLength)
        {
            throw new XtaException(400, "message-id-invalid", "Message id invalid", $"A message id of 1 to {MaxMessageIdLength} characters is required.");
        }

        foreach (var (name, value) in new[]
                 {
                     (XtaHeaders.Author, m.Author), (XtaHeaders.Reader, m.Reader), (XtaHeaders.Service, m.Service),
                     (XtaHeaders.BusinessScenario, m.BusinessScenario), (XtaHeaders.MessageType, m.MessageType),
                 })
        {
            if (string.IsNullOrWhiteSpace(value) || value.Length > MaxHeaderLength)
            {
                throw new XtaException(400, "metadata-missing", "Metadata missing", $"{name} is required (at most {MaxHeaderLength} characters).");
            }
        }
    }

    private static void Own(string identity, string mailboxId)
    {
        if (identity != mailboxId)
        {
            throw new XtaException(403, "not-your-mailbox", "Not your mailbox", "A mailbox can only be read by its owner.");
        }
    }

    private Stored Find(string mailboxId, string messageId) =>
        _messages.TryGetValue(messageId, out var message) && message.Metadata.Reader == mailboxId
            ? message
            : throw new XtaException(404, "message-unknown", "No such message", "The mailbox has no message with this id.");

    private static string? Header(HttpRequest request, string name)
    {
        var value = request.Headers[name].ToString();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static async Task<byte[]?> ReadLimitedAsync(Stream body, long maxBytes, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static Task WriteXmlAsync(HttpContext context, int status, XElement body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml; charset=utf-8";
        return context.Response.WriteAsync(body.ToString(SaveOptions.DisableFormatting), context.RequestAborted);
    }

    private sealed record Account(string MailboxId, byte[] KeyHash, FaultInjection Faults);

    private sealed class Stored(XtaMessageMetadata metadata, byte[] content, int order, DateTimeOffset receivedAt)
    {
        public XtaMessageMetadata Metadata { get; } = metadata;
        public byte[] Content { get; } = content;
        public int Order { get; } = order;
        public DateTimeOffset ReceivedAt { get; } = receivedAt;
        public XtaMessageStatus Status { get; set; }
        public DateTimeOffset? ClosedAt { get; set; }

        public XtaMessage Snapshot() => new(Metadata, Content, Status, ReceivedAt, ClosedAt);
    }
}

/// <summary>The HTTP headers that carry a message's metadata (sendMessage request, getMessage response).</summary>
public static class XtaHeaders
{
    public const string MessageId = "Xta-Message-Id";
    public const string Author = "Xta-Author";
    public const string Reader = "Xta-Reader";
    public const string Service = "Xta-Service";
    public const string BusinessScenario = "Xta-Business-Scenario";
    public const string MessageType = "Xta-Message-Type";
    public const string Created = "Xta-Created";
    public const string RelatesTo = "Xta-Relates-To";
    public const string ContentId = "Xta-Content-Id";
    public const string Status = "Xta-Status";
}
