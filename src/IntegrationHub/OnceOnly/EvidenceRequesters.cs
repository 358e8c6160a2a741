using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// Who asks for evidence: a specialist procedure of one municipality, limited to the evidence types of its role and, without
/// the citizen's consent, to the legal bases configured for it per type.
/// </summary>
public sealed record EvidenceRequester(string ClientId, string Ars, string Authority, string Procedure, IReadOnlySet<string> EvidenceTypes,
    IReadOnlyDictionary<string, IReadOnlyList<string>> LegalBases);

/// <summary>The registered evidence requesters; client secrets are kept only as SHA-256.</summary>
public sealed class EvidenceRequesters
{
    private readonly ConcurrentDictionary<string, (EvidenceRequester Requester, byte[] SecretSha256, EvidenceRequesterOptions Options)> _requesters = new(StringComparer.Ordinal);
    private readonly bool _allowHttpLoopback;

    public EvidenceRequesters(IOptions<HubOptions> options, IOptions<OnceOnlyOptions> onceOnly)
    {
        _allowHttpLoopback = onceOnly.Value.AllowHttpLoopbackCallbacks;
        foreach (var r in options.Value.EvidenceRequesters)
            _requesters[r.ClientId] = (ToRequester(r), Convert.FromHexString(r.SecretSha256), r);
    }

    /// <summary>Registers a requester at run time (used by tests, which generate their secrets).</summary>
    public void Register(EvidenceRequesterOptions requester, string secret) =>
        _requesters[requester.ClientId] = (ToRequester(requester), SHA256.HashData(Encoding.UTF8.GetBytes(secret)), requester);

    public EvidenceRequester? Authenticate(string clientId, string secret)
    {
        // Hash even for unknown clients so the answer takes the same time either way.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        var known = _requesters.TryGetValue(clientId, out var entry);
        var expected = known ? entry.SecretSha256 : new byte[32];
        return CryptographicOperations.FixedTimeEquals(presented, expected) && known ? entry.Requester : null;
    }

    /// <summary>The HMAC key of the requester's callbacks: its own configured CallbackSecret (none: no callbacks).</summary>
    public string? CallbackKey(string clientId) =>
        _requesters.TryGetValue(clientId, out var entry) && !string.IsNullOrEmpty(entry.Options.CallbackSecret) ? entry.Options.CallbackSecret : null;

    /// <summary>Why the requester may not have results posted to this URL (<see cref="EvidenceCallbacks"/>); null if it may.</summary>
    public string? CallbackProblem(string clientId, Uri callback) =>
        !_requesters.TryGetValue(clientId, out var entry) ? "The requester is not registered."
        : string.IsNullOrEmpty(entry.Options.CallbackSecret) ? "This requester has no callback secret; ask synchronously (without callbackUrl)."
        : EvidenceCallbacks.UrlProblem(callback, entry.Options.CallbackOrigins, _allowHttpLoopback);

    public EvidenceRequester? Find(string clientId) => _requesters.TryGetValue(clientId, out var entry) ? entry.Requester : null;

    private static EvidenceRequester ToRequester(EvidenceRequesterOptions r) =>
        new(r.ClientId, r.Ars, r.Authority, r.Procedure, r.EvidenceTypes.ToHashSet(StringComparer.Ordinal),
            r.LegalBases.ToDictionary(b => b.Key, IReadOnlyList<string> (b) => b.Value.ToList(), StringComparer.Ordinal));
}
