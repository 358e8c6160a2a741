using System.Text;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static IntegrationHub.Operations.Console.ConsoleHtml;
using static IntegrationHub.Operations.Console.OperationsConsole;

namespace IntegrationHub.Operations.Console;

/// <summary>Failed-message groups, a group's messages, one message in full, the retry batches and edits.</summary>
internal static class FailedMessagePages
{
    private const int PageSize = 100;
    private static readonly IReadOnlyList<FailedMessageStatus> Open = [FailedMessageStatus.Unresolved, FailedMessageStatus.RetryIssued];

    public static void Map(RouteGroupBuilder ops)
    {
        ops.MapGet("/failed", View(GroupsAsync));
        ops.MapGet("/failed/group", View(GroupAsync));
        ops.MapGet("/failed/{id:guid}", View(DetailAsync));
        ops.MapGet("/batches", View(BatchesAsync));
        ops.MapGet("/batches/{id:guid}", View(BatchAsync));
        ops.MapPost("/failed/actions", Act(ActAsync)).RequireAuthorization(Access.OperatorAuthentication.OperatorPolicy);
        ops.MapPost("/failed/{id:guid}/edits", Act(ProposeEditAsync)).RequireAuthorization(Access.OperatorAuthentication.OperatorPolicy);
        ops.MapPost("/edits/{id:guid}/approve", Act(ApproveEditAsync)).RequireAuthorization(Access.OperatorAuthentication.OperatorPolicy);
        ops.MapPost("/edits/{id:guid}/reject", Act(RejectEditAsync)).RequireAuthorization(Access.OperatorAuthentication.OperatorPolicy);
    }

    private static FailureGrouping Grouping(HttpContext context) =>
        Enum.TryParse<FailureGrouping>(context.Request.Query["by"].ToString(), ignoreCase: true, out var by) ? by : FailureGrouping.Fingerprint;

    /// <summary>The filter that selects one group's messages in the given grouping.</summary>
    private static FailedMessageFilter GroupFilter(FailureGrouping by, string key, IReadOnlyList<FailedMessageStatus>? statuses) => by switch
    {
        FailureGrouping.MessageType => new(MessageType: key, Statuses: statuses),
        FailureGrouping.Endpoint => new(Endpoint: key, Statuses: statuses),
        FailureGrouping.Municipality => new(Ars: key, Statuses: statuses),
        FailureGrouping.Target => new(Target: key, Statuses: statuses),
        _ => new(Group: key, Statuses: statuses),
    };

    private static IReadOnlyList<FailedMessageStatus>? Statuses(HttpContext context) => context.Request.Query["status"].ToString() switch
    {
        "all" => null,
        var s when Enum.TryParse<FailedMessageStatus>(s, ignoreCase: true, out var one) => [one],
        _ => Open,
    };

    private static async Task<IResult> GroupsAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var store = context.FailedMessages();
        var by = Grouping(context);
        var status = context.Request.Query["status"].ToString();
        var groups = await store.GroupsAsync(who, by, new FailedMessageFilter(Statuses: Statuses(context)), ct);
        var running = await store.BatchesAsync(who, runningOnly: true, ct);
        var html = new StringBuilder();
        html.Append(Notice(context.Request.Query["done"]));
        html.Append("<form method=\"get\" action=\"/ops/failed\" class=\"actions\"><div><label for=\"by\">Group by</label><select id=\"by\" name=\"by\">");
        foreach (var g in Enum.GetValues<FailureGrouping>()) html.Append($"<option{(g == by ? " selected" : "")}>{g}</option>");
        html.Append("</select></div><div><label for=\"status\">Status</label><select id=\"status\" name=\"status\">");
        foreach (var (value, label) in new[] { ("", "Unresolved and retry issued"), ("Unresolved", "Unresolved"), ("RetryIssued", "Retry issued"), ("Resolved", "Resolved"), ("Archived", "Archived"), ("all", "All") })
            html.Append($"<option value=\"{value}\"{(value == status ? " selected" : "")}>{label}</option>");
        html.Append("</select></div><div><label>&nbsp;</label><button type=\"submit\" class=\"secondary\">Show</button></div></form>");

