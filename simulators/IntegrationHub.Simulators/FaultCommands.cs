using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators.Procedures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IntegrationHub.Simulators;

/// <summary>
/// Run-time fault commands for the simulators, by name: <c>GET /_faults</c> (all), <c>GET /_faults/{simulator}</c>,
/// <c>POST /_faults/{simulator}</c> with a JSON command (see <see cref="FaultInjection.Apply"/>, e.g.
/// <c>{"errorRate":0.5,"status":503}</c> or <c>{"outage":"00:02:00"}</c>), <c>DELETE /_faults/{simulator}</c> to clear.
/// A simulator joins by adding its name and its <see cref="FaultInjection"/> to the map.
/// </summary>
public static class FaultCommands
{
    private const string ProblemJson = "application/problem+json";

    public static IEndpointRouteBuilder MapFaultCommands(this IEndpointRouteBuilder routes, IReadOnlyDictionary<string, FaultInjection> simulators)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var faults = new Dictionary<string, FaultInjection>(simulators, StringComparer.OrdinalIgnoreCase);

        routes.MapGet("/_faults", context =>
        {
            var all = new JsonObject();
            foreach (var (name, f) in faults.OrderBy(p => p.Key, StringComparer.Ordinal)) all[name] = f.Describe();
            return WriteAsync(context, 200, "application/json", all);
        });
        routes.MapGet("/_faults/{simulator}", context =>
            Find(context, faults) is { } f ? WriteAsync(context, 200, "application/json", f.Describe()) : UnknownAsync(context));
        routes.MapDelete("/_faults/{simulator}", context =>
        {
            if (Find(context, faults) is not { } f) return UnknownAsync(context);
            f.Reset();
            return WriteAsync(context, 200, "application/json", f.Describe());
        });
        routes.MapPost("/_faults/{simulator}", async context =>
        {
            if (Find(context, faults) is not { } f)
            {
                await UnknownAsync(context).ConfigureAwait(false);
                return;
            }

            JsonObject? command;
            try
            {
                command = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject;
            }
            catch (JsonException)
            {
                command = null;
            }

            if (command is null)
            {
                await ProblemAsync(context, 400, "faults-invalid", "Invalid fault command", "Expected a JSON object, e.g. {\"errorRate\":0.5,\"status\":503}.").ConfigureAwait(false);
                return;
            }

            try
            {
                f.Apply(command);
            }
            catch (ArgumentException e)
            {
                await ProblemAsync(context, 400, "faults-invalid", "Invalid fault command", e.Message).ConfigureAwait(false);
                return;
            }

            await WriteAsync(context, 200, "application/json", f.Describe()).ConfigureAwait(false);
        });
        return routes;
    }

    private static FaultInjection? Find(HttpContext context, Dictionary<string, FaultInjection> faults) =>
        faults.GetValueOrDefault(context.Request.RouteValues["simulator"]?.ToString() ?? string.Empty);

    private static Task UnknownAsync(HttpContext context) =>
        ProblemAsync(context, 404, "simulator-unknown", "No such simulator", $"No simulator named '{context.Request.RouteValues["simulator"]}' takes fault commands.");

    private static Task ProblemAsync(HttpContext context, int status, string kind, string title, string detail) =>
        WriteAsync(context, status, ProblemJson, new JsonObject
        {
            ["type"] = $"urn:integrationhub:simulator:faults:{kind}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        });

    private static Task WriteAsync(HttpContext context, int status, string contentType, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType + "; charset=utf-8";
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
