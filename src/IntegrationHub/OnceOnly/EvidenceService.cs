using System.Collections.Concurrent;
using IntegrationHub.Delivery;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.OnceOnly;

/// <summary>How a lookup ended, for the caller: the outcome (<see cref="EvidenceOutcomes"/>) and the evidence or the reason.</summary>
public sealed record EvidenceResult(
    Guid RequestId,
    string Outcome,
    string? ReasonCode,
    string? Detail,
    string? Provider,
    EvidenceAnswer.Provided? Evidence,
    bool RefusedByProvider = false);

/// <summary>
/// Carries one lookup: checks the rules, asks the provider with a timeout, and writes every outcome to the access
/// protocol before the caller sees it (no protocol entry, no evidence). Evidence is reused only where the provider's
/// configuration sets a CacheTtl. Payloads are never logged.
/// </summary>
public sealed class EvidenceService(
    EvidenceRules rules,
    IEvidenceProvider provider,
    IAccessProtocol protocol,
    EvidenceCache cache,
    TimeProvider time,
    ILogger<EvidenceService> logger)
{
    public const string ReasonAborted = "ABGEBROCHEN";

    /// <param name="timeout">The longest the caller waits; the provider target's Timeout applies in any case.</param>
    public async Task<EvidenceResult> LookupAsync(EvidenceRequest request, EvidenceRequester requester, CancellationToken ct, TimeSpan? timeout = null)
    {
        var decision = rules.Check(request, requester);
        var providerName = decision.Provider?.TargetName;
        if (!decision.Allowed)
            return await FinishAsync(request, requester, new EvidenceResult(request.RequestId, EvidenceOutcomes.Refused, decision.ReasonCode, decision.Detail, providerName, null));

        var entry = decision.Provider!;
        var pseudonym = protocol.PseudonymOf(request.Person);
        var cacheKey = new EvidenceCacheKey(requester.Ars, pseudonym, request.EvidenceType);
        if (entry.Options.CacheTtl is not null && cache.TryGet(cacheKey, out var cached))
            return await FinishAsync(request, requester, Provided(request, providerName, cached));

        var limit = timeout is { } t && t < entry.Target.Timeout ? t : entry.Target.Timeout;
        using var timer = new CancellationTokenSource(limit, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        EvidenceResult result;
        try
        {
            var answer = await provider.AskAsync(request, entry.Target, entry.TargetName, linked.Token);
            result = answer switch
            {
                EvidenceAnswer.Provided provided => Provided(request, providerName, provided),
                EvidenceAnswer.Refused refused => new EvidenceResult(request.RequestId, EvidenceOutcomes.Refused, refused.ReasonCode, refused.Text, providerName, null, RefusedByProvider: true),
                _ => throw new InvalidOperationException($"Unknown answer {answer.GetType().Name}."),
            };
            if (answer is EvidenceAnswer.Provided fresh && entry.Options.CacheTtl is { } ttl)
                cache.Put(cacheKey, fresh, ttl);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The caller gave up (the requester disconnected): protocolled too, then the cancellation goes on.
            await FinishAsync(request, requester, new EvidenceResult(request.RequestId, EvidenceOutcomes.TimedOut, ReasonAborted, "The requester cancelled the lookup.", providerName, null));
            throw;
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or Polly.Timeout.TimeoutRejectedException)
        {
            logger.LogWarning("Evidence provider {Provider} did not answer lookup {RequestId} within {Timeout}.", providerName, request.RequestId, limit);
            result = new EvidenceResult(request.RequestId, EvidenceOutcomes.TimedOut, null, $"The provider did not answer within {limit.TotalSeconds:0.###} s.", providerName, null);
        }
        catch (Exception e)
        {
            // Outages are expected; anything else is a defect of the adapter. Either way the requester hears "unavailable"
            // and the protocol has the lookup. Only the exception type is logged: messages may quote the payload.
            if (e is TransientDeliveryException or HttpRequestException or Polly.CircuitBreaker.BrokenCircuitException)
                logger.LogWarning("Evidence provider {Provider} is unavailable for lookup {RequestId}: {Error}.", providerName, request.RequestId, e.GetType().Name);
            else
                logger.LogError("Evidence provider {Provider} failed on lookup {RequestId} with {Error}.", providerName, request.RequestId, e.GetType().FullName);
            result = new EvidenceResult(request.RequestId, EvidenceOutcomes.Unavailable, null, "The provider could not be reached or answered with an error.", providerName, null);
        }
        return await FinishAsync(request, requester, result);
    }

    /// <summary>A lookup refused before the rules ran (a consent claim that is not the citizen's): protocolled like any refusal.</summary>
    public Task<EvidenceResult> RefuseAsync(EvidenceRequest request, EvidenceRequester requester, string reasonCode, string detail) =>
        FinishAsync(request, requester, new EvidenceResult(request.RequestId, EvidenceOutcomes.Refused, reasonCode, detail,
            rules.ProviderFor(request.RequesterArs, request.EvidenceType)?.TargetName, null));

    private static EvidenceResult Provided(EvidenceRequest request, string? providerName, EvidenceAnswer.Provided evidence) =>
        new(request.RequestId, EvidenceOutcomes.Provided, null, null, providerName, evidence);

    private async Task<EvidenceResult> FinishAsync(EvidenceRequest request, EvidenceRequester requester, EvidenceResult result)
    {
        // Who asked is the authenticated requester, whatever municipality the request named.
        await protocol.AppendAsync(new AccessProtocolEntry(
            time.GetUtcNow(), request.RequestId, requester.Ars, requester.Authority, requester.Procedure,
            protocol.PseudonymOf(request.Person), request.EvidenceType, request.Purpose, request.LegalBasis, request.ConsentReference,
            result.Outcome, result.ReasonCode, result.Provider), CancellationToken.None);
        logger.LogInformation("Evidence lookup {RequestId} of {EvidenceType} by {ClientId}: {Outcome} {ReasonCode}.",
            request.RequestId, request.EvidenceType, requester.ClientId, result.Outcome, result.ReasonCode);
        return result;
    }
}

public readonly record struct EvidenceCacheKey(string RequesterArs, string PersonPseudonym, string EvidenceType);

/// <summary>Answers kept for a provider's CacheTtl, in memory only; the key holds a pseudonym, never the person.</summary>
public sealed class EvidenceCache(TimeProvider time)
{
    private readonly ConcurrentDictionary<EvidenceCacheKey, (EvidenceAnswer.Provided Evidence, DateTimeOffset Expires)> _entries = new();

    public bool TryGet(EvidenceCacheKey key, out EvidenceAnswer.Provided evidence)
    {
        evidence = null!;
        if (!_entries.TryGetValue(key, out var entry)) return false;
        if (entry.Expires <= time.GetUtcNow())
        {
            _entries.TryRemove(KeyValuePair.Create(key, entry));
            return false;
        }
        // Callers get their own copy: the JSON object is mutable.
        evidence = entry.Evidence with { Data = (System.Text.Json.Nodes.JsonObject)entry.Evidence.Data.DeepClone() };
        return true;
    }

    public void Put(EvidenceCacheKey key, EvidenceAnswer.Provided evidence, TimeSpan ttl)
    {
        foreach (var expired in _entries.Where(e => e.Value.Expires <= time.GetUtcNow())) _entries.TryRemove(expired);
        _entries[key] = (evidence with { Data = (System.Text.Json.Nodes.JsonObject)evidence.Data.DeepClone() }, time.GetUtcNow() + ttl);
    }
}