        if (running.Count > 0)
        {
            html.Append("<h2>Running retries</h2>");
            BatchTable(html, running);
        }
        html.Append($"<h2>Groups</h2><table id=\"groups\"><caption>{groups.Count} groups by {E(by)}</caption><thead><tr><th scope=\"col\">Group</th><th scope=\"col\">Exception</th><th scope=\"col\" class=\"num\">Messages</th><th scope=\"col\" class=\"num\">Unresolved</th><th scope=\"col\" class=\"num\">Retry issued</th><th scope=\"col\">First failure</th><th scope=\"col\">Last failure</th>");
        if (who.MayAct) html.Append("<th scope=\"col\">Actions</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var g in groups)
        {
            html.Append($"<tr data-group=\"{E(g.Key)}\"><td><a href=\"/ops/failed/group?by={by}&amp;key={U(g.Key)}&amp;status={U(status)}\">{E(g.Title)}</a></td><td>{E(g.ExceptionType)}</td>");
            html.Append($"<td class=\"num count\">{g.Count}</td><td class=\"num unresolved\">{g.Unresolved}</td><td class=\"num\">{g.RetryIssued}</td><td>{Time(g.FirstFailedAt)}</td><td>{Time(g.LastFailedAt)}</td>");
            if (who.MayAct)
            {
                var fields = new Dictionary<string, string?> { ["by"] = by.ToString(), ["key"] = g.Key, ["back"] = "/ops/failed" };
                html.Append("<td class=\"actions\">");
                if (g.Unresolved > 0) html.Append(Form(context, "/ops/failed/actions", "Retry group", With(fields, "retry")));
                if (g.Unresolved > 0) html.Append(Form(context, "/ops/failed/actions", "Archive group", With(fields, "archive"), "secondary"));
                html.Append("</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        if (groups.Count == 0) html.Append("<p id=\"no-groups\">No failed messages here.</p>");
        return Page(context, who, "Failed messages", html.ToString(), refreshSeconds: running.Count > 0 ? 2 : null);
    }

    private static Dictionary<string, string?> With(Dictionary<string, string?> fields, string action) => new(fields) { ["action"] = action };

    private static async Task<IResult> GroupAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var by = Grouping(context);
        var key = context.Request.Query["key"].ToString();
        var status = context.Request.Query["status"].ToString();
        var offset = int.TryParse(context.Request.Query["offset"], out var o) ? Math.Max(0, o) : 0;
        var page = await context.FailedMessages().ListAsync(who, GroupFilter(by, key, Statuses(context)), offset, PageSize, ct);
        var self = $"/ops/failed/group?by={by}&key={U(key)}&status={U(status)}";
        var html = new StringBuilder();
        html.Append(Notice(context.Request.Query["done"]));
        html.Append($"<p>Group by {E(by)}: <code>{E(key)}</code>. <a href=\"/ops/failed\">All groups</a></p>");
        if (who.MayAct)
        {
            html.Append($"<form method=\"post\" action=\"/ops/failed/actions\">{Token(context)}<input type=\"hidden\" name=\"back\" value=\"{E(self)}\">");
            MessageTable(html, page.Items, selectable: true);
            // A redirect sends the retried deliveries to another configured target of the same kind (the store checks the kind):
            // shared targets and those of the operator's own municipalities are offered, never another municipality's.
            var targets = context.RequestServices.GetRequiredService<TenantDirectory>().RedirectTargetsFor(who).Order();
            html.Append("<div><label for=\"redirectTo\">Retry to (optional)</label><select id=\"redirectTo\" name=\"redirectTo\"><option value=\"\">each message's own target</option>");
            foreach (var target in targets) html.Append($"<option value=\"{E(target)}\">{E(target)}</option>");
            html.Append("</select></div>");
            html.Append("<div class=\"actions\"><button type=\"submit\" name=\"action\" value=\"retry\">Retry selected</button>");
            html.Append("<button type=\"submit\" name=\"action\" value=\"archive\" class=\"secondary\">Archive selected</button>");
            html.Append("<button type=\"submit\" name=\"action\" value=\"restore\" class=\"secondary\">Restore selected</button></div></form>");
        }
        else MessageTable(html, page.Items, selectable: false);
        html.Append($"<p class=\"muted\">{page.Total} messages.</p>");
        ConsolePages.Pager(html, self, offset, PageSize, page.Total);
        return Page(context, who, "Failed messages in a group", html.ToString());
    }

    internal static void MessageTable(StringBuilder html, IReadOnlyList<FailedMessageSummary> items, bool selectable)
    {
        html.Append("<table id=\"messages\"><caption>Failed messages</caption><thead><tr>");
        if (selectable) html.Append("<th scope=\"col\"><span class=\"muted\">Select</span></th>");
        html.Append("<th scope=\"col\">Message</th><th scope=\"col\">Endpoint</th><th scope=\"col\">Municipality</th><th scope=\"col\">Target</th><th scope=\"col\">Submission</th><th scope=\"col\">Exception</th><th scope=\"col\" class=\"num\">Failures</th><th scope=\"col\">Last failure</th><th scope=\"col\">Status</th></tr></thead><tbody>");
        foreach (var m in items)
        {
            html.Append("<tr>");
            if (selectable) html.Append($"<td><input type=\"checkbox\" name=\"id\" value=\"{m.Id}\" id=\"select-{m.Id}\" aria-label=\"Select message {m.Id}\"></td>");
            html.Append($"<td><a href=\"/ops/failed/{m.Id}\">{E(m.MessageType)}</a></td><td>{E(m.Endpoint)}</td><td>{E(m.Ars)}</td><td>{E(m.Target)}</td>");
            html.Append($"<td>{(m.SubmissionId is { } s ? $"<a href=\"/ops/submissions/{s}\">{s}</a>" : "–")}</td>");
            html.Append($"<td>{E(m.ExceptionType)}<br><span class=\"muted\">{Masked(m.ExceptionMessage)}</span></td><td class=\"num\">{m.FailureCount}</td><td>{Time(m.LastFailedAt)}</td><td class=\"status-{m.Status}\">{E(m.Status)}</td></tr>");
        }
        html.Append("</tbody></table>");
    }

