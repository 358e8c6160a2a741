using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.Procedures;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.DeliveryService;

/// <summary>
/// FITKO's FIT-Connect delivery service (Zustelldienst), Submission API v1 under <see cref="Prefix"/>: the sender API
/// (token, destinations and their published keys, create, upload attachments, submit), the subscriber API (token with
/// <c>subscribe:destination:{id}</c>, list, fetch submission and attachments, post accept-/reject-submission events
/// verified against the destination's registered signature key) and the new-submissions callback (HMAC-SHA512 over
/// <c>{timestamp}.{body}</c>). Everything is kept in memory and inspectable; faults are injected on command.
/// </summary>
public sealed class DeliveryServiceSimulator(TimeProvider time, ILogger<DeliveryServiceSimulator> logger)
{
    public const string Prefix = "/fitconnect";
    public const string NewSubmissionsCallback = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions";
    public const string EventsBase = "https://schema.fitko.de/fit-connect/events/";
    public const string SubmitSubmission = EventsBase + "submit-submission";
    public const string AcceptSubmission = EventsBase + "accept-submission";
    public const string RejectSubmission = EventsBase + "reject-submission";
    public const string CallbackSignatureHeader = "callback-authentication";
    public const string CallbackTimestampHeader = "callback-timestamp";

    private static readonly HttpClient CallbackHttp = new() { Timeout = TimeSpan.FromSeconds(10) };

