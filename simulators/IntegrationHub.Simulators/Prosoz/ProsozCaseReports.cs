using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Procedures;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Prosoz;

/// <summary>One entry of a case's chronicle in the Prosoz-like procedure.</summary>
/// <param name="Sequence">The running number of the case's reports (0 = the case's receipt).</param>
/// <param name="Status">RECEIVED for the receipt, then PROCESSING, ACTION_REQUIRED, COMPLETED.</param>
/// <param name="CallbackStatus">The hub's answer to the callback (0 = not sent yet or not configured).</param>
public sealed record ChronicleEntry(int Sequence, string Status, DateTimeOffset At, DateTimeOffset? Deadline, string? DocumentName, int CallbackStatus);

/// <summary>
/// The Prosoz-like procedure's chronicle of each case and its status reports to the hub: every change is written to the
/// chronicle and sent to the hub's callback endpoint as JSON, authenticated like FIT-Connect callbacks
/// (<c>callback-authentication</c> = hex HMAC-SHA512 over <c>{callback-timestamp}.{body}</c>). Failed callbacks are
/// retried a few times. For fault tests the reports can be sent twice (<see cref="DuplicateCallbacks"/>) or held back and
/// sent after the next one (<see cref="OutOfOrderCallbacks"/>).
/// </summary>
public sealed class ProsozCaseReports
{
    private readonly ProsozSimulator _procedure;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, List<ChronicleEntry>> _chronicles = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private HttpClient? _client;
    private Uri? _callbackUrl;
    private string? _secret;
    private (string Aktenzeichen, byte[] Body)? _heldBack;

    internal ProsozCaseReports(ProsozSimulator procedure, ILogger logger)
    {
        _procedure = procedure;
        _logger = logger;
        procedure.CaseCreated += c =>
        {
            Append(c.Aktenzeichen, new ChronicleEntry(0, "RECEIVED", c.ReceivedAt, null, null, 0));
            if (AutoDecide) _ = Task.Run(() => DecideAsync(c.Aktenzeichen));
        };
    }

    /// <summary>After a case is created: report PROCESSING, then COMPLETED with a Bescheid (for the demo and flow tests).</summary>
    public bool AutoDecide { get; set; }

    /// <summary>Every callback is sent twice (the procedure's fault injection, also settable at run time via /_faults/prosoz).</summary>
    public bool DuplicateCallbacks
    {
        get => _procedure.Faults.DuplicateCallbacks;
        set => _procedure.Faults.DuplicateCallbacks = value;
    }

    /// <summary>Every other callback is held back and sent after the next one (fault injection, as above).</summary>
    public bool OutOfOrderCallbacks
    {
        get => _procedure.Faults.OutOfOrderCallbacks;
        set => _procedure.Faults.OutOfOrderCallbacks = value;
    }

