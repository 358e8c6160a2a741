using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Operations.Console.ConsoleHtml;
using static IntegrationHub.Operations.Console.OperationsConsole;

namespace IntegrationHub.Operations.Console;

/// <summary>The dashboard, the submission search with a submission's timeline, and the audit log.</summary>
internal static class ConsolePages
{
    public static void Map(RouteGroupBuilder ops)
    {
        ops.MapGet("", View(DashboardAsync));
        ops.MapGet("/submissions", View(SearchAsync));
        ops.MapGet("/submissions/{id:guid}", View(SubmissionAsync));
        ops.MapGet("/audit", View(AuditAsync));
    }

    private static async Task<IResult> DashboardAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var hours = int.TryParse(context.Request.Query["hours"], out var h) ? Math.Clamp(h, 1, 24 * 31) : 24;
        var to = DateTimeOffset.UtcNow;
        var overview = context.RequestServices.GetRequiredService<IOperationsOverview>();
        var d = await overview.DashboardAsync(who, to.AddHours(-hours), to, ct);
        var html = new StringBuilder();
        html.Append($"<form method=\"get\" action=\"/ops\"><label for=\"hours\">Window (hours)</label><select id=\"hours\" name=\"hours\">");
        foreach (var option in new[] { 1, 6, 24, 72, 168, 744 })
            html.Append($"<option value=\"{option}\"{(option == hours ? " selected" : "")}>{option}</option>");
        html.Append($"</select> <button type=\"submit\" class=\"secondary\">Show</button></form>");
        html.Append($"<p class=\"muted\">{Time(d.From)} to {Time(d.To)}{(who.Municipalities is { } ars ? $"; municipalities {E(string.Join(", ", ars))}" : "")}</p>");

        html.Append("<div class=\"figures\">");
        Figure(html, "Submissions", d.SubmissionsPerHour.Sum(c => c.Count));
        Figure(html, "Accepted", d.Accepted);
        Figure(html, "Rejected", d.Rejected);
        Figure(html, "In progress", d.InProgress);
        html.Append($"<div class=\"figure\"><a href=\"/ops/failed\">Unresolved failures</a><span class=\"value\" id=\"unresolved\">{d.UnresolvedFailures}</span></div>");
        html.Append($"<div class=\"figure\"><a href=\"/ops/batches\">Pending retries</a><span class=\"value\" id=\"pending-retries\">{d.PendingRetries}</span></div>");
        html.Append("</div>");