    private readonly object _gate = new();
    private readonly Dictionary<Guid, DestinationRegistration> _destinations = [];
    private readonly Dictionary<string, string> _senders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Secret, HashSet<Guid> Destinations)> _subscribers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AccessGrant> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, StoredSubmission> _submissions = [];
    private readonly List<RecordedEvent> _events = [];
    private readonly List<SentCallback> _callbacks = [];
    private readonly Lazy<RSA> _ownKey = new(() => RSA.Create(2048));

    internal TimeProvider Time => time;
    internal ILogger Logger => logger;

    /// <summary>Faults of the subscriber API (list, fetch, attachments, events): the next N calls fail, latency.</summary>
    public FaultInjection Faults { get; } = new();

    /// <summary>Off: no callbacks at all (the subscriber has to poll).</summary>
    public bool CallbacksEnabled { get; set; } = true;

    /// <summary>Each callback is sent a second time a second later, freshly signed, as a retrying service would.</summary>
    public bool DuplicateCallbacks { get; set; }

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The kid of the service's own signing key (its submit-submission events; /.well-known/jwks.json).</summary>
    public string OwnKid => "fitconnect-simulator-sig-1";

    public void RegisterDestination(DestinationRegistration destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.EncryptionKey.ContainsKey("kid") || !destination.SignatureKey.ContainsKey("kid"))
            throw new ArgumentException("Both keys need a kid.", nameof(destination));
        lock (_gate) _destinations[destination.DestinationId] = destination;
    }

    public void RegisterSender(string clientId, string secret)
    {
        lock (_gate) _senders[clientId] = secret;
    }

    public void RegisterSubscriber(string clientId, string secret, params Guid[] destinations)
    {
        lock (_gate) _subscribers[clientId] = (secret, [.. destinations]);
    }

    public IReadOnlyList<SimulatedSubmission> Submissions
    {
        get { lock (_gate) return _submissions.Values.OrderBy(s => s.CreatedAt).Select(s => s.Snapshot()).ToList(); }
    }

    public SimulatedSubmission? Submission(Guid submissionId)
    {
        lock (_gate) return _submissions.GetValueOrDefault(submissionId)?.Snapshot();
    }

    /// <summary>The case's event log in the order the events arrived.</summary>
    public IReadOnlyList<RecordedEvent> Events(Guid caseId)
    {
        lock (_gate) return _events.Where(e => e.CaseId == caseId).ToList();
    }

    public IReadOnlyList<SentCallback> Callbacks
    {
        get { lock (_gate) return [.. _callbacks]; }
    }

    /// <summary>Sends a new-submissions callback now (spoiled on request) and returns what the subscriber answered.</summary>
    public async Task<SentCallback> SendCallbackAsync(Guid destinationId, IReadOnlyList<Guid> submissionIds, CallbackTampering? tampering = null,
        CancellationToken ct = default)
    {
        DestinationRegistration destination;
        List<StoredSubmission> submissions;
        lock (_gate)
        {
            destination = _destinations.GetValueOrDefault(destinationId) ?? throw new InvalidOperationException($"Destination {destinationId} is not registered.");
            submissions = submissionIds.Select(id => _submissions.GetValueOrDefault(id) ?? throw new InvalidOperationException($"No submission {id}.")).ToList();
        }
        if (destination.CallbackUrl is null || destination.CallbackSecret is null)
            throw new InvalidOperationException($"Destination {destinationId} has no callback URL and secret.");
        var body = new JsonObject
        {
            ["type"] = NewSubmissionsCallback,
            ["submissions"] = new JsonArray(submissions.Select(s => (JsonNode)new JsonObject
            {
                ["destinationId"] = s.DestinationId.ToString("D"),
                ["submissionId"] = s.Id.ToString("D"),
                ["caseId"] = s.CaseId.ToString("D"),
            }).ToArray()),
        }.ToJsonString();
        var timestamp = (time.GetUtcNow() - (tampering?.Age ?? TimeSpan.Zero)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = SignCallback(tampering?.Secret ?? destination.CallbackSecret, timestamp, body);
        return await PostCallbackAsync(destinationId, destination.CallbackUrl, body, timestamp, signature, ct).ConfigureAwait(false);
    }

    /// <summary>Sends a callback sent before once more, byte for byte (a replay).</summary>
    public Task<SentCallback> ReplayCallbackAsync(SentCallback callback, CancellationToken ct = default) =>
        PostCallbackAsync(callback.DestinationId, callback.Url, callback.Body, callback.Timestamp, callback.Signature, ct);

    /// <summary>FIT-Connect's callback authentication: hex HMAC-SHA512 keyed with the secret over <c>{timestamp}.{body}</c>.</summary>
    public static string SignCallback(string secret, string timestamp, string body) =>
        CallbackSignature.Sign(secret, long.Parse(timestamp, CultureInfo.InvariantCulture), Encoding.UTF8.GetBytes(body));

    /// <summary>Maps the simulator's endpoints under <see cref="Prefix"/>.</summary>
    public void Map(IEndpointRouteBuilder app) => DeliveryServiceEndpoints.Map(app, this);

    // ---- what the endpoints use (under the lock) ----

    internal sealed record AccessGrant(string ClientId, bool Subscriber, HashSet<Guid> Destinations, DateTimeOffset ExpiresAt);

    internal sealed class StoredSubmission
    {
        public Guid Id { get; init; }
        public Guid CaseId { get; init; }
        public Guid DestinationId { get; init; }
        public string SenderClientId { get; init; } = string.Empty;
        public string ServiceIdentifier { get; init; } = string.Empty;
        public string ServiceName { get; init; } = string.Empty;
        public List<Guid> Announced { get; init; } = [];
        public Dictionary<Guid, string> Attachments { get; } = [];
        public string? EncryptedMetadata { get; set; }
        public string? EncryptedData { get; set; }
        public string Status { get; set; } = SubmissionStates.Incomplete;
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? SubmittedAt { get; set; }

        public SimulatedSubmission Snapshot() =>
            new(Id, CaseId, DestinationId, ServiceIdentifier, Status, [.. Announced], SenderClientId);

        /// <summary>The tags (5th JWE part) of the encrypted parts: what submit, accept and reject events carry.</summary>
        public JsonObject AuthenticationTags()
        {
            var attachments = new JsonObject();
            foreach (var (id, jwe) in Attachments.OrderBy(a => a.Key)) attachments[id.ToString("D")] = jwe.Split('.')[4];
            return new JsonObject
            {
                ["metadata"] = EncryptedMetadata!.Split('.')[4],
                ["data"] = EncryptedData!.Split('.')[4],
                ["attachments"] = attachments,
            };
        }
    }

    internal object Gate => _gate;
    internal Dictionary<Guid, DestinationRegistration> DestinationTable => _destinations;
    internal Dictionary<Guid, StoredSubmission> SubmissionTable => _submissions;
    internal List<RecordedEvent> EventTable => _events;

    internal string? Authenticate(string clientId, string secret, out bool subscriber, out HashSet<Guid> destinations)
    {
        lock (_gate)
        {
            subscriber = false;
            destinations = [];
            if (_senders.TryGetValue(clientId, out var senderSecret) && FixedEquals(senderSecret, secret))
            {
                destinations = [.. _destinations.Keys];
                return clientId;
            }
            if (_subscribers.TryGetValue(clientId, out var s) && FixedEquals(s.Secret, secret))
            {
                subscriber = true;
                destinations = [.. s.Destinations];
                return clientId;
            }
            return null;
        }
    }

    internal string IssueToken(string clientId, bool subscriber, HashSet<Guid> destinations)
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        lock (_gate) _tokens[token] = new AccessGrant(clientId, subscriber, destinations, time.GetUtcNow() + AccessTokenLifetime);
        return token;
    }

    internal AccessGrant? Grant(string? bearer)
    {
        if (bearer is null) return null;
        lock (_gate) return _tokens.TryGetValue(bearer, out var grant) && grant.ExpiresAt > time.GetUtcNow() ? grant : null;
    }

    /// <summary>The service's own event in the case log (submit-submission), signed with its key.</summary>
    internal void AppendOwnEvent(StoredSubmission submission, string eventUri)
    {
        var payload = new JsonObject { ["authenticationTags"] = submission.AuthenticationTags() };
        var token = EventTokens.Sign(_ownKey.Value, OwnKid, "https://fitconnect.simulator", eventUri, submission.Id, submission.CaseId, payload, time.GetUtcNow());
        var parsed = EventTokens.Parse(token)!;
        _events.Add(new RecordedEvent(submission.CaseId, submission.Id, eventUri, parsed.Jti!, parsed.Issuer!, OwnKid, payload, token, time.GetUtcNow()));
    }

    internal JsonObject OwnJwk() => EventTokens.PublicJwk(_ownKey.Value, OwnKid);

    /// <summary>After a submit: the new-submissions callback to the destination's subscriber, in the background.</summary>
    internal void Notify(StoredSubmission submission)
    {
        DestinationRegistration? destination;
        lock (_gate) destination = _destinations.GetValueOrDefault(submission.DestinationId);
        if (!CallbacksEnabled || destination?.CallbackUrl is null || destination.CallbackSecret is null) return;
        _ = Task.Run(async () =>
        {
            try
            {
                for (var attempt = 1; attempt <= 3; attempt++)
                {
                    var sent = await SendCallbackAsync(submission.DestinationId, [submission.Id]).ConfigureAwait(false);
                    if (sent.StatusCode is >= 200 and < 300)
                    {
                        if (!DuplicateCallbacks) return;
                        // A same-second repeat would carry the same signature; a retrying service signs anew later.
                        await Task.Delay(TimeSpan.FromSeconds(1.1)).ConfigureAwait(false);
                        await SendCallbackAsync(submission.DestinationId, [submission.Id]).ConfigureAwait(false);
                        return;
                    }
                    if (sent.StatusCode is >= 400 and < 500) return; // refused: retrying the same cannot help
                    await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt)).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
            {
                logger.LogWarning("Callback for submission {SubmissionId} failed: {Reason}", submission.Id, e.GetType().Name);
            }
        });
    }

    private async Task<SentCallback> PostCallbackAsync(Guid destinationId, Uri url, string body, string timestamp, string signature, CancellationToken ct)
    {
        int? status = null;
        string? answer = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation(CallbackTimestampHeader, timestamp);
            request.Headers.TryAddWithoutValidation(CallbackSignatureHeader, signature);
            using var response = await CallbackHttp.SendAsync(request, ct).ConfigureAwait(false);
            status = (int)response.StatusCode;
            answer = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Callback to destination {DestinationId} could not be delivered: {Reason}", destinationId, e.GetType().Name);
        }
        var sent = new SentCallback(destinationId, url, body, timestamp, signature, status, answer);
        lock (_gate) _callbacks.Add(sent);
        return sent;
    }

    private static bool FixedEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}
