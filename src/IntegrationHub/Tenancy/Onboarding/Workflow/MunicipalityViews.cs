using IntegrationHub.Problems;

namespace IntegrationHub.Tenancy.Onboarding.Workflow;

/// <summary>A municipality file as sent to the hub: its name (for messages) and its YAML content.</summary>
public sealed record MunicipalityFileInput(string? Name = null, string? Content = null);

/// <summary>Several municipality files applied or planned together (e.g. a folder).</summary>
public sealed record MunicipalityBatchInput(IReadOnlyList<MunicipalityFileInput>? Files = null);

public sealed record RollbackInput(int? ToVersion = null);

public sealed record DisableInput(string? Reason = null);

public sealed record FindingView(int Line, int Column, string Severity, string Code, string Message)
{
    public static FindingView Of(MunicipalityFinding f) =>
        new(f.Line, f.Column, f.Severity == FindingSeverity.Error ? "error" : "warning", f.Code, f.Message);
}

/// <summary>What applying the file would change: kind new|change|unchanged, the changes, the keys apply generates, findings.</summary>
public sealed record PlanView(
    string? File, string Ars, string Name, string Kind, int? ActiveVersion, bool Valid,
    IReadOnlyList<PlanChange> Changes, IReadOnlyList<string> Keys, IReadOnlyList<FindingView> Findings, string Summary);

public sealed record PlanBatchView(int Count, int Valid, IReadOnlyList<PlanView> Plans);

/// <summary>A key the hub holds for the municipality (generated on first apply): destination-key or signing-certificate.</summary>
public sealed record KeyView(string Kind, string Id, string Kid);

/// <summary>The outcome of an apply or rollback: applied (a new version), unchanged (no new version) or dry-run (nothing stored).</summary>
public sealed record ApplyView(
    string? File, string Ars, string Name, string Outcome, string Action, int? Version, string Sha256,
    IReadOnlyList<PlanChange> Changes, IReadOnlyList<KeyView> Keys, IReadOnlyList<FindingView> Warnings)
{
    public const string Applied = "applied", Unchanged = "unchanged", DryRun = "dry-run";
}

/// <summary>A batch apply: how many were applied, and how long it took, of which key generation.</summary>
public sealed record ApplyBatchView(int Count, int Applied, int Unchanged, bool DryRun, double Seconds, double KeySeconds, IReadOnlyList<ApplyView> Municipalities);

public sealed record SmokeTestSummary(string Outcome, DateTimeOffset StartedAt);

/// <summary>One municipality of the directory: from the settings or a file, its state, version and last smoke test.</summary>
public sealed record MunicipalitySummary(
    string Ars, string Name, string Source, string State, string? DisabledReason, int? Version,
    string? AppliedBy, DateTimeOffset? AppliedAt, int Services, SmokeTestSummary? LastSmokeTest)
{
    public const string FromSettings = "settings", FromFile = "file";
}

public sealed record ServiceView(string LeikaKey, string Name, IReadOnlyList<string> Targets);

public sealed record DestinationView(Guid Id, string EncryptionKid, IReadOnlyList<ServiceView> Services);

public sealed record TargetView(string Name, string Kind, string Endpoint);

public sealed record VersionView(int Version, string Action, string AppliedBy, DateTimeOffset AppliedAt, string Sha256);

public sealed record MunicipalityDetail(
    MunicipalitySummary Municipality, string? Dms, string? Postbox, IReadOnlyList<DestinationView> Destinations,
    IReadOnlyList<TargetView> Targets, IReadOnlyList<VersionView> Versions, string? Content);

public sealed record VersionContentView(string Ars, int Version, string Action, string AppliedBy, DateTimeOffset AppliedAt, string Sha256, string? Plan, string Content);

/// <summary>A refusal that carries details beyond type and detail (findings, unresolved references) as problem extensions.</summary>
public sealed class MunicipalityRefusedException(ProblemType type, string detail, IDictionary<string, object?> extensions) : Exception(detail)
{
    public ProblemType Type { get; } = type;
    public IDictionary<string, object?> Extensions { get; } = extensions;
}