        html.Append("<h2>Throughput per hour</h2>");
        CountTable(html, "Submissions received per hour", "Hour", d.SubmissionsPerHour.Select(c => (Time(c.Hour), c.Count)).ToList());
        html.Append("<h2>Deliveries per target</h2>");
        CountTable(html, "Calls to targets created in the window", "Target", d.DeliveriesPerTarget.Select(c => (E(c.Key), c.Count)).ToList());
        html.Append("<h2>Deliveries per municipality</h2>");
        CountTable(html, "Calls to targets created in the window", "Municipality (ARS)", d.DeliveriesPerMunicipality.Select(c => (E(c.Key), c.Count)).ToList());
        html.Append("<h2>Failures by group over time</h2>");
        var max = d.FailuresPerGroupAndHour.Select(c => c.Count).DefaultIfEmpty(0).Max();
        if (d.FailuresPerGroupAndHour.Count == 0) html.Append("<p class=\"muted\">No failures in this window.</p>");
        else
        {
            html.Append("<table><caption>Failed messages by last failure, per group (fingerprint) and hour</caption><thead><tr><th scope=\"col\">Hour</th><th scope=\"col\">Group</th><th scope=\"col\" class=\"num\">Failures</th><th scope=\"col\">&nbsp;</th></tr></thead><tbody>");
            foreach (var c in d.FailuresPerGroupAndHour)
                html.Append($"<tr><td>{Time(c.Hour)}</td><td><a href=\"/ops/failed/group?by=Fingerprint&amp;key={U(c.Key)}\"><code>{E(c.Key)}</code></a></td><td class=\"num\">{c.Count}</td><td>{Bar(c.Count, max)}</td></tr>");
            html.Append("</tbody></table>");
        }
        return Page(context, who, "Dashboard", html.ToString());
    }

    private static void Figure(StringBuilder html, string label, int value) =>
        html.Append($"<div class=\"figure\">{E(label)}<span class=\"value\">{value}</span></div>");

    private static void CountTable(StringBuilder html, string caption, string keyHeader, IReadOnlyList<(string KeyHtml, int Count)> rows)
    {
        if (rows.Count == 0)
        {
            html.Append("<p class=\"muted\">None in this window.</p>");
            return;
        }
        var max = rows.Max(r => r.Count);
        html.Append($"<table><caption>{E(caption)}</caption><thead><tr><th scope=\"col\">{E(keyHeader)}</th><th scope=\"col\" class=\"num\">Count</th><th scope=\"col\">&nbsp;</th></tr></thead><tbody>");
        foreach (var (key, count) in rows) html.Append($"<tr><td>{key}</td><td class=\"num\">{count}</td><td>{Bar(count, max)}</td></tr>");
        html.Append("</tbody></table>");
    }

    private static async Task<IResult> SearchAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var q = context.Request.Query["q"].ToString().Trim();
        var html = new StringBuilder();
        html.Append($"""
            <form method="get" action="/ops/submissions" role="search">
            <label for="q">Submission id, case id or Aktenzeichen</label>
            <input type="search" id="q" name="q" value="{E(q)}" required> <button type="submit">Search</button>
            </form>
            """);
        if (q.Length > 0)
        {
            var matches = await context.RequestServices.GetRequiredService<IOperationsOverview>().FindSubmissionsAsync(who, q, ct);
            if (matches.Count == 0) html.Append($"<p id=\"no-match\">No submission matches “{E(q)}”.</p>");
            else
            {
                html.Append("<table><caption>Matching submissions</caption><thead><tr><th scope=\"col\">Submission</th><th scope=\"col\">Case</th><th scope=\"col\">Municipality</th><th scope=\"col\">Service</th><th scope=\"col\">Status</th><th scope=\"col\">Citizen status</th><th scope=\"col\">Aktenzeichen</th><th scope=\"col\">Received</th></tr></thead><tbody>");
                foreach (var m in matches)
                    html.Append($"<tr><td><a href=\"/ops/submissions/{m.SubmissionId}\">{m.SubmissionId}</a></td><td>{m.CaseId}</td><td>{E(m.Ars)}</td><td>{E(m.ServiceName)}</td><td>{E(m.Status)}</td><td>{E(m.CitizenStatus)}</td><td>{E(string.Join(", ", m.Aktenzeichen))}</td><td>{Time(m.CreatedAt)}</td></tr>");
                html.Append("</tbody></table>");
            }
        }
        return Page(context, who, "Submissions", html.ToString());
    }

    private static async Task<IResult> SubmissionAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var id = Guid.Parse((string)context.Request.RouteValues["id"]!);
        var view = await context.RequestServices.GetRequiredService<IOperationsOverview>().SubmissionAsync(who, id, ct);
        if (view is null)
            return Page(context, who, "Submission not found", Problem("No such submission", "It does not exist, or it belongs to a municipality you do not see."), StatusCodes.Status404NotFound);
        var s = view.Submission;
        var html = new StringBuilder();
        html.Append("<table><caption>Submission</caption><tbody>");
        Row(html, "Submission id", E(s.SubmissionId));
        Row(html, "Case id", E(s.CaseId));
        Row(html, "Municipality (ARS)", E(s.Ars));
        Row(html, "Service", E(s.ServiceName));
        Row(html, "Status", E(s.Status));
        Row(html, "Citizen status", E(s.CitizenStatus));
        Row(html, "Aktenzeichen", E(string.Join(", ", s.Aktenzeichen)));
        Row(html, "Received", Time(s.CreatedAt));
        if (view.PayloadsDeleted) Row(html, "Personal data", "deleted after the retention period (metadata and protocol kept)");
        html.Append("</tbody></table>");

        html.Append("<h2>Timeline</h2><table id=\"timeline\"><caption>From receipt to Bescheid, across all targets</caption><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Step</th><th scope=\"col\">Target</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
        foreach (var e in view.Timeline) html.Append($"<tr><td>{Time(e.At)}</td><td>{E(e.Step)}</td><td>{E(e.Target)}</td><td>{E(e.Detail)}</td></tr>");
        html.Append("</tbody></table>");

        html.Append("<h2>Failures</h2>");
        if (view.Failures.Count == 0) html.Append("<p class=\"muted\">No failed messages about this submission.</p>");
        else FailedMessagePages.MessageTable(html, view.Failures, selectable: false);
        return Page(context, who, $"Submission {s.SubmissionId}", html.ToString());
    }

    internal static void Row(StringBuilder html, string header, string valueHtml) =>
        html.Append($"<tr><th scope=\"row\">{E(header)}</th><td>{valueHtml}</td></tr>");

    private static async Task<IResult> AuditAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        const int limit = 100;
        var query = context.Request.Query;
        var action = query["action"].ToString() is { Length: > 0 } a ? a : null;
        var actor = query["actor"].ToString() is { Length: > 0 } b ? b : null;
        var offset = int.TryParse(query["offset"], out var o) ? Math.Max(0, o) : 0;
        var page = await context.RequestServices.GetRequiredService<IOperatorAudit>().ListAsync(who, actor, action, null, null, offset, limit, ct);
        var html = new StringBuilder();
        html.Append($"""
            <form method="get" action="/ops/audit"><label for="action">Action</label><input type="text" id="action" name="action" value="{E(action)}">
            <label for="actor">Operator</label><input type="text" id="actor" name="actor" value="{E(actor)}"> <button type="submit" class="secondary">Filter</button></form>
            """);
        if (!who.SeesSocialData) html.Append("<p class=\"muted\">You see your own entries; administrators see everyone's.</p>");
        html.Append($"<table id=\"audit\"><caption>{page.Total} entries, newest first</caption><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Operator</th><th scope=\"col\">Role</th><th scope=\"col\">Action</th><th scope=\"col\">Subject</th><th scope=\"col\" class=\"num\">Count</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
        foreach (var e in page.Items)
            html.Append($"<tr><td>{Time(e.At)}</td><td>{E(e.Actor)}</td><td>{E(e.Role)}</td><td>{E(e.Action)}</td><td>{E(e.Subject)}</td><td class=\"num\">{e.Count}</td><td>{E(e.Detail)}</td></tr>");
        html.Append("</tbody></table>");
        Pager(html, $"/ops/audit?action={U(action)}&actor={U(actor)}", offset, limit, page.Total);
        return Page(context, who, "Audit log", html.ToString());
    }

    internal static void Pager(StringBuilder html, string baseUrl, int offset, int limit, int total)
    {
        html.Append("<nav aria-label=\"Pages\" class=\"actions\">");
        if (offset > 0) html.Append($"<a href=\"{E(baseUrl)}&amp;offset={Math.Max(0, offset - limit)}\">Previous</a>");
        if (offset + limit < total) html.Append($"<a href=\"{E(baseUrl)}&amp;offset={offset + limit}\">Next</a>");
        html.Append("</nav>");
    }
}
