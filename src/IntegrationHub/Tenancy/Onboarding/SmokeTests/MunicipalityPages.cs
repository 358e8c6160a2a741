using System.Text;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Operations.Console.ConsoleHtml;
using static IntegrationHub.Operations.Console.OperationsConsole;

namespace IntegrationHub.Tenancy.Onboarding.SmokeTests;

/// <summary>
/// The console's municipalities: every one the operator covers (from the settings or a file) with its state and last
/// smoke test, and per municipality its services, routes and smoke tests step by step, with "Run smoke test" for operators.
/// </summary>
internal static class MunicipalityPages
{
    public static void Map(RouteGroupBuilder ops)
    {
        ops.MapGet("/municipalities", View(ListAsync));
        ops.MapGet("/municipalities/{ars}", View(MunicipalityAsync));
        ops.MapPost("/municipalities/{ars}/smoke-tests", Act(StartAsync)).RequireAuthorization(OperatorAuthentication.OperatorPolicy);
    }

    private static async Task<IResult> ListAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var tenants = context.RequestServices.GetRequiredService<TenantDirectory>();
        var runner = context.RequestServices.GetRequiredService<SmokeTestRunner>();
        var db = context.RequestServices.GetRequiredService<HubDbContext>();
        var records = await db.Municipalities.AsNoTracking().ToDictionaryAsync(m => m.Ars, ct);
        var latest = await runner.LatestAsync(db, ct);
        var html = new StringBuilder();
        html.Append("<table id=\"municipalities\"><caption>Municipalities of this hub");
        if (who.Municipalities is { } covered) html.Append($" that you see ({E(string.Join(", ", covered))})");
        html.Append("</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">ARS</th><th scope=\"col\">Source</th><th scope=\"col\" class=\"num\">Version</th><th scope=\"col\">State</th><th scope=\"col\" class=\"num\">Services</th><th scope=\"col\">Last smoke test</th></tr></thead><tbody>");
        foreach (var tenant in tenants.Tenants.Where(t => who.Covers(t.Ars)).OrderBy(t => t.Name, StringComparer.CurrentCulture))
        {
            var onboarded = tenants.IsOnboarded(tenant.Ars);
            var version = onboarded && records.TryGetValue(tenant.Ars, out var record) ? record.ActiveVersion.ToString() : "–";
            var services = tenant.Destinations.Sum(d => d.Services.Count);
            var last = latest.GetValueOrDefault(tenant.Ars);
            html.Append($"<tr id=\"m-{E(tenant.Ars)}\"><td><a href=\"/ops/municipalities/{U(tenant.Ars)}\">{E(tenant.Name)}</a></td><td>{E(tenant.Ars)}</td>");
            html.Append($"<td>{(onboarded ? "file" : "settings")}</td><td class=\"num\">{version}</td><td>{State(tenants, tenant.Ars)}</td><td class=\"num\">{services}</td>");
            html.Append($"<td>{(last is null ? "<span class=\"muted\">none yet</span>" : $"{Outcome(last)} {Time(last.StartedAt)}")}</td></tr>");
        }
        html.Append("</tbody></table>");
        return Page(context, who, "Municipalities", html.ToString());
    }

    private static async Task<IResult> MunicipalityAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var ars = (string)context.Request.RouteValues["ars"]!;
        var runner = context.RequestServices.GetRequiredService<SmokeTestRunner>();
        var tenant = runner.Find(who, ars);
        var tenants = context.RequestServices.GetRequiredService<TenantDirectory>();
        var db = context.RequestServices.GetRequiredService<HubDbContext>();
        var runs = await runner.ListAsync(db, ars, 10, ct);

        var html = new StringBuilder();
        html.Append(Notice(context.Request.Query["done"]));
        html.Append("<table><caption>Municipality</caption><tbody>");
        Row(html, "Name", E(tenant.Name));
        Row(html, "ARS", E(tenant.Ars));
        Row(html, "Source", tenants.Onboarded(ars) is { } file ? $"file, version {file.Version}" : "settings (Hub:Tenants)");
        Row(html, "State", State(tenants, ars));
        Row(html, "DMS", E(tenant.Dms ?? "–"));
        Row(html, "Postbox", E(tenant.Postbox ?? "–"));
        html.Append("</tbody></table>");

        html.Append("<h2>Services</h2><table id=\"services\"><caption>Destinations, services and the targets they are handed to</caption><thead><tr><th scope=\"col\">Service</th><th scope=\"col\">LeiKa key</th><th scope=\"col\">Destination</th><th scope=\"col\">Schema</th><th scope=\"col\">Targets</th></tr></thead><tbody>");
        foreach (var destination in tenant.Destinations)
            foreach (var service in destination.Services)
                html.Append($"<tr><td>{E(service.Name)}</td><td>{E(service.LeikaKey)}</td><td><code>{destination.Id}</code></td><td><code>{E(service.SchemaUri)}</code></td><td>{E(string.Join(", ", tenants.TargetsFor(ars, service.LeikaKey)))}</td></tr>");
        html.Append("</tbody></table>");

        html.Append("<h2>Smoke tests</h2>");
        html.Append($"<p class=\"muted\">A synthetic application per service (applicant “Smoke Test”, sender {E(SmokeTestClient.ClientId)}) through intake, validation, routing and every target; targets with a test endpoint get it there.</p>");
        if (who.MayAct) html.Append(Form(context, $"/ops/municipalities/{U(ars)}/smoke-tests", "Run smoke test", id: "run-smoke-test"));
        if (runs.Count == 0) html.Append("<p class=\"muted\" id=\"no-smoke-tests\">No smoke test yet.</p>");
        foreach (var run in runs)
        {
            html.Append($"<section class=\"smoke-test\" id=\"run-{run.Id}\"><h3>{Outcome(run)} {Time(run.StartedAt)} by {E(run.StartedBy)}</h3>");
            if (run.Problem is { } problem) html.Append(Problem("The smoke test failed", problem));
            html.Append("<table><caption>Steps per service</caption><thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Step</th><th scope=\"col\">Result</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
            foreach (var service in run.Services)
                foreach (var step in service.Steps)
                    html.Append($"<tr><td>{E(service.Name)}</td><td>{E(step.Name)}</td><td class=\"{(step.Passed ? "status-Completed" : "status-Unresolved")}\">{(step.Passed ? "✔ green" : "✘ red")}</td><td>{E(step.Detail)}</td></tr>");
            html.Append("</tbody></table></section>");
        }
        // While a run is going, the page follows it.
        return Page(context, who, tenant.Name, html.ToString(), refreshSeconds: runs.Any(r => r.Running) ? 3 : null);
    }

    private static async Task<IResult> StartAsync(HttpContext context, Operator who, CancellationToken ct)
    {
        var ars = (string)context.Request.RouteValues["ars"]!;
        var run = await context.RequestServices.GetRequiredService<SmokeTestRunner>().StartAsync(who, ars, ct);
        return Results.Redirect($"/ops/municipalities/{U(ars)}?done={U($"Smoke test {run.Id} started.")}");
    }

    private static string State(TenantDirectory tenants, string ars) => tenants.IsDisabled(ars) ? "disabled" : "active";

    private static string Outcome(SmokeTestView run) => run.Outcome switch
    {
        SmokeTestOutcomes.Passed => "<span class=\"status-Completed\">passed</span>",
        SmokeTestOutcomes.Failed => "<span class=\"status-Unresolved\">failed</span>",
        _ => $"<span>{E(run.Outcome)}</span>",
    };

    private static void Row(StringBuilder html, string header, string valueHtml) =>
        html.Append($"<tr><th scope=\"row\">{E(header)}</th><td>{valueHtml}</td></tr>");
}
