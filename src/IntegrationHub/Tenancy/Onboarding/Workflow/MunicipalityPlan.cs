using System.Globalization;

namespace IntegrationHub.Tenancy.Onboarding.Workflow;

/// <summary>
/// One change a file makes against the running configuration. <paramref name="Op"/> is add, change or remove;
/// <paramref name="Item"/> marks a whole entry (a service, a target, …) rather than one value.
/// </summary>
public sealed record PlanChange(string Op, string Path, string? Old, string? New, bool Item = false)
{
    public const string Add = "add", Change = "change", Remove = "remove";

    /// <summary>A diff line: "+ services[99107004017000] Wohngeld …", "~ targets.prosoz.endpoint: a → b", "- aktenplan[…] …".</summary>
    public override string ToString() => Op switch
    {
        Add => $"+ {Path}{(Item ? " " : ": ")}{New}",
        Remove => $"- {Path}{(Item ? " " : ": ")}{Old}",
        _ => $"~ {Path}: {Old ?? "(none)"} → {New ?? "(none)"}",
    };
}

/// <summary>
/// Compares two municipality files by stable identities, not list positions: services by LeiKa key, targets by name,
/// Aktenplan entries by LeiKa key and document type, senders by client id, evidence by type; other values by their path.
/// Reordering a list is no change.
/// </summary>
public static class MunicipalityPlanner
{
    public const string New = "new", Changed = "change", Unchanged = "unchanged";

    /// <summary>The changes from <paramref name="active"/> (null: a municipality not yet onboarded) to <paramref name="proposed"/>.</summary>
    public static IReadOnlyList<PlanChange> Compare(MunicipalityFile? active, MunicipalityFile proposed)
    {
        var changes = new List<PlanChange>();
        var (oldValues, oldItems) = active is null ? ([], []) : Flatten(active);
        var (newValues, newItems) = Flatten(proposed);

        foreach (var path in oldValues.Keys.Union(newValues.Keys).Distinct())
            Value(path, oldValues.GetValueOrDefault(path), newValues.GetValueOrDefault(path));

        foreach (var path in oldItems.Keys.Union(newItems.Keys).Distinct())
        {
            var before = oldItems.GetValueOrDefault(path);
            var after = newItems.GetValueOrDefault(path);
            if (before is null) changes.Add(new PlanChange(PlanChange.Add, path, null, after!.Summary, Item: true));
            else if (after is null) changes.Add(new PlanChange(PlanChange.Remove, path, before.Summary, null, Item: true));
            else
                foreach (var field in before.Fields.Keys.Union(after.Fields.Keys).Distinct())
                {
                    var (o, n) = (before.Fields.GetValueOrDefault(field), after.Fields.GetValueOrDefault(field));
                    if (o != n) changes.Add(new PlanChange(PlanChange.Change, $"{path}.{field}", o, n));
                }
        }
        return changes;

        void Value(string path, string? before, string? after)
        {
            if (before == after) return;
            changes.Add(before is null ? new PlanChange(PlanChange.Add, path, null, after)
                : after is null ? new PlanChange(PlanChange.Remove, path, before, null)
                : new PlanChange(PlanChange.Change, path, before, after));
        }
    }

    private sealed record Entry(string Summary, Dictionary<string, string?> Fields);

    private static (Dictionary<string, string?> Values, Dictionary<string, Entry> Items) Flatten(MunicipalityFile file)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["name"] = file.Name, ["ars"] = file.Ars, ["ags"] = file.Ags, ["district"] = file.District,
            ["contact.name"] = file.Contact?.Name, ["contact.email"] = file.Contact?.Email, ["contact.phone"] = file.Contact?.Phone,
            ["dms"] = file.Dms, ["postbox"] = file.Postbox, ["retention.payloads"] = file.Retention?.Payloads,
            ["keys.destinationKeyFile"] = file.Keys?.DestinationKeyFile, ["keys.signingCertificateFile"] = file.Keys?.SigningCertificateFile,
        };
        foreach (var key in values.Where(v => string.IsNullOrEmpty(v.Value)).Select(v => v.Key).ToList()) values.Remove(key);

        var items = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var s in file.Services)
            items.TryAdd($"services[{s.LeikaKey}]", new Entry(
                $"{(s.Name.Length > 0 ? s.Name : s.LeikaKey)} → {List(s.Targets)} (destination {s.Destination})",
                new() { ["name"] = s.Name, ["schemaUri"] = s.SchemaUri, ["destination"] = s.Destination, ["targets"] = List(s.Targets), ["checks"] = List(s.Checks) }));
        foreach (var (name, t) in file.Targets.OrderBy(t => t.Key, StringComparer.OrdinalIgnoreCase))
        {
            var fields = new Dictionary<string, string?> { ["kind"] = t.Kind, ["endpoint"] = t.Endpoint, ["credentials"] = t.Credentials };
            foreach (var (key, value) in t.Options) fields[$"options.{key}"] = value;
            items.TryAdd($"targets.{name}", new Entry($"{t.Kind} {t.Endpoint}", fields));
        }
        foreach (var a in file.Aktenplan)
            items.TryAdd($"aktenplan[{Or(a.LeikaKey)}/{Or(a.DocumentType)}]", new Entry($"{a.Key} {a.AkteTitle}".Trim(),
                new() { ["key"] = a.Key, ["akteTitle"] = a.AkteTitle }));
        foreach (var s in file.Senders)
            items.TryAdd($"senders[{s.ClientId}]", new Entry($"may submit to {List(s.Destinations)}", new() { ["destinations"] = List(s.Destinations) }));
        foreach (var e in file.Evidence)
            items.TryAdd($"evidence[{e.Type}]", new Entry($"from {e.Target} ({List(e.LegalBases)})",
                new() { ["target"] = e.Target, ["legalBases"] = List(e.LegalBases), ["tolerancePercent"] = e.TolerancePercent }));
        return (values, items);
    }

    // Lists compare as sets in their written order's sorted form: reordering is no change.
    private static string List(IEnumerable<string> values) => "[" + string.Join(", ", values.Order(StringComparer.Ordinal)) + "]";

    private static string Or(string value) => value.Length == 0 ? "*" : value;

    /// <summary>The summary line: "new municipality: 12 to add, 0 to change, 0 to remove; 3 keys to generate".</summary>
    public static string Summary(string kind, IReadOnlyCollection<PlanChange> changes, int keys)
    {
        var counts = string.Create(CultureInfo.InvariantCulture,
            $"{changes.Count(c => c.Op == PlanChange.Add)} to add, {changes.Count(c => c.Op == PlanChange.Change)} to change, {changes.Count(c => c.Op == PlanChange.Remove)} to remove");
        var what = kind switch { New => "new municipality", Unchanged => "no changes", _ => "changes" };
        return kind == Unchanged ? "no changes" : $"{what}: {counts}; {keys} key{(keys == 1 ? "" : "s")} to generate";
    }
}
