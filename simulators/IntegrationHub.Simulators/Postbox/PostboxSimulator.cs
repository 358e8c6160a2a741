using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.Procedures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Postbox;

/// <summary>
/// The BundID postbox (ZBP) behind FIT-Connect's bridge, with per-mailbox inboxes tests and the demo can read.
/// <para>
/// <c>POST /postbox/api/v1/messages</c> takes a message envelope, <c>POST /postbox/api/v1/status</c> a status envelope,
/// each with the author token (<c>Authorization: Bearer</c>, RS512 JWT), the author certificate
/// (<c>X-Author-Certificate</c>, base64 DER) and a detached RS512 JWS over the exact body (<c>X-Content-Signature</c>).
/// The postbox checks the token's signature against the sent certificate, its audience, expiry and short lifetime,
/// that the certificate is the one pinned for the token's issuer (an ARS, see <see cref="SignaturePins"/>), the content
/// signature, that the token names this message (jti), that the mailbox exists, the trust level and every attachment's
/// sha512 and length. Message and status ids are idempotency keys: a repeat with the same body is answered 200 with
/// what was stored, a different body under a known id is refused with 409.
/// </para>
/// <para>
/// Mailboxes exist only once opened (<see cref="OpenMailbox"/> or <c>POST /postbox/api/v1/mailboxes</c>), as a BundID
/// account's postbox does: a message to an unknown mailbox is refused with 404, never delivered to a new box.
/// <c>GET /postbox/api/v1/mailboxes/{uuid}</c> shows an inbox (without attachment bytes); <c>GET
/// /postbox/api/v1/identity-provider</c> the issuer and key with which a hub is configured to trust the reports of
/// <see cref="IdentityProvider"/>.
/// </para>
/// </summary>
public sealed class PostboxSimulator(TimeProvider time, SignaturePins pins, ILogger<PostboxSimulator> logger)
{
    public const string Name = "postbox";
    public const string MessagesPath = "/postbox/api/v1/messages";
    public const string StatusPath = "/postbox/api/v1/status";
    public const string MailboxesPath = "/postbox/api/v1/mailboxes";
    public const string IdentityProviderPath = "/postbox/api/v1/identity-provider";
    public const string DefaultAudience = "urn:bundid:zbp";
    public const int MaxBodyBytes = 20 * 1024 * 1024;

    /// <summary>The status values of the status monitor.</summary>
    public static readonly IReadOnlyList<string> Statuses = ["INITIATED", "SUBMITTED", "RECEIVED", "PROCESSING", "ACTION_REQUIRED", "COMPLETED"];

    private static readonly string[] Levels = ["STORK-QAA-Level-1", "STORK-QAA-Level-2", "STORK-QAA-Level-3", "STORK-QAA-Level-4"];

    private readonly object _gate = new();
    private readonly Dictionary<Guid, List<object>> _mailboxes = [];
    private readonly Dictionary<Guid, (string BodyHash, JsonObject Answer)> _seen = [];
    private readonly List<PostboxCall> _calls = [];

    /// <summary>The BundID identity provider whose reports the online services forward (the process's shared one).</summary>
    public BundIdIdentityProvider IdentityProvider => BundIdIdentityProvider.Shared;

    /// <summary>The <c>aud</c> author tokens must carry.</summary>
    public string Audience { get; set; } = DefaultAudience;

    /// <summary>When set, every call must carry it in X-Api-Key.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The longest author token lifetime (exp − iat) accepted: tokens are meant to be made per call.</summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Tolerated clock difference for iat, nbf and exp.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public FaultInjection Faults { get; } = new();

    /// <summary>Every answered call, in order (snapshot).</summary>
    public IReadOnlyList<PostboxCall> Calls
    {
        get { lock (_gate) { return _calls.ToList(); } }
    }

    /// <summary>Opens a citizen's postbox (a BundID account's); returns its mailbox UUID (Postkorb-Handle).</summary>
    public Guid OpenMailbox(Guid? mailboxUuid = null)
    {
        var uuid = mailboxUuid ?? Guid.NewGuid();
        lock (_gate)
        {
            _mailboxes.TryAdd(uuid, []);
        }

        return uuid;
    }

