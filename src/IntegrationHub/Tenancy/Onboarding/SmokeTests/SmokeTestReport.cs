using System.Text.Json;

namespace IntegrationHub.Tenancy.Onboarding.SmokeTests;

public static class SmokeTestOutcomes
{
    public const string Running = "running", Passed = "passed", Failed = "failed";
}

/// <summary>One step of one service's synthetic application: green (passed) or red with the reason.</summary>
/// <param name="Name">intake, validation, routing, or "{step} to {target}" for a delivery (e.g. "handover to prosoz").</param>
/// <param name="Target">The target of a delivery step.</param>
/// <param name="Detail">What happened: the submission id, the problem, the target's last error.</param>
public sealed record SmokeTestStep(string Name, bool Passed, string? Detail = null, string? Target = null);

/// <summary>One service of the municipality in a smoke test.</summary>
public sealed record SmokeTestServiceReport(string LeikaKey, string Name, Guid DestinationId, Guid? SubmissionId, IReadOnlyList<SmokeTestStep> Steps)
{
    public bool Passed => Steps.Count > 0 && Steps.All(s => s.Passed);
}

/// <summary>What SmokeTestRun.Report holds: the services' steps, and why the run itself failed (e.g. interrupted).</summary>
public sealed record SmokeTestReport(IReadOnlyList<SmokeTestServiceReport> Services, string? Problem = null)
{
    public static readonly SmokeTestReport Empty = new([]);
    // Stored as written; read tolerantly (a report of an older hub may have fewer or more members).
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static SmokeTestReport Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json) || json.TrimStart().StartsWith('[')) return Empty;
        try { return JsonSerializer.Deserialize<SmokeTestReport>(json, Json) ?? Empty; }
        catch (JsonException) { return Empty; }
    }
}

/// <summary>A smoke test as the API and the console show it.</summary>
public sealed record SmokeTestView(Guid Id, string Ars, string StartedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string Outcome,
    IReadOnlyList<SmokeTestServiceReport> Services, string? Problem)
{
    public bool Running => Outcome == SmokeTestOutcomes.Running;

    public static SmokeTestView Of(SmokeTestRun run)
    {
        var report = SmokeTestReport.Parse(run.Report);
        return new(run.Id, run.Ars, run.StartedBy, run.StartedAt, run.FinishedAt, run.Outcome, report.Services, report.Problem);
    }
}
