using Microsoft.Extensions.Options;

namespace IntegrationHub.Tenancy;

public sealed record DestinationEntry(TenantOptions Tenant, DestinationOptions Destination);

/// <summary>Looks up municipalities, destinations and routes; tenants are data, not code.</summary>
public sealed class TenantDirectory
{
    private readonly Dictionary<string, TenantOptions> _byArs;
    private readonly Dictionary<Guid, DestinationEntry> _byDestination;
    private readonly Dictionary<string, TargetOptions> _targets;

    public TenantDirectory(IOptions<HubOptions> options)
    {
        var hub = options.Value;
        var errors = Validate(hub).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException("The tenant configuration is invalid:\n- " + string.Join("\n- ", errors));
        _byArs = hub.Tenants.ToDictionary(t => t.Ars);
        _byDestination = hub.Tenants.SelectMany(t => t.Destinations.Select(d => new DestinationEntry(t, d))).ToDictionary(e => e.Destination.Id);
        _targets = hub.Targets;
    }

    public IReadOnlyCollection<TenantOptions> Tenants => _byArs.Values;

    public TenantOptions? FindTenant(string ars) => _byArs.GetValueOrDefault(ars);

    public DestinationEntry? FindDestination(Guid destinationId) => _byDestination.GetValueOrDefault(destinationId);

    public IReadOnlyList<string> TargetsFor(string ars, string leikaKey) =>
        FindTenant(ars)?.Routes.FirstOrDefault(r => r.LeikaKey == leikaKey)?.Targets ?? [];

    public TargetOptions Target(string name) =>
        _targets.TryGetValue(name, out var target) ? target : throw new InvalidOperationException($"Target '{name}' is not configured.");

    /// <summary>Checks made at start-up, so a broken configuration never takes traffic.</summary>
    public static IEnumerable<string> Validate(HubOptions hub)
    {
        var destinations = new HashSet<Guid>();
        var municipalities = new HashSet<string>();
        foreach (var tenant in hub.Tenants)
        {
            if (!municipalities.Add(tenant.Ars))
                yield return $"Tenant {tenant.Ars} is configured twice.";
            if (tenant.Ars.Length != 12 || !tenant.Ars.All(char.IsAsciiDigit))
                yield return $"Tenant '{tenant.Name}': ARS '{tenant.Ars}' must have 12 digits.";
            foreach (var destination in tenant.Destinations)
            {
                if (!destinations.Add(destination.Id))
                    yield return $"Destination {destination.Id} is configured twice.";
                foreach (var service in destination.Services)
                {
                    if (service.LeikaKey.Length != 14 || !service.LeikaKey.All(char.IsAsciiDigit))
                        yield return $"Tenant {tenant.Ars}: LeiKa key '{service.LeikaKey}' must have 14 digits.";
                    var route = tenant.Routes.FirstOrDefault(r => r.LeikaKey == service.LeikaKey);
                    if (route is null || route.Targets.Count == 0)
                        yield return $"Tenant {tenant.Ars}: service {service.LeikaKey} has no route to a target.";
                    else
                        foreach (var target in route.Targets.Where(t => !hub.Targets.ContainsKey(t)))
                            yield return $"Tenant {tenant.Ars}: route for {service.LeikaKey} names unknown target '{target}'.";
                }
            }
        }
    }
}