    private static async Task<IResult> DetailAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var id = Guid.Parse((string)context.Request.RouteValues["id"]!);
        var detail = await context.FailedMessages().GetAsync(who, id, ct);
        if (detail is null)
            return Page(context, who, "Failed message not found", Problem("No such failed message", "It does not exist, was removed after its retention period, or belongs to a municipality you do not see."), StatusCodes.Status404NotFound);
        var m = detail.Summary;
        var html = new StringBuilder();
        html.Append(Notice(context.Request.Query["done"]));
        html.Append("<table><caption>Failed message</caption><tbody>");
        ConsolePages.Row(html, "Id", E(m.Id));
        ConsolePages.Row(html, "Status", $"<span class=\"status-{m.Status}\" id=\"status\">{E(m.Status)}</span>");
        ConsolePages.Row(html, "Message type", E(m.MessageType));
        ConsolePages.Row(html, "Endpoint", E(m.Endpoint));
        ConsolePages.Row(html, "Consumer", E(detail.Consumer));
        ConsolePages.Row(html, "Municipality (ARS)", E(m.Ars));
        ConsolePages.Row(html, "Target", E(m.Target));
        ConsolePages.Row(html, "Submission", m.SubmissionId is { } s ? $"<a href=\"/ops/submissions/{s}\">{s}</a>" : "–");
        ConsolePages.Row(html, "Group (fingerprint)", $"<a href=\"/ops/failed/group?by=Fingerprint&amp;key={U(m.Fingerprint)}\"><code>{E(m.Fingerprint)}</code></a>");
        ConsolePages.Row(html, "Failures", $"{m.FailureCount} (first {Time(m.FirstFailedAt)}, last {Time(m.LastFailedAt)})");
        ConsolePages.Row(html, "Exception", E(m.ExceptionType));
        ConsolePages.Row(html, "Exception message", Masked(m.ExceptionMessage));
        html.Append("</tbody></table>");

