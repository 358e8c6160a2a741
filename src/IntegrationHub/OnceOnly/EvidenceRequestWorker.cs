using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IntegrationHub.Intake.Callbacks;
using IntegrationHub.Ledger;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// Works the asynchronous evidence requests in the ledger: looks up what is due (again, with backoff, while the provider
/// is out), then posts the result to the requester's callback until it is taken. Several hub processes may run it: each
/// row is claimed with a conditional update and a lease, as the ledger sweep does.
/// </summary>
public sealed class EvidenceRequestWorker(IServiceScopeFactory scopes, IOptions<OnceOnlyOptions> options, ILogger<EvidenceRequestWorker> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _nudge = new(0, 1);

    /// <summary>A request was stored: take it up now rather than at the next poll.</summary>
    public void Nudge()
    {
        try { _nudge.Release(); } catch (SemaphoreFullException) { }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<EvidenceRequestProcessor>().ProcessDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                logger.LogError(e, "Working the asynchronous evidence requests failed; trying again in {Interval}.", options.Value.PollInterval);
            }
            try { await _nudge.WaitAsync(options.Value.PollInterval, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}

/// <summary>One pass over the due asynchronous evidence requests.</summary>
public sealed class EvidenceRequestProcessor(
    HubDbContext db,
    IServiceProvider services,
    EvidenceRequesters requesters,
    EvidenceProtection protection,
    IHttpClientFactory http,
    IOptions<OnceOnlyOptions> options,
    TimeProvider time,
    ILogger<EvidenceRequestProcessor> logger)
{
    public const string HttpClientName = "evidence-callbacks";
    private const int BatchSize = 50;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<int> ProcessDueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var due = await db.EvidenceRequests.AsNoTracking()
            .Where(r => (r.Status == EvidenceRequestStatus.Pending || r.Status == EvidenceRequestStatus.Delivering) && r.NextAttemptAt <= now)
            .OrderBy(r => r.NextAttemptAt).Take(BatchSize).ToListAsync(ct);
        var worked = 0;
        foreach (var record in due)
        {
            if (!await ClaimAsync(record, ct)) continue;
            if (record.Status == EvidenceRequestStatus.Pending) await LookUpAsync(record, ct);
            // A final answer just found is posted at once; an outage leaves the row Pending until its backoff ran out.
            if (record.Status == EvidenceRequestStatus.Delivering) await DeliverAsync(record, ct);
            worked++;
        }
        return worked;
    }

    // The lease keeps other processes off the row while a lookup (up to the provider's timeout) or a callback is in flight.
    private async Task<bool> ClaimAsync(EvidenceRequestRecord record, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var lease = now + TimeSpan.FromMinutes(5);
        var claimed = await db.EvidenceRequests
            .Where(r => r.Id == record.Id && r.Status == record.Status && r.UpdatedAt == record.UpdatedAt)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.NextAttemptAt, lease).SetProperty(r => r.UpdatedAt, now), ct);
        if (claimed == 0) return false;
        record.UpdatedAt = now;
        record.NextAttemptAt = lease;
        db.Attach(record);
        return true;
    }

    private async Task LookUpAsync(EvidenceRequestRecord record, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var request = JsonSerializer.Deserialize<EvidenceRequest>(await protection.UnprotectAsync(record.Id, record.Ars, record.ProtectedRequest!, ct), Json)!;
        if (requesters.Find(record.ClientId) is not { } requester)
        {
            logger.LogWarning("Evidence request {RequestId}: requester {ClientId} is no longer registered; the request failed.", record.Id, record.ClientId);
            Finish(record, EvidenceRequestStatus.Failed, now);
            await db.SaveChangesAsync(ct);
            return;
        }

        var result = await services.GetRequiredService<EvidenceService>().LookupAsync(request, requester, ct);
        record.Attempts++;
        record.UpdatedAt = now;
        var outage = result.Outcome is EvidenceOutcomes.Unavailable or EvidenceOutcomes.TimedOut;
        if (outage && now - record.CreatedAt < options.Value.GiveUpAfter)
        {
            record.NextAttemptAt = now + options.Value.BackoffAfter(record.Attempts);
            logger.LogInformation("Evidence request {RequestId}: provider {Provider} {Outcome} (attempt {Attempts}); next attempt at {NextAttemptAt:O}.",
                record.Id, result.Provider, result.Outcome, record.Attempts, record.NextAttemptAt);
        }
        else
        {
            // A final answer (or the last outage after GiveUpAfter): it waits, encrypted, for the callback.
            record.Outcome = result.Outcome;
            record.ReasonCode = result.ReasonCode;
            record.ProtectedResult = await protection.ProtectAsync(record.Id, record.Ars, EvidenceApi.ResultBody(request, result).ToJsonString(), ct);
            record.ProtectedRequest = null;
            record.Status = EvidenceRequestStatus.Delivering;
            record.NextAttemptAt = now;
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>POSTs the result with the callback-authentication headers; the HMAC key is the requester's CallbackSecret.</summary>
    private async Task DeliverAsync(EvidenceRequestRecord record, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // The requester's configuration now, not when it asked: a removed origin or secret ends the deliveries.
        var key = requesters.CallbackProblem(record.ClientId, new Uri(record.CallbackUrl)) is null ? requesters.CallbackKey(record.ClientId) : null;
        var delivered = false;
        if (key is not null)
        {
            var body = Encoding.UTF8.GetBytes(await protection.UnprotectAsync(record.Id, record.Ars, record.ProtectedResult!, ct));
            var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
            using var message = new HttpRequestMessage(HttpMethod.Post, record.CallbackUrl) { Content = new ByteArrayContent(body) };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            message.Headers.Add(CallbackAuthentication.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            message.Headers.Add(CallbackAuthentication.SignatureHeader, CallbackAuthentication.Sign(key, timestamp, body));
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(options.Value.CallbackTimeout);
                using var response = await http.CreateClient(HttpClientName).SendAsync(message, timeout.Token);
                delivered = response.IsSuccessStatusCode;
                if (!delivered)
                    logger.LogWarning("Evidence request {RequestId}: the callback answered {Status}.", record.Id, (int)response.StatusCode);
            }
            catch (Exception e) when (e is HttpRequestException || e is OperationCanceledException && !ct.IsCancellationRequested)
            {
                logger.LogWarning("Evidence request {RequestId}: the callback failed with {Error}.", record.Id, e.GetType().Name);
            }
        }

        record.CallbackAttempts++;
        record.UpdatedAt = now;
        if (delivered)
        {
            record.DeliveredAt = now;
            Finish(record, EvidenceRequestStatus.Delivered, now);
            logger.LogInformation("Evidence request {RequestId}: result {Outcome} delivered to the callback.", record.Id, record.Outcome);
        }
        else if (key is null)
        {
            logger.LogError("Evidence request {RequestId}: the requester's callback origins or callback secret no longer allow this callback; the status shows Failed.", record.Id);
            Finish(record, EvidenceRequestStatus.Failed, now);
        }
        else if (now - record.CreatedAt >= options.Value.GiveUpAfter)
        {
            logger.LogError("Evidence request {RequestId}: gave up delivering the result after {Attempts} callbacks; the status shows Failed.", record.Id, record.CallbackAttempts);
            Finish(record, EvidenceRequestStatus.Failed, now);
        }
        else
            record.NextAttemptAt = now + options.Value.BackoffAfter(record.CallbackAttempts);
        await db.SaveChangesAsync(ct);
    }

    // Finished requests keep no personal data: the request and the result go.
    private static void Finish(EvidenceRequestRecord record, EvidenceRequestStatus status, DateTimeOffset now)
    {
        record.Status = status;
        record.ProtectedRequest = null;
        record.ProtectedResult = null;
        record.NextAttemptAt = null;
        record.UpdatedAt = now;
    }
}
