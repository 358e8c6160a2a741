using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Problems;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Tenancy.Onboarding.Workflow;

/// <summary>
/// The onboarding workflow on the ledger: validate and plan a file against the running hub, apply it (keys, a new version,
/// the audit, activation without restart), roll back, disable and enable, list and show. Municipalities of the settings
/// (Hub:Tenants) can only be disabled and enabled. Operators act only on municipalities they cover.
/// </summary>
public sealed class MunicipalityRegistry(
    HubDbContext db,
    TenantDirectory tenants,
    KeyStore keys,
    KeyRotation.DestinationKeyRing keyRing,
    MunicipalityActivation activation,
    IOperatorAudit audit,
    IConfiguration configuration,
    IOptions<HubOptions> hub)
{
    public const string ApplyAction = "apply", RollbackAction = "rollback";

    private sealed record Prepared(
        MunicipalityFileInput Input, string Content, MunicipalityFile? File, List<MunicipalityFinding> Findings,
        MunicipalityRecord? Row, MunicipalityVersion? Active)
    {
        public bool Valid => File is not null && Findings.All(f => f.Severity != FindingSeverity.Error);
        public string Ars => File?.Ars ?? "";
    }

    // ----- validate and plan -----

    public async Task<IReadOnlyList<FindingView>> ValidateAsync(Operator who, MunicipalityFileInput input, CancellationToken ct)
    {
        var prepared = await PrepareAsync(who, [input], ct);
        return [.. prepared[0].Findings.Select(FindingView.Of)];
    }

    public async Task<PlanView> PlanAsync(Operator who, MunicipalityFileInput input, CancellationToken ct) =>
        (await PlanAsync(who, [input], ct)).Plans[0];

    public async Task<PlanBatchView> PlanAsync(Operator who, IReadOnlyList<MunicipalityFileInput> inputs, CancellationToken ct)
    {
        var plans = (await PrepareAsync(who, inputs, ct)).Select(Plan).ToList();
        return new PlanBatchView(plans.Count, plans.Count(p => p.Valid), plans);
    }

    private PlanView Plan(Prepared p)
    {
        var findings = p.Findings.Select(FindingView.Of).ToList();
        if (p.File is null)
            return new PlanView(p.Input.Name, "", "", MunicipalityPlanner.New, null, false, [], [], findings, "the file cannot be read");
        var changes = MunicipalityPlanner.Compare(ActiveFile(p), p.File);
        var kind = p.Active is null ? MunicipalityPlanner.New : changes.Count == 0 || Sha256(p.Content) == p.Active.ContentSha256
            ? MunicipalityPlanner.Unchanged : MunicipalityPlanner.Changed;
        if (kind == MunicipalityPlanner.Unchanged) changes = [];
        var newKeys = NewKeys(p);
        return new PlanView(p.Input.Name, p.File.Ars, p.File.Name, kind, p.Active?.Version, p.Valid, changes, newKeys, findings,
            MunicipalityPlanner.Summary(kind, changes, newKeys.Count));
    }

    /// <summary>The keys apply generates: for destinations the hub does not host yet, and the signing certificate of a new municipality.</summary>
    private List<string> NewKeys(Prepared p)
    {
        var list = new List<string>();
        if (p.File is null) return list;
        if (p.Active is null && tenants.FindTenant(p.File.Ars) is null) list.Add($"signing certificate for {p.File.Ars}");
        foreach (var destination in Destinations(p.File).Where(d => tenants.FindDestination(d) is null))
            list.Add($"destination key for {destination} (RSA-{hub.Value.Keys.DestinationKeyBits})");
        return list;
    }

    // ----- apply and rollback -----

    public async Task<ApplyView> ApplyAsync(Operator who, MunicipalityFileInput input, bool dryRun, CancellationToken ct) =>
        (await ApplyAsync(who, [input], dryRun, ct)).Municipalities[0];

    public async Task<ApplyBatchView> ApplyAsync(Operator who, IReadOnlyList<MunicipalityFileInput> inputs, bool dryRun, CancellationToken ct) =>
        await ApplyAllAsync(who, await PrepareAsync(who, inputs, ct), dryRun, ApplyAction, ct);

    /// <summary>Applies the previous version's content (or <paramref name="toVersion"/>'s) again, as a new version.</summary>
    public async Task<ApplyView> RollbackAsync(Operator who, string ars, int? toVersion, CancellationToken ct)
    {
        Guard(who, ars);
        var row = await db.Municipalities.AsNoTracking().SingleOrDefaultAsync(m => m.Ars == ars, ct);
        if (row is null || row.ActiveVersion == 0)
            throw new OperationRefusedException(ProblemTypes.MunicipalityNotFound, $"No municipality {ars} onboarded from a file.");
        var version = toVersion ?? row.ActiveVersion - 1;
        if (toVersion is null && version < 1)
            throw new OperationRefusedException(ProblemTypes.MunicipalityNoPreviousVersion, $"Municipality {ars} has only version {row.ActiveVersion}.");
        var stored = await db.MunicipalityVersions.AsNoTracking().SingleOrDefaultAsync(v => v.Ars == ars && v.Version == version, ct)
            ?? throw new OperationRefusedException(ProblemTypes.MunicipalityVersionNotFound, $"Municipality {ars} has no version {version}.");
        var prepared = await PrepareAsync(who, [new MunicipalityFileInput($"{ars} version {version}", stored.Content)], ct);
        return (await ApplyAllAsync(who, prepared, dryRun: false, RollbackAction, ct)).Municipalities[0];
    }

    private async Task<ApplyBatchView> ApplyAllAsync(Operator who, IReadOnlyList<Prepared> items, bool dryRun, string action, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        RefuseInvalid(items);

        var unresolved = items
            .SelectMany(p => MunicipalityMapping.ToOnboarded(p.File!, 0, MunicipalityMapping.CredentialResolver(configuration, p.Ars)).Unresolved
                .Select(u => items.Count == 1 ? u : $"{p.Input.Name ?? p.Ars}: {u}"))
            .ToList();
        if (unresolved.Count > 0)
            throw new MunicipalityRefusedException(ProblemTypes.MunicipalityCredentialsUnresolved,
                $"The hub cannot resolve these credential references (set Hub:Secrets:{{ARS}}:NAME or the environment variable HUB_MUNICIPALITY_{{ARS}}_NAME): {string.Join("; ", unresolved)}.",
                new Dictionary<string, object?> { ["references"] = unresolved });

        // Keys first, in parallel (RSA-4096 takes about a second each): what is activated can be used at once.
        var keyClock = Stopwatch.StartNew();
        var generated = await EnsureKeysAsync(items, ct);
        var keySeconds = keyClock.Elapsed.TotalSeconds;

        var views = new List<ApplyView>();
        var toStore = new List<(Prepared Item, string Sha, IReadOnlyList<PlanChange> Changes)>();
        foreach (var p in items)
        {
            var sha = Sha256(p.Content);
            var changes = MunicipalityPlanner.Compare(ActiveFile(p), p.File!);
            var warnings = p.Findings.Select(FindingView.Of).ToList();
            var itemKeys = generated.Where(k => k.Owner == p.Ars).Select(k => k.Key).ToList();
            if (p.Active is not null && p.Active.ContentSha256 == sha)
                views.Add(new ApplyView(p.Input.Name, p.Ars, p.File!.Name, ApplyView.Unchanged, action, p.Active.Version, sha, [], itemKeys, warnings));
            else
            {
                toStore.Add((p, sha, changes));
                views.Add(new ApplyView(p.Input.Name, p.Ars, p.File!.Name, dryRun ? ApplyView.DryRun : ApplyView.Applied, action,
                    dryRun ? null : (p.Active?.Version ?? 0) + 1, sha, changes, itemKeys, warnings));
            }
        }

        if (!dryRun && toStore.Count > 0)
        {
            var now = Now();
            var arsList = toStore.Select(s => s.Item.Ars).ToList();
            var latest = await db.MunicipalityVersions.AsNoTracking().Where(v => arsList.Contains(v.Ars))
                .GroupBy(v => v.Ars).Select(g => new { Ars = g.Key, Version = g.Max(v => v.Version) }).ToListAsync(ct);
            foreach (var (p, sha, changes) in toStore)
            {
                var version = (latest.FirstOrDefault(l => l.Ars == p.Ars)?.Version ?? 0) + 1;
                db.MunicipalityVersions.Add(new MunicipalityVersion
                {
                    Ars = p.Ars, Version = version, Content = p.Content, ContentSha256 = sha, Action = action,
                    AppliedBy = who.Name, AppliedAt = now, Plan = string.Join("\n", changes),
                });
                var row = p.Row;
                if (row is null)
                    db.Municipalities.Add(row = new MunicipalityRecord { Ars = p.Ars, State = MunicipalityState.Active });
                row.Name = p.File!.Name;
                row.ActiveVersion = version;
                row.UpdatedBy = who.Name;
                row.UpdatedAt = now;
                var index = views.FindIndex(v => v.Ars == p.Ars);
                views[index] = views[index] with { Version = version };
            }
            await SaveAsync(ct);
            foreach (var view in views.Where(v => v.Outcome == ApplyView.Applied))
                await audit.WriteAsync(who, $"municipality-{action}", view.Ars, 1, $"version {view.Version}, sha256 {view.Sha256}", ct);
            await activation.ReloadAsync(CancellationToken.None);
        }
        return new ApplyBatchView(items.Count, dryRun ? 0 : toStore.Count, items.Count - toStore.Count, dryRun,
            Math.Round(clock.Elapsed.TotalSeconds, 2), Math.Round(keySeconds, 2), views);
    }

    private static void RefuseInvalid(IReadOnlyList<Prepared> items)
    {
        var invalid = items.Where(p => !p.Valid).ToList();
        if (invalid.Count == 0) return;
        var errors = invalid.SelectMany(p => p.Findings.Where(f => f.Severity == FindingSeverity.Error).Select(f => (p, f))).ToList();
        var first = string.Join("; ", errors.Take(5).Select(e => $"{(items.Count > 1 ? (e.p.Input.Name ?? e.p.Ars) + ":" : "line ")}{e.f.Line}:{e.f.Column} {e.f.Code}"));
        var detail = $"{errors.Count} error{(errors.Count == 1 ? "" : "s")}{(items.Count > 1 ? $" in {invalid.Count} of {items.Count} files" : "")}: {first}{(errors.Count > 5 ? "; …" : "")}.";
        var extensions = items.Count == 1
            ? new Dictionary<string, object?> { ["findings"] = items[0].Findings.Select(FindingView.Of).ToList() }
            : new Dictionary<string, object?>
            {
                ["files"] = invalid.Select(p => new { name = p.Input.Name, ars = p.Ars, findings = p.Findings.Select(FindingView.Of).ToList() }).ToList(),
            };
        throw new MunicipalityRefusedException(ProblemTypes.MunicipalityInvalid, detail, extensions);
    }

    private async Task<List<(string Owner, KeyView Key)>> EnsureKeysAsync(IReadOnlyList<Prepared> items, CancellationToken ct)
    {
        var work = items.SelectMany(p => Destinations(p.File!).Select(d => (Owner: p.Ars, Destination: (Guid?)d)).Prepend((p.Ars, null))).ToList();
        var result = new List<(string, KeyView)>();
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, (item, _) =>
        {
            // KeyStore makes each key once, stores its private part encrypted and publishes the public part (destination API).
            var key = item.Destination is { } id
                ? new KeyView("destination-key", id.ToString(), keys.DestinationKey(id).Kid)
                : new KeyView("signing-certificate", item.Owner, keys.SigningCertificate(item.Owner).Thumbprint);
            lock (result) result.Add((item.Owner, key));
            return ValueTask.CompletedTask;
        });
        return [.. result.OrderBy(r => r.Item1, StringComparer.Ordinal).ThenBy(r => r.Item2.Kind).ThenBy(r => r.Item2.Id, StringComparer.Ordinal)];
    }

    // ----- disable and enable -----

    public Task<MunicipalitySummary> DisableAsync(Operator who, string ars, string reason, CancellationToken ct) =>
        SetStateAsync(who, ars, MunicipalityState.Disabled, reason, ct);

    public Task<MunicipalitySummary> EnableAsync(Operator who, string ars, CancellationToken ct) =>
        SetStateAsync(who, ars, MunicipalityState.Active, null, ct);

    private async Task<MunicipalitySummary> SetStateAsync(Operator who, string ars, MunicipalityState state, string? reason, CancellationToken ct)
    {
        if (!who.Covers(ars)) throw Forbidden(ars);
        var row = await db.Municipalities.SingleOrDefaultAsync(m => m.Ars == ars, ct);
        var tenant = tenants.FindTenant(ars);
        if (row is null && tenant is null) throw NotFound(ars);
        if (row is null)
            db.Municipalities.Add(row = new MunicipalityRecord { Ars = ars, Name = tenant!.Name, ActiveVersion = 0 });
        if (row.State != state || row.DisabledReason != reason || db.Entry(row).State == EntityState.Added)
        {
            row.State = state;
            row.DisabledReason = reason;
            row.UpdatedBy = who.Name;
            row.UpdatedAt = Now();
            await SaveAsync(ct);
            await audit.WriteAsync(who, state == MunicipalityState.Disabled ? "municipality-disable" : "municipality-enable", ars, 1, reason, ct);
            await activation.ReloadAsync(CancellationToken.None);
        }
        return (await ListAsync(who, ct)).Single(m => m.Ars == ars);
    }

    // ----- list and show -----

    public async Task<IReadOnlyList<MunicipalitySummary>> ListAsync(Operator who, CancellationToken ct)
    {
        var rows = await db.Municipalities.AsNoTracking().ToListAsync(ct);
        var versions = await db.MunicipalityVersions.AsNoTracking()
            .Select(v => new { v.Ars, v.Version, v.AppliedBy, v.AppliedAt }).ToListAsync(ct);
        var smoke = await db.SmokeTests.AsNoTracking().GroupBy(s => s.Ars)
            .Select(g => g.OrderByDescending(s => s.StartedAt).Select(s => new { s.Ars, s.Outcome, s.StartedAt }).First())
            .ToListAsync(ct);
        var settings = hub.Value.Tenants.Select(t => t.Ars).ToHashSet(StringComparer.Ordinal);

        var arsList = tenants.Tenants.Select(t => t.Ars).Union(rows.Select(r => r.Ars)).Where(who.Covers).Order(StringComparer.Ordinal);
        return [.. arsList.Select(ars =>
        {
            var tenant = tenants.FindTenant(ars);
            var row = rows.FirstOrDefault(r => r.Ars == ars);
            var version = row is { ActiveVersion: > 0 } ? versions.FirstOrDefault(v => v.Ars == ars && v.Version == row.ActiveVersion) : null;
            var last = smoke.FirstOrDefault(s => s.Ars == ars);
            return new MunicipalitySummary(ars, tenant?.Name ?? row!.Name, settings.Contains(ars) ? MunicipalitySummary.FromSettings : MunicipalitySummary.FromFile,
                tenants.IsDisabled(ars) || row?.State == MunicipalityState.Disabled ? "disabled" : "active", row?.DisabledReason,
                version?.Version, version?.AppliedBy, version?.AppliedAt,
                tenant?.Destinations.Sum(d => d.Services.Count) ?? 0,
                last is null ? null : new SmokeTestSummary(last.Outcome, last.StartedAt));
        })];
    }

    public async Task<MunicipalityDetail> ShowAsync(Operator who, string ars, CancellationToken ct)
    {
        if (!who.Covers(ars)) throw Forbidden(ars);
        var summary = (await ListAsync(who, ct)).FirstOrDefault(m => m.Ars == ars) ?? throw NotFound(ars);
        var tenant = tenants.FindTenant(ars);
        var destinations = new List<DestinationView>();
        // The kid the destination publishes now (after a key rotation, the current key's).
        foreach (var d in tenant?.Destinations ?? [])
            destinations.Add(new DestinationView(d.Id, (await keyRing.CurrentAsync(d.Id, ct)).Entry.Kid,
                [.. d.Services.Select(s => new ServiceView(s.LeikaKey, s.Name, tenants.TargetsFor(ars, s.LeikaKey)))]));
        var targets = tenants.Onboarded(ars)?.Targets.Select(t => new TargetView(t.Name, t.Options.Kind, t.Options.BaseUrl)).ToList() ?? [];
        var versions = await db.MunicipalityVersions.AsNoTracking().Where(v => v.Ars == ars).OrderByDescending(v => v.Version)
            .Select(v => new VersionView(v.Version, v.Action, v.AppliedBy, v.AppliedAt, v.ContentSha256)).ToListAsync(ct);
        var content = summary.Version is { } active
            ? await db.MunicipalityVersions.AsNoTracking().Where(v => v.Ars == ars && v.Version == active).Select(v => v.Content).SingleOrDefaultAsync(ct)
            : null;
        return new MunicipalityDetail(summary, tenant?.Dms, tenant?.Postbox, destinations, targets, versions, content);
    }

    public async Task<VersionContentView> VersionAsync(Operator who, string ars, int version, CancellationToken ct)
    {
        if (!who.Covers(ars)) throw Forbidden(ars);
        return await db.MunicipalityVersions.AsNoTracking().Where(v => v.Ars == ars && v.Version == version)
                   .Select(v => new VersionContentView(v.Ars, v.Version, v.Action, v.AppliedBy, v.AppliedAt, v.ContentSha256, v.Plan, v.Content))
                   .SingleOrDefaultAsync(ct)
               ?? throw new OperationRefusedException(ProblemTypes.MunicipalityVersionNotFound, $"Municipality {ars} has no version {version}.");
    }

    // ----- shared steps -----

    /// <summary>Reads and validates the files against the running hub (and each other), after the operator's checks.</summary>
    private async Task<List<Prepared>> PrepareAsync(Operator who, IReadOnlyList<MunicipalityFileInput> inputs, CancellationToken ct)
    {
        var read = inputs.Select(i => (Input: i, Result: MunicipalityFileReader.Parse(i.Content ?? ""))).ToList();
        foreach (var ars in read.Select(r => r.Result.File?.Ars).OfType<string>().Where(a => a.Length == 12 && a.All(char.IsAsciiDigit)).Distinct())
            Guard(who, ars);
        RefuseKeyFiles(read);

        var arsList = read.Select(r => r.Result.File?.Ars ?? "").Distinct().ToList();
        var rows = await db.Municipalities.Where(m => arsList.Contains(m.Ars)).ToListAsync(ct);
        var activeKeys = rows.Where(r => r.ActiveVersion > 0).Select(r => r.Ars + "/" + r.ActiveVersion).ToList();
        var actives = activeKeys.Count == 0 ? [] : await db.MunicipalityVersions.AsNoTracking()
            .Where(v => arsList.Contains(v.Ars)).ToListAsync(ct);
        actives = [.. actives.Where(v => activeKeys.Contains(v.Ars + "/" + v.Version))];

        // Destinations in use: in the directory (other municipalities) and in the other files of this batch.
        var batchDestinations = new List<(Guid Id, string Ars)>();
        foreach (var (_, result) in read)
            if (result.File is { } f)
                batchDestinations.AddRange(f.Services.Select(s => Guid.TryParse(s.Destination, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).Distinct().Select(id => (id, f.Ars)));
        var targets = hub.Value.Targets.ToDictionary(t => t.Key, t => t.Value.Kind, StringComparer.OrdinalIgnoreCase);
        // An admin who covers only some municipalities sends their targets only to the hosts the hub's settings allow.
        IReadOnlyCollection<string>? hosts = who.Municipalities is null
            ? null
            : configuration.GetSection(MunicipalityTargetRules.AllowedHostsSetting).Get<string[]>() ?? [];

        var prepared = new List<Prepared>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (input, result) in read)
        {
            var findings = result.Findings.ToList();
            var file = result.File;
            if (string.IsNullOrWhiteSpace(input.Content))
                findings = [MunicipalityFinding.Error(new FilePosition(1, 1), "missing-field", "The file is empty; send its YAML as content.")];
            if (file is not null)
            {
                var existing = new Dictionary<Guid, string>();
                foreach (var tenant in tenants.Tenants.Where(t => t.Ars != file.Ars))
                    foreach (var destination in tenant.Destinations) existing.TryAdd(destination.Id, tenant.Ars);
                foreach (var (id, owner) in batchDestinations.Where(d => d.Ars != file.Ars)) existing.TryAdd(id, owner);
                findings.AddRange(MunicipalityValidator.Validate(file, new MunicipalityValidationContext { ExistingDestinations = existing, ExistingTargets = targets, AllowedTargetHosts = hosts }));
                if (file.Ars.Length > 0 && !seen.Add(file.Ars))
                    findings.Add(MunicipalityFinding.Error(file.At("ars"), "duplicate-municipality", $"ars {file.Ars} is in more than one of the files; expected each municipality once."));
            }
            var row = rows.FirstOrDefault(r => r.Ars == file?.Ars);
            var active = actives.FirstOrDefault(v => v.Ars == file?.Ars);
            prepared.Add(new Prepared(input, input.Content ?? "", file, [.. findings.OrderBy(f => f.Line).ThenBy(f => f.Column)], row, active));
        }
        return prepared;
    }

    /// <summary>
    /// Key paths in a file sent over the API would make the hub read files of its own machine (any path, /dev/zero):
    /// refused as a whole; key files are checked offline (hubctl tenant validate), where they belong to the file's author.
    /// </summary>
    private static void RefuseKeyFiles(IReadOnlyList<(MunicipalityFileInput Input, MunicipalityReadResult Result)> read)
    {
        var paths = new List<(string? Name, MunicipalityFinding Finding)>();
        foreach (var (input, result) in read)
            foreach (var (key, value) in new[] { ("keys.destinationKeyFile", result.File?.Keys?.DestinationKeyFile), ("keys.signingCertificateFile", result.File?.Keys?.SigningCertificateFile) })
                if (value is not null)
                    paths.Add((input.Name, MunicipalityFinding.Error(result.File!.At(key, "keys"), "key-file-refused",
                        $"{key}: the hub reads no files named in a file sent to it; check key files offline with hubctl tenant validate and remove keys before plan or apply.")));
        if (paths.Count == 0) return;
        throw new MunicipalityRefusedException(ProblemTypes.MunicipalityKeyFilesRefused,
            $"The file names key files ({string.Join("; ", paths.Select(p => $"{(read.Count > 1 ? p.Name + ":" : "line ")}{p.Finding.Line}:{p.Finding.Column}"))}); " +
            "the hub reads no files of its machine for a file sent over the API. Check them offline with hubctl tenant validate, then remove keys: before plan or apply.",
            new Dictionary<string, object?> { ["findings"] = paths.Select(p => FindingView.Of(p.Finding)).ToList() });
    }

    /// <summary>The operator covers the municipality, and it is not one of the settings'.</summary>
    private void Guard(Operator who, string ars)
    {
        if (!who.Covers(ars)) throw Forbidden(ars);
        if (hub.Value.Tenants.Any(t => t.Ars == ars))
            throw new OperationRefusedException(ProblemTypes.MunicipalityInSettings,
                $"Municipality {ars} is configured in the hub's settings (Hub:Tenants); change it there, or remove it there before onboarding it by file. It can be disabled and enabled.");
    }

    private static MunicipalityFile? ActiveFile(Prepared p) => p.Active is null ? null : MunicipalityFileReader.Parse(p.Active.Content).File;

    private static IEnumerable<Guid> Destinations(MunicipalityFile file) =>
        file.Services.Select(s => Guid.TryParse(s.Destination, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).Distinct();

    private async Task SaveAsync(CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The concurrency token (UpdatedAt) or the unique (ARS, version): someone else changed it in between.
            db.ChangeTracker.Clear();
            throw new OperationRefusedException(ProblemTypes.MunicipalityChangedConcurrently,
                "Another change to this municipality was saved first; show it, plan again and apply again.");
        }
    }

    // PostgreSQL keeps microseconds: a stamp the ledger returns unchanged keeps the concurrency check exact.
    private static DateTimeOffset Now()
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }

    public static string Sha256(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    private static OperationRefusedException Forbidden(string ars) =>
        new(ProblemTypes.OperatorForbidden, $"This operator does not cover municipality {ars}.");

    private static OperationRefusedException NotFound(string ars) =>
        new(ProblemTypes.MunicipalityNotFound, $"No municipality {ars} in this hub.");
}
