using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Tenancy;

public sealed record DestinationEntry(TenantOptions Tenant, DestinationOptions Destination);

/// <summary>A target as the hub calls it: its options and its configuration section (for the adapter's own settings).</summary>
public sealed record TargetEntry(string Name, TargetOptions Options, IConfigurationSection Settings);

/// <summary>
/// A municipality onboarded from a file (see Tenancy/Onboarding): its tenant options, the targets the file defines (under
/// their hub-wide names, see <see cref="Onboarding.MunicipalityMapping.TargetName"/>) and the sender clients it admits.
/// </summary>
public sealed record OnboardedMunicipality(
    TenantOptions Tenant,
    IReadOnlyList<TargetEntry> Targets,
    IReadOnlyDictionary<string, IReadOnlyList<Guid>> SenderGrants,
    int Version);

/// <summary>
/// Looks up municipalities, destinations and routes; tenants are data, not code. Two sources: Hub:Tenants and
/// Hub:Targets from the settings (fixed at start-up), and municipalities onboarded from files (the ledger's active
/// versions), which <see cref="Activate"/> swaps in as a whole while the hub runs: a reader sees either the old or the
/// new configuration, never half of each. Disabled municipalities stay known (in-flight work completes) but take no intake.
/// </summary>
public sealed class TenantDirectory
{
    private readonly HubOptions _hub;
    private readonly IConfiguration _configuration;
    private volatile Snapshot _current;

    public TenantDirectory(IOptions<HubOptions> options, IConfiguration? configuration = null)
    {
        _hub = options.Value;
        _configuration = configuration ?? new ConfigurationBuilder().Build();
        var errors = Validate(_hub).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException("The tenant configuration is invalid:\n- " + string.Join("\n- ", errors));
        _current = Build([], new HashSet<string>(StringComparer.Ordinal), 0);
    }

    /// <summary>Raised after <see cref="Activate"/> swapped in a new configuration (e.g. to publish new destinations).</summary>
    public event Action? Changed;

    /// <summary>Counts activations; 0 until the first.</summary>
    public long Generation => _current.Generation;

    public IReadOnlyCollection<TenantOptions> Tenants => _current.ByArs.Values;

    public TenantOptions? FindTenant(string ars) => _current.ByArs.GetValueOrDefault(ars);

    public DestinationEntry? FindDestination(Guid destinationId) => _current.ByDestination.GetValueOrDefault(destinationId);

    /// <summary>True for a municipality an operator disabled: no new submissions; what is in flight completes.</summary>
    public bool IsDisabled(string ars) => _current.Disabled.Contains(ars);

    /// <summary>True when the municipality comes from a file (and may be changed, rolled back, …); false for Hub:Tenants.</summary>
    public bool IsOnboarded(string ars) => _current.Onboarded.ContainsKey(ars);

    /// <summary>The onboarded municipality's active version, or null.</summary>
    public OnboardedMunicipality? Onboarded(string ars) => _current.Onboarded.GetValueOrDefault(ars);

    public IReadOnlyList<string> TargetsFor(string ars, string leikaKey) =>
        FindTenant(ars)?.Routes.FirstOrDefault(r => r.LeikaKey == leikaKey)?.Targets ?? [];

    public IReadOnlyCollection<string> TargetNames => _current.Targets.Keys;

    public IEnumerable<TargetEntry> TargetsOfKind(string kind) =>
        _current.Targets.Values.Where(t => string.Equals(t.Options.Kind, kind, StringComparison.OrdinalIgnoreCase));

    public TargetEntry? FindTarget(string name) => _current.Targets.GetValueOrDefault(name);