        if (who.MayAct)
        {
            var fields = new Dictionary<string, string?> { ["id"] = m.Id.ToString(), ["back"] = $"/ops/failed/{m.Id}" };
            html.Append("<div class=\"actions\">");
            if (m.Status is FailedMessageStatus.Unresolved) html.Append(Form(context, "/ops/failed/actions", "Retry", With(fields, "retry")));
            if (m.Status is FailedMessageStatus.Unresolved) html.Append(Form(context, "/ops/failed/actions", "Archive", With(fields, "archive"), "secondary"));
            if (m.Status is FailedMessageStatus.Archived) html.Append(Form(context, "/ops/failed/actions", "Restore", With(fields, "restore"), "secondary"));
            html.Append("</div>");
        }

        html.Append("<h2>Stack trace</h2>");
        html.Append(detail.StackTrace is { Length: > 0 } stack ? $"<pre>{E(stack)}</pre>" : "<p class=\"muted\">None recorded.</p>");
        html.Append("<h2>History</h2><table><caption>What happened to this message</caption><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Action</th><th scope=\"col\">By</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
        foreach (var e in detail.History) html.Append($"<tr><td>{Time(e.At)}</td><td>{E(e.Action)}</td><td>{E(e.Actor ?? "hub")}</td><td>{E(e.Detail)}</td></tr>");
        html.Append("</tbody></table>");

        html.Append("<h2>Headers</h2>");
        if (detail.Masked) html.Append("<p class=\"muted\" id=\"masked-note\">Values shown as ••• are hidden for your role (social data).</p>");
        html.Append("<table id=\"headers\"><caption>Original headers</caption><thead><tr><th scope=\"col\">Header</th><th scope=\"col\">Value</th></tr></thead><tbody>");
        foreach (var (name, value) in detail.Headers.OrderBy(h => h.Key, StringComparer.Ordinal)) html.Append($"<tr><td>{E(name)}</td><td>{Masked(value)}</td></tr>");
        html.Append("</tbody></table>");
        html.Append($"<h2>Body</h2><pre id=\"body\">{E(detail.Body)}</pre>");

        html.Append("<h2>Edits</h2>");
        if (detail.Edits.Count == 0) html.Append("<p class=\"muted\">No edits.</p>");
        var edits = context.Edits();
        foreach (var edit in detail.Edits) EditBlock(html, context, who, edit, edits is not null);
        if (edits is not null && who.SeesSocialData && m.Status is FailedMessageStatus.Unresolved && m.SubmissionId is not null)
        {
            html.Append($"""
                <h3>Propose an edit</h3>
                <form method="post" action="/ops/failed/{m.Id}/edits">{Token(context)}
                <label for="editedXml">Corrected application XML</label><textarea id="editedXml" name="editedXml"></textarea>
                <label for="reason">Reason</label><input type="text" id="reason" name="reason" required>
                <p><button type="submit">Propose edit</button> <span class="muted">A second operator must approve it before it is retried.</span></p>
                </form>
                """);
        }
        return Page(context, who, $"Failed message {m.MessageType}", html.ToString());
    }

    private static void EditBlock(StringBuilder html, HttpContext context, Operator who, MessageEditView edit, bool editsOn)
    {
        html.Append($"<section class=\"edit\"><p>Proposed by {E(edit.ProposedBy)} at {Time(edit.ProposedAt)}: {E(edit.Reason)}. Status <strong>{E(edit.Status)}</strong>");
        if (edit.DecidedBy is not null) html.Append($", decided by {E(edit.DecidedBy)} at {Time(edit.DecidedAt)}{(edit.DecisionNote is null ? "" : $" ({E(edit.DecisionNote)})")}");
        html.Append(".</p>");
        if (edit.OriginalXml is not null) html.Append($"<details><summary>Original XML</summary><pre>{E(edit.OriginalXml)}</pre></details>");
        if (edit.EditedXml is not null) html.Append($"<details><summary>Edited XML</summary><pre>{E(edit.EditedXml)}</pre></details>");
        if (edit.EditedHeaders is { Count: > 0 } headers)
            html.Append($"<p>Edited headers: {string.Join(", ", headers.Select(h => $"{E(h.Key)} = {Masked(h.Value)}"))}</p>");
        // The proposer cannot approve their own edit: the button is only offered to someone else.
        if (editsOn && who.MayAct && edit.Status == MessageEditStatus.Proposed
            && !Edits.MessageEdits.IsProposer(who, edit.ProposedBy, edit.ProposedById))
        {
            html.Append("<div class=\"actions\">");
            html.Append(Form(context, $"/ops/edits/{edit.Id}/approve", "Approve and retry", [new("back", $"/ops/failed/{edit.FailedMessageId}")]));
            html.Append($"<form method=\"post\" action=\"/ops/edits/{edit.Id}/reject\" class=\"inline\">{Token(context)}<input type=\"hidden\" name=\"back\" value=\"/ops/failed/{edit.FailedMessageId}\">");
            html.Append($"<label for=\"note-{edit.Id}\">Reason for rejecting</label><input type=\"text\" id=\"note-{edit.Id}\" name=\"note\" required> <button type=\"submit\" class=\"secondary\">Reject</button></form>");
            html.Append("</div>");
        }
        html.Append("</section>");
    }