    /// <summary>Where status reports go: the hub's callback endpoint, the client to reach it and the shared secret.</summary>
    public void ConfigureCallbacks(HttpClient client, Uri callbackUrl, string secret)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(callbackUrl);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        lock (_gate)
        {
            _client = client;
            _callbackUrl = callbackUrl;
            _secret = secret;
        }
    }

    /// <summary>The case's chronicle, oldest first (empty for an unknown case).</summary>
    public IReadOnlyList<ChronicleEntry> Chronicle(string aktenzeichen)
    {
        if (!_chronicles.TryGetValue(aktenzeichen, out var entries)) return [];
        lock (entries) return entries.ToArray();
    }

    /// <summary>PROCESSING, then COMPLETED with a Bescheid.</summary>
    public async Task DecideAsync(string aktenzeichen, CancellationToken ct = default)
    {
        await ReportAsync(aktenzeichen, "PROCESSING", ct: ct).ConfigureAwait(false);
        await ReportAsync(aktenzeichen, "COMPLETED", bescheid: true, ct: ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a status change to the chronicle and reports it to the hub; returns the hub's answer (0 when no callback is
    /// configured or the report was held back). ACTION_REQUIRED carries a Nachforderung with <paramref name="deadline"/>,
    /// COMPLETED with <paramref name="bescheid"/> a Bescheid PDF.
    /// </summary>
    public async Task<int> ReportAsync(string aktenzeichen, string status, DateTimeOffset? deadline = null, bool bescheid = false, CancellationToken ct = default)
    {
        var @case = _procedure.Cases.FirstOrDefault(c => c.Aktenzeichen == aktenzeichen)
            ?? throw new InvalidOperationException($"No case {aktenzeichen}.");
        var entries = _chronicles.GetOrAdd(aktenzeichen, _ => []);
        int sequence;
        var now = DateTimeOffset.UtcNow;
        string? documentName = status switch
        {
            "COMPLETED" when bescheid => $"Bescheid-{aktenzeichen}.pdf",
            "ACTION_REQUIRED" => $"Nachforderung-{aktenzeichen}.pdf",
            _ => null,
        };
        lock (entries)
        {
            sequence = entries.Count == 0 ? 1 : entries.Max(e => e.Sequence) + 1;
            entries.Add(new ChronicleEntry(sequence, status, now, deadline, documentName, 0));
        }

        var report = new JsonObject
        {
            ["submissionId"] = @case.SubmissionId?.ToString(),
            ["aktenzeichen"] = aktenzeichen,
            ["sequence"] = sequence,
            ["status"] = status,
            ["occurredAt"] = now.ToString("O", CultureInfo.InvariantCulture),
        };
        if (deadline is { } d) report["deadline"] = d.ToString("O", CultureInfo.InvariantCulture);
        if (documentName is not null)
        {
            var pdf = MinimalPdf.Create(status == "COMPLETED" ? $"Bescheid {aktenzeichen}" : $"Nachforderung {aktenzeichen}");
            report["document"] = new JsonObject
            {
                ["fileName"] = documentName,
                ["mimeType"] = "application/pdf",
                ["content"] = Convert.ToBase64String(pdf),
                ["sha512"] = Convert.ToHexStringLower(SHA512.HashData(pdf)),
            };
        }

        var body = Encoding.UTF8.GetBytes(report.ToJsonString());
        (string, byte[])? send = (aktenzeichen, body);
        (string, byte[])? after = null;
        lock (_gate)
        {
            if (OutOfOrderCallbacks)
            {
                if (_heldBack is null)
                {
                    _heldBack = (aktenzeichen, body);
                    return 0;
                }

                after = _heldBack;
                _heldBack = null;
            }
        }

        var answer = await SendAsync(send.Value.Item1, sequence, send.Value.Item2, ct).ConfigureAwait(false);
        if (after is { } late) await SendAsync(late.Item1, SequenceOf(late.Item2), late.Item2, ct).ConfigureAwait(false);
        return answer;
    }

    /// <summary>Sends a report that <see cref="OutOfOrderCallbacks"/> is still holding back.</summary>
    public async Task FlushHeldBackAsync(CancellationToken ct = default)
    {
        (string, byte[])? held;
        lock (_gate)
        {
            held = _heldBack;
            _heldBack = null;
        }

        if (held is { } h) await SendAsync(h.Item1, SequenceOf(h.Item2), h.Item2, ct).ConfigureAwait(false);
    }

    private static int SequenceOf(byte[] body) => JsonNode.Parse(body)!["sequence"]!.GetValue<int>();

    private async Task<int> SendAsync(string aktenzeichen, int sequence, byte[] body, CancellationToken ct)
    {
        HttpClient? client;
        Uri? url;
        string? secret;
        lock (_gate)
        {
            client = _client;
            url = _callbackUrl;
            secret = _secret;
        }

        if (client is null || url is null || secret is null) return 0;
        var status = 0;
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            status = await PostOnceAsync(client, url, secret, body, ct).ConfigureAwait(false);
            if (status != 0 && DuplicateCallbacks) await PostOnceAsync(client, url, secret, body, ct).ConfigureAwait(false);
            if (status is >= 200 and < 300 or (>= 400 and < 500 and not 408 and not 429)) break;
            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct).ConfigureAwait(false);
        }

        if (_chronicles.TryGetValue(aktenzeichen, out var entries))
        {
            lock (entries)
            {
                var i = entries.FindIndex(e => e.Sequence == sequence);
                if (i >= 0) entries[i] = entries[i] with { CallbackStatus = status };
            }
        }

        if (status is < 200 or >= 300) _logger.LogWarning("Prosoz callback for report #{Sequence} answered {Status}", sequence, status);
        return status;
    }

    private static async Task<int> PostOnceAsync(HttpClient client, Uri url, string secret, byte[] body, CancellationToken ct)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("callback-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("callback-authentication", Sign(secret, timestamp, body));
        try
        {
            using var response = await client.SendAsync(request, ct).ConfigureAwait(false);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    /// <summary>FIT-Connect's callback signature: hex HMAC-SHA512 over "{timestamp}.{body}".</summary>
    public static string Sign(string secret, long unixSeconds, byte[] body) => CallbackSignature.Sign(secret, unixSeconds, body);

    private void Append(string aktenzeichen, ChronicleEntry entry)
    {
        var entries = _chronicles.GetOrAdd(aktenzeichen, _ => []);
        lock (entries) entries.Add(entry);
    }
}
