using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace IntegrationHub.Cli;

// What hubctl reads from the operations API (enums arrive as strings), and how it shows it to people.

public sealed record FailureGroup(string Key, string Title, string? ExceptionType, int Count, int Unresolved, int RetryIssued,
    DateTimeOffset FirstFailedAt, DateTimeOffset LastFailedAt);

public sealed record FailedMessageSummary(Guid Id, string MessageType, string Endpoint, string? Ars, string? Target, Guid? SubmissionId,
    string ExceptionType, string? ExceptionMessage, string Fingerprint, DateTimeOffset FirstFailedAt, DateTimeOffset LastFailedAt,
    int FailureCount, string Status);

public sealed record FailedMessageEvent(DateTimeOffset At, string Action, string? Actor, string? Detail);

public sealed record FailedMessageDetail(FailedMessageSummary Summary, string? Consumer, string? StackTrace, string Body,
    Dictionary<string, string> Headers, bool Masked, List<FailedMessageEvent> History);

public sealed record Page<T>(List<T> Items, int Total, int Offset, int Limit);

public sealed record RetryBatch(Guid Id, string RequestedBy, string Selection, string? RedirectTo, int Total, int Issued, int Skipped,
    string Status, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt)
{
    public bool Running => Status.Equals("running", StringComparison.OrdinalIgnoreCase);
    public int Done => Issued + Skipped;
}

public sealed record SubmissionMatch(Guid SubmissionId, Guid CaseId, string Ars, string ServiceName, string Status, string? CitizenStatus,
    List<string> Aktenzeichen, DateTimeOffset CreatedAt);

public sealed record TimelineEntry(DateTimeOffset At, string Step, string? Target, string? Detail);

public sealed record SubmissionView(SubmissionMatch Submission, List<TimelineEntry> Timeline, List<FailedMessageSummary> Failures, bool PayloadsDeleted);

internal static class Views
{
    public static Table Groups(IReadOnlyList<FailureGroup> groups) => Table(
        ["Key", "Group", "Exception", "Count", "Unresolved", "Retry issued", "Last failed"],
        groups.Select(g => new[] { g.Key, g.Title, g.ExceptionType, N(g.Count), N(g.Unresolved), N(g.RetryIssued), T(g.LastFailedAt) }));

    public static Table Messages(IReadOnlyList<FailedMessageSummary> messages) => Table(
        ["Id", "Status", "Message type", "Endpoint", "Municipality", "Target", "Exception", "Failures", "Last failed"],
        messages.Select(m => new[] { m.Id.ToString(), m.Status, m.MessageType, m.Endpoint, m.Ars, m.Target, m.ExceptionType, N(m.FailureCount), T(m.LastFailedAt) }));

    public static Table Batches(IReadOnlyList<RetryBatch> batches) => Table(
        ["Batch", "Status", "Requested by", "Selection", "Redirect to", "Total", "Issued", "Skipped", "Completed"],
        batches.Select(b => new[] { b.Id.ToString(), b.Status, b.RequestedBy, b.Selection, b.RedirectTo, N(b.Total), N(b.Issued), N(b.Skipped), T(b.CompletedAt) }));

    public static Table Matches(IReadOnlyList<SubmissionMatch> matches) => Table(
        ["Submission", "Case", "Municipality", "Service", "Status", "Citizen status", "Aktenzeichen", "Received"],
        matches.Select(m => new[] { m.SubmissionId.ToString(), m.CaseId.ToString(), m.Ars, m.ServiceName, m.Status, m.CitizenStatus,
            string.Join(", ", m.Aktenzeichen), T(m.CreatedAt) }));

    public static IEnumerable<IRenderable> Message(FailedMessageDetail detail)
    {
        var m = detail.Summary;
        yield return Facts(
            ("Id", m.Id.ToString()), ("Status", m.Status), ("Message type", m.MessageType), ("Endpoint", m.Endpoint), ("Consumer", detail.Consumer),
            ("Municipality", m.Ars), ("Target", m.Target), ("Submission", m.SubmissionId?.ToString()), ("Exception", m.ExceptionType),
            ("Message", m.ExceptionMessage), ("Fingerprint", m.Fingerprint), ("Failures", N(m.FailureCount)),
            ("First failed", T(m.FirstFailedAt)), ("Last failed", T(m.LastFailedAt)));
        if (!string.IsNullOrEmpty(detail.StackTrace))
            yield return new Panel(new Text(detail.StackTrace)) { Header = new PanelHeader("Stack trace") };
        if (detail.Headers.Count > 0)
            yield return Table(["Header", "Value"], detail.Headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => new[] { h.Key, h.Value }));
        yield return new Panel(new Text(detail.Body)) { Header = new PanelHeader(detail.Masked ? "Body (masked)" : "Body") };
        if (detail.History.Count > 0)
            yield return Table(["At", "Action", "By", "Detail"], detail.History.Select(e => new[] { T(e.At), e.Action, e.Actor, e.Detail }));
    }

    public static IEnumerable<IRenderable> Submission(SubmissionView view)
    {
        var s = view.Submission;
        yield return Facts(("Submission", s.SubmissionId.ToString()), ("Case", s.CaseId.ToString()), ("Municipality", s.Ars), ("Service", s.ServiceName),
            ("Status", s.Status), ("Citizen status", s.CitizenStatus), ("Aktenzeichen", string.Join(", ", s.Aktenzeichen)), ("Received", T(s.CreatedAt)),
            ("Payloads", view.PayloadsDeleted ? "deleted after the retention period" : "kept"));
        yield return Table(["At", "Step", "Target", "Detail"], view.Timeline.Select(e => new[] { T(e.At), e.Step, e.Target, e.Detail }));
        if (view.Failures.Count > 0) yield return Messages(view.Failures);
    }

    public static string Describe(RetryBatch batch) =>
        $"Retry batch {batch.Id} {batch.Status}: {batch.Issued} issued, {batch.Skipped} skipped (already succeeded) of {batch.Total}"
        + (batch.RedirectTo is null ? "." : $", redirected to {batch.RedirectTo}.");

    // Values are shown as text, never as markup: a target's error message may contain [brackets].
    private static Table Table(string[] columns, IEnumerable<string?[]> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns) table.AddColumn(new TableColumn(new Text(column)));
        foreach (var row in rows) table.AddRow(row.Select(v => (IRenderable)new Text(v ?? "")).ToArray());
        return table;
    }

    private static Grid Facts(params (string Name, string? Value)[] facts)
    {
        var grid = new Grid().AddColumn().AddColumn();
        foreach (var (name, value) in facts.Where(f => !string.IsNullOrEmpty(f.Value)))
            grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), new Text(value!));
        return grid;
    }

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
    private static string T(DateTimeOffset? at) => at?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";
}