    /// <summary>
    /// The municipality (ARS) whose file defines the target, or null for a shared target of the hub's settings
    /// (Hub:Targets). A municipality's own target carries its credentials: only its own deliveries go there.
    /// </summary>
    public string? TargetMunicipality(string name)
    {
        var snapshot = _current;
        if (_hub.Targets.ContainsKey(name) || !snapshot.Targets.TryGetValue(name, out var target)) return null;
        return snapshot.Onboarded.Values.FirstOrDefault(m => m.Targets.Any(t => ReferenceEquals(t, target)))?.Tenant.Ars;
    }

    /// <summary>The targets a delivery of one of <paramref name="who"/>'s municipalities may be redirected to: shared ones and theirs.</summary>
    public IEnumerable<string> RedirectTargetsFor(Operations.Operator who) =>
        TargetNames.Where(t => TargetMunicipality(t) is not { } owner || who.Covers(owner));

    public TargetOptions Target(string name) =>
        FindTarget(name)?.Options ?? throw new InvalidOperationException($"Target '{name}' is not configured.");

    /// <summary>The target's configuration section (Hub:Targets:{name}, or the file's target with its resolved credentials).</summary>
    public IConfigurationSection TargetSettings(string name) =>
        FindTarget(name)?.Settings ?? _configuration.GetSection($"{HubOptions.Section}:Targets:{name}");

    /// <summary>Destinations the municipality files admit this sender client to (beyond Hub:Senders).</summary>
    public IReadOnlyCollection<Guid> SenderGrants(string clientId) => _current.Grants.GetValueOrDefault(clientId) ?? [];

    /// <summary>Swaps in the onboarded municipalities and the disabled set as one new configuration.</summary>
    public void Activate(IReadOnlyList<OnboardedMunicipality> onboarded, IReadOnlySet<string> disabled)
    {
        lock (_hub)
            _current = Build(onboarded, disabled, _current.Generation + 1);
        Changed?.Invoke();
    }

    private Snapshot Build(IReadOnlyList<OnboardedMunicipality> onboarded, IReadOnlySet<string> disabled, long generation)
    {
        // A municipality in the settings wins over a file for the same ARS (the onboarding refuses such files anyway).
        var byArs = _hub.Tenants.ToDictionary(t => t.Ars, StringComparer.Ordinal);
        var files = new Dictionary<string, OnboardedMunicipality>(StringComparer.Ordinal);
        foreach (var municipality in onboarded.Where(m => !byArs.ContainsKey(m.Tenant.Ars)))
        {
            files[municipality.Tenant.Ars] = municipality;
            byArs[municipality.Tenant.Ars] = municipality.Tenant;
        }
        var byDestination = new Dictionary<Guid, DestinationEntry>();
        foreach (var tenant in byArs.Values)
            foreach (var destination in tenant.Destinations)
                byDestination.TryAdd(destination.Id, new DestinationEntry(tenant, destination));

        var targets = new Dictionary<string, TargetEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, options) in _hub.Targets)
            targets[name] = new TargetEntry(name, options, _configuration.GetSection($"{HubOptions.Section}:Targets:{name}"));
        foreach (var target in files.Values.SelectMany(m => m.Targets))
            targets.TryAdd(target.Name, target);

        var grants = new Dictionary<string, IReadOnlyCollection<Guid>>(StringComparer.Ordinal);
        foreach (var (clientId, destinations) in files.Values.SelectMany(m => m.SenderGrants))
            grants[clientId] = [.. (grants.GetValueOrDefault(clientId) ?? []).Concat(destinations).Distinct()];

        return new Snapshot(byArs, byDestination, targets, files, grants, new HashSet<string>(disabled, StringComparer.Ordinal), generation);
    }

    private sealed record Snapshot(
        Dictionary<string, TenantOptions> ByArs,
        IReadOnlyDictionary<Guid, DestinationEntry> ByDestination,
        Dictionary<string, TargetEntry> Targets,
        IReadOnlyDictionary<string, OnboardedMunicipality> Onboarded,
        IReadOnlyDictionary<string, IReadOnlyCollection<Guid>> Grants,
        IReadOnlySet<string> Disabled,
        long Generation);

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
