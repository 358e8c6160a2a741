using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Intake;

public sealed record SenderClient(string ClientId, byte[] SecretSha256, IReadOnlySet<Guid> Destinations);

/// <summary>The registered sender clients (online services); secrets are kept only as SHA-256.</summary>
public sealed class SenderClients
{
    private readonly ConcurrentDictionary<string, SenderClient> _clients = new(StringComparer.Ordinal);

    private readonly TenantDirectory? _tenants;

    public SenderClients(IOptions<HubOptions> options, TenantDirectory? tenants = null)
    {
        _tenants = tenants;
        foreach (var c in options.Value.Senders)
            _clients[c.ClientId] = new SenderClient(c.ClientId, Convert.FromHexString(c.SecretSha256), c.Destinations.ToHashSet());
    }

    /// <summary>Registers a client at run time (used by the demo and tests, which generate their secrets).</summary>
    public void Register(string clientId, string secret, IEnumerable<Guid> destinations) =>
        _clients[clientId] = new SenderClient(clientId, Hash(secret), destinations.ToHashSet());

    public SenderClient? Authenticate(string clientId, string secret)
    {
        // Hash even for unknown clients so the answer takes the same time either way.
        var presented = Hash(secret);
        var known = _clients.GetValueOrDefault(clientId);
        var expected = known?.SecretSha256 ?? new byte[32];
        return CryptographicOperations.FixedTimeEquals(presented, expected) && known is not null ? WithGrants(known) : null;
    }

    public SenderClient? Find(string clientId) => _clients.GetValueOrDefault(clientId) is { } known ? WithGrants(known) : null;

    // Municipality files admit registered clients to their destinations (Tenancy/Onboarding); the grants follow the running configuration.
    private SenderClient WithGrants(SenderClient client) =>
        _tenants?.SenderGrants(client.ClientId) is { Count: > 0 } grants
            ? client with { Destinations = client.Destinations.Concat(grants).ToHashSet() }
            : client;

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
