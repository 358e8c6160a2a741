using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using IntegrationHub.Tenancy.Onboarding.Workflow;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace IntegrationHub.Cli;

public sealed partial class Hubctl
{
    /// <summary>hubctl tenant: plan, apply, list, show, disable, enable, rollback.</summary>
    private IEnumerable<Command> TenantWorkflowCommands()
    {
        var planPath = new Argument<string>("path") { Description = "A municipality file (YAML) or a folder of them" };
        var plan = new Command("plan", "What applying the file(s) would change against the running hub (like a diff), and the keys it would generate") { planPath };
        plan.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var (single, files) = ReadFiles(r.GetValue(planPath)!);
            var body = single is not null ? await hub.PostAsync("municipalities/plan", single, ct)
                : await hub.PostAsync("municipalities/plan-batch", new JsonObject { ["files"] = files }, ct);
            if (json) Json(body);
            var plans = single is not null ? [HubClient.Read<PlanView>(body)] : HubClient.Read<PlanBatchView>(body).Plans;
            if (!json)
            {
                foreach (var p in plans) WritePlan(p);
                if (plans.Count > 1)
                    _console.WriteLine($"{plans.Count} files: {plans.Count(p => p.Kind == "new")} new, {plans.Count(p => p.Kind == "change")} changed, " +
                                       $"{plans.Count(p => p.Kind == "unchanged")} unchanged, {plans.Count(p => !p.Valid)} invalid.");
            }
            return plans.All(p => p.Valid) ? Ok : Refused;
        }));

        var applyPath = new Argument<string>("path") { Description = "A municipality file (YAML) or a folder of them" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate, plan and generate the keys, but store and activate nothing" };
        var apply = new Command("apply", "Applies the file(s): keys, a new version, activation without restart (admin)") { applyPath, dryRun };
        apply.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var (single, files) = ReadFiles(r.GetValue(applyPath)!);
            var query = r.GetValue(dryRun) ? "?dryRun=true" : "";
            var body = single is not null ? await hub.PostAsync("municipalities/apply" + query, single, ct)
                : await hub.PostAsync("municipalities/apply-batch" + query, new JsonObject { ["files"] = files }, ct);
            if (json) return Json(body);
            if (single is not null) WriteApplied(HubClient.Read<ApplyView>(body), verbose: true);
            else
            {
                var batch = HubClient.Read<ApplyBatchView>(body);
                foreach (var m in batch.Municipalities) WriteApplied(m, verbose: batch.Count <= 20);
                _console.WriteLine(batch.DryRun
                    ? FormattableString.Invariant($"Dry run: {batch.Count} files checked, nothing stored or activated, in {batch.Seconds:0.0} s (key generation {batch.KeySeconds:0.0} s).")
                    : FormattableString.Invariant($"Applied {batch.Applied} of {batch.Count} municipalities ({batch.Unchanged} unchanged) in {batch.Seconds:0.0} s (key generation {batch.KeySeconds:0.0} s)."));
            }
            return Ok;
        }));

        var list = new Command("list", "Every municipality: source (settings or file), state, version, who applied it when, services, last smoke test");
        list.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var body = await hub.GetAsync("municipalities", ct);
            if (json) return Json(body);
            var items = HubClient.Read<List<MunicipalitySummary>>(body);
            _console.Write(Table(["ARS", "Name", "Source", "State", "Version", "Applied by", "Applied at", "Services", "Last smoke test"],
                items.Select(m => new[]
                {
                    m.Ars, m.Name, m.Source, m.State + (m.DisabledReason is { } reason ? $" ({reason})" : ""), m.Version?.ToString(CultureInfo.InvariantCulture),
                    m.AppliedBy, Utc(m.AppliedAt), m.Services.ToString(CultureInfo.InvariantCulture),
                    m.LastSmokeTest is { } s ? $"{s.Outcome} {Utc(s.StartedAt)}" : null,
                })));
            _console.WriteLine($"{items.Count} municipalities.");
            return Ok;
        }));

        var showArs = new Argument<string>("ars") { Description = "The municipality's ARS (12 digits)" };
        var showVersion = new Option<int?>("--version") { Description = "Print this applied version's file instead" };
        var show = new Command("show", "One municipality: destinations and their keys, targets, versions, the active file") { showArs, showVersion };
        show.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var ars = Ars(r.GetValue(showArs)!);
            if (r.GetValue(showVersion) is { } version)
            {
                var versionBody = await hub.GetAsync($"municipalities/{ars}/versions/{version.ToString(CultureInfo.InvariantCulture)}", ct);
                if (json) return Json(versionBody);
                var v = HubClient.Read<VersionContentView>(versionBody);
                _console.Profile.Out.Writer.WriteLine($"# {v.Ars} version {v.Version} ({v.Action} by {v.AppliedBy} at {Utc(v.AppliedAt)}, sha256 {v.Sha256})");
                _console.Profile.Out.Writer.Write(v.Content);
                return Ok;
            }
            var body = await hub.GetAsync($"municipalities/{ars}", ct);
            if (json) return Json(body);
            WriteDetail(HubClient.Read<MunicipalityDetail>(body));
            return Ok;
        }));

        var disableArs = new Argument<string>("ars") { Description = "The municipality's ARS" };
        var reason = new Option<string>("--reason") { Description = "Why intake stops (shown to operators)", Required = true };
        var disable = new Command("disable", "Stops intake: new submissions get the problem municipality-disabled; work in flight completes (admin)") { disableArs, reason };
        disable.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var body = await hub.PostAsync($"municipalities/{Ars(r.GetValue(disableArs)!)}/disable", new JsonObject { ["reason"] = r.GetValue(reason) }, ct);
            if (json) return Json(body);
            var m = HubClient.Read<MunicipalitySummary>(body);
            _console.WriteLine($"{m.Ars} {m.Name} is {m.State}: {m.DisabledReason}");
            return Ok;
        }));

        var enableArs = new Argument<string>("ars") { Description = "The municipality's ARS" };
        var enable = new Command("enable", "Takes intake again (admin)") { enableArs };
        enable.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var body = await hub.PostAsync($"municipalities/{Ars(r.GetValue(enableArs)!)}/enable", new JsonObject(), ct);
            if (json) return Json(body);
            var m = HubClient.Read<MunicipalitySummary>(body);
            _console.WriteLine($"{m.Ars} {m.Name} is {m.State}.");
            return Ok;
        }));

        var rollbackArs = new Argument<string>("ars") { Description = "The municipality's ARS" };
        var to = new Option<int?>("--to") { Description = "The version to go back to (default: the previous one)" };
        var rollback = new Command("rollback", "Applies the previous version (or --to N) again, as a new version (admin)") { rollbackArs, to };
        rollback.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var body = await hub.PostAsync($"municipalities/{Ars(r.GetValue(rollbackArs)!)}/rollback", new JsonObject { ["toVersion"] = r.GetValue(to) }, ct);
            if (json) return Json(body);
            WriteApplied(HubClient.Read<ApplyView>(body), verbose: true);
            return Ok;
        }));

        return [plan, apply, list, show, disable, enable, rollback];
    }

    /// <summary>One file as {name, content}, or every *.yaml / *.yml of a folder.</summary>
    private static (JsonObject? Single, JsonArray? Files) ReadFiles(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                var paths = Directory.EnumerateFiles(path).Where(p => p.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal).ToList();
                if (paths.Count == 0) throw new UsageException($"{path} holds no municipality files (*.yaml, *.yml).");
                return (null, new JsonArray([.. paths.Select(p => (JsonNode)FileBody(p))]));
            }
            return (FileBody(path), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"Cannot read {path}: {e.Message}");
        }
    }

    private static JsonObject FileBody(string path) => new() { ["name"] = Path.GetFileName(path), ["content"] = File.ReadAllText(path) };

    private static string Ars(string ars) =>
        ars.Length == 12 && ars.All(char.IsAsciiDigit) ? ars : throw new UsageException($"'{ars}' is not an ARS; expected 12 digits.");

    private void WritePlan(PlanView p)
    {
        var output = _console.Profile.Out.Writer;
        var what = p.Kind switch { "new" => "new municipality", "unchanged" => "unchanged", _ => $"changes against version {p.ActiveVersion}" };
        output.WriteLine($"{p.File ?? p.Ars}: {p.Ars} {p.Name} ({what})");
        foreach (var f in p.Findings) output.WriteLine($"  {p.File ?? "file"}:{f.Line}:{f.Column}: {f.Severity} {f.Code}: {f.Message}");
        foreach (var change in p.Changes) output.WriteLine($"  {change}");
        foreach (var key in p.Keys) output.WriteLine($"  * generates {key}");
        output.WriteLine($"  Plan: {(p.Valid ? p.Summary : "invalid, nothing would be applied")}.");
    }

    private void WriteApplied(ApplyView a, bool verbose)
    {
        var output = _console.Profile.Out.Writer;
        var verb = a.Action == "rollback" ? "Rolled back" : "Applied";
        output.WriteLine(a.Outcome switch
        {
            ApplyView.Unchanged => $"{a.Ars} {a.Name}: unchanged (version {a.Version}), nothing applied.",
            ApplyView.DryRun => $"{a.Ars} {a.Name}: dry run, {a.Changes.Count} change{(a.Changes.Count == 1 ? "" : "s")} would be applied; nothing stored or activated.",
            _ => $"{verb} {a.Ars} {a.Name}: version {a.Version} (sha256 {a.Sha256}), active now.",
        });
        if (!verbose) return;
        foreach (var f in a.Warnings) output.WriteLine($"  {a.File ?? "file"}:{f.Line}:{f.Column}: {f.Severity} {f.Code}: {f.Message}");
        foreach (var change in a.Changes) output.WriteLine($"  {change}");
        foreach (var key in a.Keys) output.WriteLine($"  key {key.Kind} {key.Id}: {key.Kid}");
    }

    private void WriteDetail(MunicipalityDetail d)
    {
        var m = d.Municipality;
        _console.WriteLine($"{m.Ars} {m.Name} ({m.Source}, {m.State}{(m.DisabledReason is { } r ? $": {r}" : "")})");
        if (m.Version is { } v) _console.WriteLine($"Version {v}, applied by {m.AppliedBy} at {Utc(m.AppliedAt)}.");
        if (m.LastSmokeTest is { } s) _console.WriteLine($"Last smoke test: {s.Outcome} at {Utc(s.StartedAt)}.");
        _console.Write(Table(["Destination", "Encryption kid", "Service", "Targets"],
            d.Destinations.SelectMany(dest => dest.Services.Select(sv => new[] { dest.Id.ToString(), dest.EncryptionKid, $"{sv.LeikaKey} {sv.Name}", string.Join(", ", sv.Targets) }))));
        if (d.Targets.Count > 0)
            _console.Write(Table(["Target", "Kind", "Endpoint"], d.Targets.Select(t => new[] { t.Name, t.Kind, t.Endpoint })));
        if (d.Dms is not null || d.Postbox is not null) _console.WriteLine($"DMS: {d.Dms ?? "-"}, postbox: {d.Postbox ?? "-"}");
        if (d.Versions.Count > 0)
            _console.Write(Table(["Version", "Action", "By", "At", "SHA-256"],
                d.Versions.Select(x => new[] { x.Version.ToString(CultureInfo.InvariantCulture), x.Action, x.AppliedBy, Utc(x.AppliedAt), x.Sha256 })));
    }

    // Values as text, never markup: names may contain [brackets].
    private static Table Table(string[] columns, IEnumerable<string?[]> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns) table.AddColumn(new TableColumn(new Text(column)));
        foreach (var row in rows) table.AddRow(row.Select(v => (IRenderable)new Text(v ?? "")).ToArray());
        return table;
    }

    private static string Utc(DateTimeOffset? at) => at?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";
}