    private static async Task<IResult> ActAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var form = await context.Request.ReadFormAsync(ct);
        var back = LocalBack(form["back"].ToString());
        FailedMessageSelection selection;
        string what;
        if (form["key"].ToString() is { Length: > 0 } key)
        {
            var by = Enum.TryParse<FailureGrouping>(form["by"].ToString(), true, out var b) ? b : FailureGrouping.Fingerprint;
            var action = form["action"].ToString();
            // A group's retry and archive take its unresolved messages; restore takes its archived ones.
            selection = new(Filter: GroupFilter(by, key, [action == "restore" ? FailedMessageStatus.Archived : FailedMessageStatus.Unresolved]));
            what = "group";
        }
        else
        {
            var ids = form["id"].Select(v => Guid.TryParse(v, out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty).Distinct().ToList();
            if (ids.Count == 0)
                return Page(context, who, "Nothing selected", Problem("No messages were selected.", "Tick at least one message, then choose an action.") + $"<p><a href=\"{E(back)}\">Back</a></p>", StatusCodes.Status400BadRequest);
            selection = new(ids);
            what = ids.Count == 1 ? "message" : $"{ids.Count} messages";
        }
        var store = context.FailedMessages();
        switch (form["action"].ToString())
        {
            case "retry":
                var redirectTo = form["redirectTo"].ToString() is { Length: > 0 } to ? to : null;
                var batch = await store.RetryAsync(who, selection, redirectTo, ct);
                return Results.Redirect($"/ops/batches/{batch.Id}");
            case "archive":
                var archived = await store.ArchiveAsync(who, selection, ct);
                return Results.Redirect(WithDone(back, $"Archived {archived} ({what})."));
            case "restore":
                var restored = await store.RestoreAsync(who, selection, ct);
                return Results.Redirect(WithDone(back, $"Restored {restored} ({what})."));
            default:
                return Page(context, who, "Unknown action", Problem("Unknown action.", "Choose retry, archive or restore."), StatusCodes.Status400BadRequest);
        }
    }