    public bool HasMailbox(Guid mailboxUuid)
    {
        lock (_gate) { return _mailboxes.ContainsKey(mailboxUuid); }
    }

    /// <summary>A snapshot of a postbox; empty for a mailbox never opened.</summary>
    public PostboxInbox Inbox(Guid mailboxUuid)
    {
        lock (_gate)
        {
            var items = _mailboxes.GetValueOrDefault(mailboxUuid) ?? [];
            return new PostboxInbox(mailboxUuid, items.OfType<PostboxMessage>().ToList(), items.OfType<PostboxStatus>().ToList());
        }
    }

    /// <summary>Forgets all mailboxes, messages and calls and clears the faults.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _mailboxes.Clear();
            _seen.Clear();
            _calls.Clear();
        }

        Faults.Reset();
    }

    /// <summary>Maps the simulator's endpoints.</summary>
    public void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(MessagesPath, context => ReceiveAsync(context, "message"));
        app.MapPost(StatusPath, context => ReceiveAsync(context, "status"));
        app.MapPost(MailboxesPath, () =>
        {
            var uuid = OpenMailbox();
            return Results.Json(new JsonObject { ["mailboxUuid"] = uuid.ToString("D") }, statusCode: 201);
        });
        // What a hub needs to believe the identification reports of this BundID: its issuer and report-signing key.
        app.MapGet(IdentityProviderPath, () => Results.Json(new JsonObject
        {
            ["issuer"] = IdentityProvider.Issuer,
            ["publicKeyPem"] = IdentityProvider.PublicKeyPem,
        }));
        app.MapGet(MailboxesPath + "/{mailboxUuid:guid}", (Guid mailboxUuid) =>
            HasMailbox(mailboxUuid) ? Results.Json(InboxJson(Inbox(mailboxUuid))) : Problem(404, "unknown-mailbox", "No such mailbox.").ToResult());
    }

    private async Task ReceiveAsync(HttpContext context, string kind)
    {
        // Run-time faults (error rate, outage, hang, slow bodies; see /_faults/postbox) answer before anything else.
        if (await Faults.ApplyAsync(context, "postbox").ConfigureAwait(false)) return;
        var latency = Faults.Latency;
        if (latency > TimeSpan.Zero)
        {
            // Wall-clock on purpose: latency is for the caller's real timeouts, even when Time is a fake clock.
            await Task.Delay(latency, context.RequestAborted).ConfigureAwait(false);
        }

        Answer answer;
        if (Faults.TryConsumeFailure(out var faultStatus))
        {
            answer = Problem(faultStatus, "fault-injected", "The simulator was told to fail this call.");
        }
        else
        {
            var body = await ReadLimitedAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            answer = body is null
                ? Problem(413, "payload-too-large", $"The body exceeds {MaxBodyBytes} bytes.")
                : Accept(kind, body, context.Request.Headers);
        }

        lock (_gate)
        {
            _calls.Add(new PostboxCall(kind, answer.Id, answer.Status, answer.Outcome, time.GetUtcNow()));
        }

        // Identifiers and outcomes only: the envelopes carry what the citizen reads.
        logger.LogInformation("Postbox {Kind} {Id}: {Status} {Outcome}", kind, answer.Id, answer.Status, answer.Outcome);
        await answer.ToResult().ExecuteAsync(context).ConfigureAwait(false);
    }

    private Answer Accept(string kind, byte[] body, IHeaderDictionary headers)
    {
        if (ApiKey is { Length: > 0 } apiKey && !FixedEquals(headers["X-Api-Key"].ToString(), apiKey))
        {
            return Problem(401, "api-key-invalid", "X-Api-Key is missing or wrong.");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(headers["X-Author-Certificate"].ToString()));
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return Problem(401, "author-certificate-invalid", "X-Author-Certificate is not a base64 DER certificate.");
        }

        using (certificate)
        {
            using var key = certificate.GetRSAPublicKey();
            var now = time.GetUtcNow();
            if (key is null)
            {
                return Problem(401, "author-certificate-invalid", "The author certificate has no RSA key.");
            }

            if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
            {
                return Problem(401, "author-certificate-expired", "The author certificate is not valid now.");
            }

            var authorization = headers.Authorization.ToString();
            var token = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..].Trim() : null;
            if (VerifyCompact(token, key) is not { } claims)
            {
                return Problem(401, "author-token-invalid", "The author token is missing, not RS512 or not signed with the author certificate.");
            }

            var tokenProblem = CheckClaims(claims, now);
            if (tokenProblem is not null)
            {
                return tokenProblem;
            }

            var author = Str(claims["iss"])!;
            if (!pins.TryGet(author, out var pinned) || !pinned.RawData.AsSpan().SequenceEqual(certificate.RawData))
            {
                return Problem(403, "author-not-registered", $"The author certificate is not the one registered for {author}.");
            }

            if (!VerifyDetached(headers["X-Content-Signature"].ToString(), body, key))
            {
                return Problem(400, "content-signature-invalid", "X-Content-Signature is missing or does not sign this body with the author certificate.");
            }

            JsonObject? envelope;
            try
            {
                envelope = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }) as JsonObject;
            }
            catch (JsonException)
            {
                envelope = null;
            }

            if (envelope is null)
            {
                return Problem(400, "envelope-invalid", "The body is not a JSON object.");
            }

            var idField = kind == "message" ? "messageId" : "statusId";
            if (!Guid.TryParseExact(Str(envelope[idField]), "D", out var id))
            {
                return Problem(400, "envelope-invalid", $"{idField} is missing or not a UUID.");
            }

            if (Str(claims["jti"]) != id.ToString("D"))
            {
                return Problem(401, "author-token-mismatch", $"The author token was made for another call than {idField} {id}.", id);
            }

            var bodyHash = Sha512.Hex(body);
            lock (_gate)
            {
                if (_seen.TryGetValue(id, out var seen))
                {
                    return seen.BodyHash == bodyHash
                        ? new Answer(200, "duplicate", id, seen.Answer)
                        : Problem(409, "id-reused", $"{idField} {id} was already used for different content.", id);
                }
            }

            if (!Guid.TryParseExact(Str(envelope["mailboxUuid"]), "D", out var mailbox))
            {
                return Problem(400, "envelope-invalid", "mailboxUuid is missing or not a UUID.", id);
            }

            if (!HasMailbox(mailbox))
            {
                return Problem(404, "unknown-mailbox", $"There is no mailbox {mailbox}.", id);
            }

            return kind == "message"
                ? StoreMessage(id, mailbox, envelope, author, bodyHash, now)
                : StoreStatus(id, mailbox, envelope, author, bodyHash, now);
        }
    }

    private Answer? CheckClaims(JsonObject claims, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(Str(claims["iss"])))
        {
            return Problem(401, "author-token-invalid", "The author token names no issuer.");
        }

        var audience = claims["aud"] is JsonArray many ? many.Select(Str).ToArray() : [Str(claims["aud"])];
        if (!audience.Contains(Audience, StringComparer.Ordinal))
        {
            return Problem(401, "author-token-audience", $"The author token is not meant for {Audience}.");
        }

        if (Seconds(claims["exp"]) is not { } exp || Seconds(claims["iat"]) is not { } iat)
        {
            return Problem(401, "author-token-invalid", "The author token needs iat and exp.");
        }

        if (exp + ClockSkew <= now)
        {
            return Problem(401, "author-token-expired", "The author token has expired.");
        }

        if (iat - ClockSkew > now || Seconds(claims["nbf"]) is { } nbf && nbf - ClockSkew > now)
        {
            return Problem(401, "author-token-not-yet-valid", "The author token is not valid yet.");
        }

        if (exp - iat > MaxTokenLifetime)
        {
            return Problem(401, "author-token-lifetime", $"Author tokens may live at most {MaxTokenLifetime}.");
        }

        return null;
    }

    private Answer StoreMessage(Guid id, Guid mailbox, JsonObject envelope, string author, string bodyHash, DateTimeOffset now)
    {
        var missing = new[] { "title", "content", "sender", "service" }.FirstOrDefault(f => string.IsNullOrWhiteSpace(Str(envelope[f])));
        if (missing is not null)
        {
            return Problem(400, "envelope-invalid", $"{missing} is missing.", id);
        }

        var level = Str(envelope["stork_qaa_level"]);
        if (level is null || !Levels.Contains(level))
        {
            return Problem(422, "trust-level-invalid", "stork_qaa_level must be STORK-QAA-Level-1 … STORK-QAA-Level-4.", id);
        }

        var attachments = new List<PostboxAttachment>();
        if (envelope["attachments"] is JsonArray list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                var (attachment, problem) = ReadAttachment(list[i] as JsonObject, i, id);
                if (problem is not null)
                {
                    return problem;
                }

                attachments.Add(attachment!);
            }
        }

        var message = new PostboxMessage(id, mailbox, Str(envelope["title"])!, Str(envelope["content"])!, Str(envelope["sender"])!,
            Str(envelope["service"])!, level, attachments, author, now);
        var answer = new JsonObject { ["messageId"] = id.ToString("D"), ["mailboxUuid"] = mailbox.ToString("D"), ["receivedAt"] = Iso(now) };
        return Store(id, mailbox, message, bodyHash, answer);
    }

    private Answer StoreStatus(Guid id, Guid mailbox, JsonObject envelope, string author, string bodyHash, DateTimeOffset now)
    {
        var missing = new[] { "applicationId", "status", "publicServiceName", "senderName", "createdDate" }
            .FirstOrDefault(f => string.IsNullOrWhiteSpace(Str(envelope[f])));
        if (missing is not null)
        {
            return Problem(400, "envelope-invalid", $"{missing} is missing.", id);
        }

        var status = Str(envelope["status"])!;
        if (!Statuses.Contains(status))
        {
            return Problem(422, "status-invalid", $"status must be one of {string.Join(", ", Statuses)}.", id);
        }

        if (!DateTimeOffset.TryParse(Str(envelope["createdDate"]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
        {
            return Problem(422, "envelope-invalid", "createdDate is not an ISO 8601 date-time.", id);
        }

        var entry = new PostboxStatus(id, mailbox, Str(envelope["applicationId"])!, status, Str(envelope["publicServiceName"])!,
            Str(envelope["senderName"])!, created, Str(envelope["details"]), author, now);
        var answer = new JsonObject { ["statusId"] = id.ToString("D"), ["mailboxUuid"] = mailbox.ToString("D"), ["receivedAt"] = Iso(now) };
        return Store(id, mailbox, entry, bodyHash, answer);
    }

    private Answer Store(Guid id, Guid mailbox, object item, string bodyHash, JsonObject answer)
    {
        lock (_gate)
        {
            // Checked again under the lock: two simultaneous first calls with one id store one item.
            if (_seen.TryGetValue(id, out var seen))
            {
                return seen.BodyHash == bodyHash ? new Answer(200, "duplicate", id, seen.Answer) : Problem(409, "id-reused", $"{id} was already used.", id);
            }

            if (!_mailboxes.TryGetValue(mailbox, out var items))
            {
                return Problem(404, "unknown-mailbox", $"There is no mailbox {mailbox}.", id);
            }

            _seen[id] = (bodyHash, answer);
            items.Add(item);
        }

        return new Answer(201, "accepted", id, answer);
    }

    private static (PostboxAttachment? Attachment, Answer? Problem) ReadAttachment(JsonObject? node, int index, Guid id)
    {
        var fileName = Str(node?["filename"]);
        var mimeType = Str(node?["mimeType"]);
        var sha512 = Str(node?["sha512"]);
        var length = node?["length"] is JsonValue v && v.TryGetValue<long>(out var l) ? l : (long?)null;
        byte[] content;
        try
        {
            content = Convert.FromBase64String(Str(node?["content"]) ?? "");
        }
        catch (FormatException)
        {
            return (null, Problem(400, "envelope-invalid", $"attachments[{index}].content is not base64.", id));
        }

        if (string.IsNullOrWhiteSpace(fileName) || string.IsNullOrWhiteSpace(mimeType) || sha512 is null || length is null)
        {
            return (null, Problem(400, "envelope-invalid", $"attachments[{index}] needs filename, mimeType, sha512, length and content.", id));
        }

        if (content.LongLength != length)
        {
            return (null, Problem(422, "attachment-length-mismatch", $"attachments[{index}] has {content.LongLength} bytes, not the announced {length}.", id));
        }

        var actual = Sha512.Hex(content);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(actual), Encoding.ASCII.GetBytes(sha512.ToLowerInvariant())))
        {
            return (null, Problem(422, "attachment-hash-mismatch", $"The sha512 of attachments[{index}] does not match its content.", id));
        }

        return (new PostboxAttachment(fileName, mimeType, actual, content.LongLength, content), null);
    }

    private static JsonObject? VerifyCompact(string? compact, RSA key)
    {
        var parts = compact?.Split('.');
        if (parts is not { Length: 3 } || parts.Any(p => p.Length == 0) || !HeaderIsRs512(parts[0]))
        {
            return null;
        }

        if (!TryDecode(parts[2], out var signature)
            || !key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1)
            || !TryDecode(parts[1], out var claims))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(claims) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A detached compact JWS ("header..signature", RFC 7515 appendix F) over <paramref name="body"/>.</summary>
    private static bool VerifyDetached(string detached, byte[] body, RSA key)
    {
        var parts = detached.Split('.');
        if (parts.Length != 3 || parts[1].Length != 0 || !HeaderIsRs512(parts[0]) || !TryDecode(parts[2], out var signature))
        {
            return false;
        }

        var signingInput = Encoding.ASCII.GetBytes(parts[0] + "." + System.Buffers.Text.Base64Url.EncodeToString(body));
        return key.VerifyData(signingInput, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
    }

    private static bool HeaderIsRs512(string encodedHeader)
    {
        try
        {
            return TryDecode(encodedHeader, out var bytes) && JsonNode.Parse(bytes) is JsonObject header && Str(header["alg"]) == "RS512";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryDecode(string base64Url, out byte[] bytes)
    {
        try
        {
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(base64Url);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    private static async Task<byte[]?> ReadLimitedAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static JsonObject InboxJson(PostboxInbox inbox) => new()
    {
        ["mailboxUuid"] = inbox.MailboxUuid.ToString("D"),
        ["messages"] = new JsonArray(inbox.Messages.Select(m => (JsonNode)new JsonObject
        {
            ["messageId"] = m.MessageId.ToString("D"),
            ["title"] = m.Title,
            ["content"] = m.Content,
            ["sender"] = m.Sender,
            ["service"] = m.Service,
            ["stork_qaa_level"] = m.StorkQaaLevel,
            ["attachments"] = new JsonArray(m.Attachments.Select(a => (JsonNode)new JsonObject
            {
                ["filename"] = a.FileName,
                ["mimeType"] = a.MimeType,
                ["sha512"] = a.Sha512,
                ["length"] = a.Length,
            }).ToArray()),
            ["receivedAt"] = Iso(m.ReceivedAt),
        }).ToArray()),
        ["statuses"] = new JsonArray(inbox.Statuses.Select(s => (JsonNode)new JsonObject
        {
            ["statusId"] = s.StatusId.ToString("D"),
            ["applicationId"] = s.ApplicationId,
            ["status"] = s.Status,
            ["publicServiceName"] = s.PublicServiceName,
            ["senderName"] = s.SenderName,
            ["createdDate"] = Iso(s.CreatedDate),
            ["details"] = s.Details,
            ["receivedAt"] = Iso(s.ReceivedAt),
        }).ToArray()),
    };

    private static DateTimeOffset? Seconds(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<long>(out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    private static string? Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static string Iso(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static Answer Problem(int status, string kind, string detail, Guid? id = null) =>
        new(status, kind, id, new JsonObject
        {
            ["type"] = HandoverResponse.ProblemType(Name, kind),
            ["title"] = kind.Replace('-', ' '),
            ["status"] = status,
            ["detail"] = detail,
        });

    private sealed record Answer(int Status, string Outcome, Guid? Id, JsonObject Body)
    {
        public IResult ToResult() => Results.Json(Body, statusCode: Status, contentType: Status >= 400 ? "application/problem+json" : "application/json");
    }
}
