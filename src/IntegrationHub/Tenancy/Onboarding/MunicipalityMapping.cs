using IntegrationHub.OnceOnly;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Tenancy.Onboarding;

/// <summary>
/// Turns a validated municipality file into what the running hub uses (<see cref="OnboardedMunicipality"/>): tenant
/// options, the file's own targets with their credentials resolved, and the sender clients it admits.
/// </summary>
public static class MunicipalityMapping
{
    /// <summary>
    /// The hub-wide name of a target the file defines: "{ars}.{name}", so "prosoz" of two municipalities are two targets.
    /// A name the file does not define refers to a shared target of the hub's settings (Hub:Targets) as it is.
    /// </summary>
    public static string TargetName(string ars, string name) => $"{ars}.{name}";

    /// <summary>Where a target kind's single credential goes in its settings.</summary>
    public static string CredentialSetting(string kind) => kind switch
    {
        TargetKinds.Prosoz => nameof(TargetOptions.CallbackSecret),
        TargetKinds.Marius => "Mailbox:ApiKey",
        _ => "ApiKey",
    };

    /// <summary>
    /// Maps the file. <paramref name="resolveCredential"/> turns a reference (see <see cref="MunicipalityCredentials"/>) into
    /// the secret, or null when it cannot; it is asked only for references inside the municipality's namespace. The names
    /// of unresolved references are returned, and the target goes without that credential or option.
    /// </summary>
    public static (OnboardedMunicipality Municipality, IReadOnlyList<string> Unresolved) ToOnboarded(
        MunicipalityFile file, int version, Func<string, string?> resolveCredential)
    {
        var unresolved = new List<string>();
        string? Credential(string reference) => MunicipalityCredentials.IsAllowed(file.Ars, reference) ? resolveCredential(reference) : null;
        string Resolve(string name) => file.Targets.ContainsKey(name) ? TargetName(file.Ars, name) : name;

        var tenant = new TenantOptions
        {
            Ars = file.Ars,
            Name = file.Name,
            Dms = file.Dms is { } dms ? Resolve(dms) : null,
            Postbox = file.Postbox is { } postbox ? Resolve(postbox) : null,
            Aktenplan = [.. file.Aktenplan.Select(a => new AktenplanEntry { LeikaKey = a.LeikaKey, DocumentType = a.DocumentType, Key = a.Key, AkteTitle = a.AkteTitle })],
            PayloadRetention = file.Retention?.Payloads is { } payloads ? MunicipalityValidator.ParseDuration(payloads) : null,
            Evidence = new TenantEvidenceOptions
            {
                Providers = [.. file.Evidence.Select(e => new EvidenceProviderOptions { Type = e.Type, Target = Resolve(e.Target), LegalBases = [.. e.LegalBases] })],
                IncomeTolerancePercent = file.Evidence.FirstOrDefault(e => e.Type == EvidenceTypes.Einkommen)?.TolerancePercent is { } tolerance
                    && MunicipalityValidator.ParseTolerance(tolerance) is { } percent ? percent : TenantEvidenceOptions.DefaultIncomeTolerancePercent,
            },
        };
        foreach (var group in file.Services.GroupBy(s => Guid.Parse(s.Destination)))
            tenant.Destinations.Add(new DestinationOptions
            {
                Id = group.Key,
                Services = [.. group.Select(s => new ServiceOptions { LeikaKey = s.LeikaKey, Name = s.Name, SchemaUri = s.SchemaUri })],
            });
        tenant.Routes = [.. file.Services.Select(s => new RouteOptions { LeikaKey = s.LeikaKey, Targets = [.. s.Targets.Select(Resolve)], Checks = [.. s.Checks] })];

        var targets = new List<TargetEntry>();
        foreach (var (name, target) in file.Targets)
        {
            var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
            {
                [nameof(TargetOptions.Kind)] = target.Kind,
                [nameof(TargetOptions.BaseUrl)] = target.Endpoint,
            };
            // Adapter options as their settings name them ("mailbox.baseUrl" is the nested Mailbox:BaseUrl), references resolved
            // like credentials. Options never replace kind, address or a secret, nor name a file (validation refuses them;
            // a version stored before that rule is mapped without them).
            foreach (var (key, value) in target.Options)
            {
                if (MunicipalityTargetRules.IsReserved(key) || MunicipalityTargetRules.IsPath(key, value)) continue;
                if (!MunicipalityCredentials.IsReference(value)) settings[MunicipalityTargetRules.SettingKey(key)] = value;
                else if (Credential(value) is { } resolved) settings[MunicipalityTargetRules.SettingKey(key)] = resolved;
                else unresolved.Add($"targets.{name}.options.{key} ({value})");
            }
            if (target.Credentials is { } reference)
            {
                if (Credential(reference) is { } secret) settings[CredentialSetting(target.Kind)] = secret;
                else unresolved.Add($"targets.{name}.credentials ({reference})");
            }
            var section = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            var options = section.Get<TargetOptions>() ?? new TargetOptions();
            var qualified = TargetName(file.Ars, name);
            targets.Add(new TargetEntry(qualified, options, new RootSection(section, qualified)));
        }

        var grants = file.Senders
            .GroupBy(s => s.ClientId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Guid>)[.. g.SelectMany(s => s.Destinations).Select(Guid.Parse).Distinct()], StringComparer.Ordinal);
        return (new OnboardedMunicipality(tenant, targets, grants, version), unresolved);
    }

    /// <summary>Resolves the references of municipality <paramref name="ars"/> inside its own namespace (<see cref="MunicipalityCredentials"/>).</summary>
    public static Func<string, string?> CredentialResolver(IConfiguration configuration, string ars) => MunicipalityCredentials.Resolver(configuration, ars);

    // The adapters bind their options from a section; an in-memory root exposed as the target's section.
    private sealed class RootSection(IConfigurationRoot root, string key) : IConfigurationSection
    {
        public string? this[string k] { get => root[k]; set => root[k] = value; }
        public string Key => key;
        public string Path => $"{HubOptions.Section}:Targets:{key}";
        public string? Value { get => null; set { } }
        public IEnumerable<IConfigurationSection> GetChildren() => root.GetChildren();
        public Microsoft.Extensions.Primitives.IChangeToken GetReloadToken() => root.GetReloadToken();
        public IConfigurationSection GetSection(string k) => root.GetSection(k);
    }
}