    private static async Task<IResult> ProposeEditAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var edits = context.Edits() ?? throw new ConsoleUnavailableException("Edit and retry is switched off (Hub:Operations:EditAndRetry:Enabled).");
        var id = Guid.Parse((string)context.Request.RouteValues["id"]!);
        var form = await context.Request.ReadFormAsync(ct);
        var xml = form["editedXml"].ToString();
        await edits.ProposeAsync(who, id, xml.Length == 0 ? null : xml, null, form["reason"].ToString(), ct);
        return Results.Redirect(WithDone($"/ops/failed/{id}", "Edit proposed; it needs a second operator's approval."));
    }

    private static async Task<IResult> ApproveEditAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var edits = context.Edits() ?? throw new ConsoleUnavailableException("Edit and retry is switched off (Hub:Operations:EditAndRetry:Enabled).");
        var edit = await edits.ApproveAsync(who, Guid.Parse((string)context.Request.RouteValues["id"]!), ct);
        return Results.Redirect(WithDone($"/ops/failed/{edit.FailedMessageId}", "Edit approved; the message is retried with it."));
    }

    private static async Task<IResult> RejectEditAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var edits = context.Edits() ?? throw new ConsoleUnavailableException("Edit and retry is switched off (Hub:Operations:EditAndRetry:Enabled).");
        var form = await context.Request.ReadFormAsync(ct);
        var edit = await edits.RejectAsync(who, Guid.Parse((string)context.Request.RouteValues["id"]!), form["note"].ToString(), ct);
        return Results.Redirect(WithDone($"/ops/failed/{edit.FailedMessageId}", "Edit rejected."));
    }

    private static string LocalBack(string back) =>
        back.StartsWith("/ops/", StringComparison.Ordinal) && !back.StartsWith("//", StringComparison.Ordinal) && !back.Contains('\\') ? back : "/ops/failed";

    private static string WithDone(string url, string done) => $"{url}{(url.Contains('?') ? '&' : '?')}done={U(done)}";

    private static async Task<IResult> BatchesAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var batches = await context.FailedMessages().BatchesAsync(who, runningOnly: false, ct);
        var html = new StringBuilder();
        if (batches.Count == 0) html.Append("<p class=\"muted\">No retries yet.</p>");
        else BatchTable(html, batches);
        return Page(context, who, "Retry batches", html.ToString(), refreshSeconds: batches.Any(b => b.Status == RetryBatchStatus.Running) ? 2 : null);
    }

    private static void BatchTable(StringBuilder html, IReadOnlyList<RetryBatchView> batches)
    {
        html.Append("<table id=\"batches\"><caption>Retry batches, newest first</caption><thead><tr><th scope=\"col\">Started</th><th scope=\"col\">By</th><th scope=\"col\">Selection</th><th scope=\"col\">Progress</th><th scope=\"col\" class=\"num\">Pending</th><th scope=\"col\">Status</th></tr></thead><tbody>");
        foreach (var b in batches.OrderByDescending(b => b.CreatedAt))
            html.Append($"<tr><td><a href=\"/ops/batches/{b.Id}\">{Time(b.CreatedAt)}</a></td><td>{E(b.RequestedBy)}</td><td>{E(b.Selection)}{(b.RedirectTo is null ? "" : $" → {E(b.RedirectTo)}")}</td><td>{Progress(b)}</td><td class=\"num\">{b.Pending}</td><td class=\"status-{b.Status}\">{E(b.Status)}</td></tr>");
        html.Append("</tbody></table>");
    }

    private static async Task<IResult> BatchAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var batch = await context.FailedMessages().GetBatchAsync(who, Guid.Parse((string)context.Request.RouteValues["id"]!), ct);
        if (batch is null) return Page(context, who, "Retry batch not found", Problem("No such retry batch", null), StatusCodes.Status404NotFound);
        var html = new StringBuilder();
        html.Append("<table><caption>Retry batch</caption><tbody>");
        ConsolePages.Row(html, "Started", $"{Time(batch.CreatedAt)} by {E(batch.RequestedBy)}");
        ConsolePages.Row(html, "Selection", E(batch.Selection) + (batch.RedirectTo is null ? "" : $" → {E(batch.RedirectTo)}"));
        ConsolePages.Row(html, "Progress", Progress(batch));
        ConsolePages.Row(html, "Pending", $"<span id=\"pending\">{batch.Pending}</span>");
        ConsolePages.Row(html, "Status", $"<span class=\"status-{batch.Status}\" id=\"batch-status\">{E(batch.Status)}</span>");
        ConsolePages.Row(html, "Completed", Time(batch.CompletedAt));
        html.Append("</tbody></table>");
        if (batch.Error is not null) html.Append(Problem("The batch stopped.", batch.Error));
        if (batch.Status == RetryBatchStatus.Running) html.Append("<p class=\"muted\">This page refreshes every 2 seconds while the batch runs.</p>");
        html.Append("<p><a href=\"/ops/failed\">Back to the failed messages</a></p>");
        return Page(context, who, "Retry batch", html.ToString(), refreshSeconds: batch.Status == RetryBatchStatus.Running ? 2 : null);
    }
}
