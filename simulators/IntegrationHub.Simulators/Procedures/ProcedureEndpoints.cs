using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Simulators.Procedures;

/// <summary>HTTP face of a simulated procedure.</summary>
public static class ProcedureEndpoints
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>
    /// Maps POST/GET {CasesPath}, GET {CasesPath}/{aktenzeichen}, POST /{name}/_faults and GET /{name}/_calls.
    /// </summary>
    public static IEndpointRouteBuilder MapProcedure(this IEndpointRouteBuilder routes, FachverfahrenSimulator simulator)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(simulator);

        routes.MapPost(simulator.CasesPath, context => ReceiveAsync(context, simulator));
        routes.MapGet(simulator.CasesPath, context => WriteJsonAsync(context, 200, CaseList(simulator)));
        routes.MapGet(simulator.CasesPath + "/{aktenzeichen}", context => GetCaseAsync(context, simulator));
        routes.MapPost($"/{simulator.Name}/_faults", context => SetFaultsAsync(context, simulator));
        routes.MapGet($"/{simulator.Name}/_faults", context => WriteJsonAsync(context, 200, FaultState(simulator)));
        routes.MapGet($"/{simulator.Name}/_calls", context => WriteJsonAsync(context, 200, CallList(simulator)));
        return routes;
    }

    private static async Task ReceiveAsync(HttpContext context, FachverfahrenSimulator simulator)
    {
        var request = context.Request;
        var key = request.Headers[IdempotencyKeyHeader].ToString();
        if (!IsXml(request.ContentType))
        {
            await RefuseAsync(context, simulator, key, "unsupported-media-type", HandoverResponse.Problem(
                simulator.Name, 415, "unsupported-media-type", "XML expected", "Content-Type must be application/xml.")).ConfigureAwait(false);
            return;
        }

        var body = request.ContentLength > FachverfahrenSimulator.MaxHandoverBytes
            ? null
            : await ReadLimitedAsync(request.Body, FachverfahrenSimulator.MaxHandoverBytes, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await RefuseAsync(context, simulator, key, "payload-too-large", HandoverResponse.Problem(
                simulator.Name, 413, "payload-too-large", "Handover too large", $"At most {FachverfahrenSimulator.MaxHandoverBytes} bytes.")).ConfigureAwait(false);
            return;
        }

        var response = await simulator.ReceiveHandoverAsync(body, key, "http", context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, response).ConfigureAwait(false);
    }

    private static Task RefuseAsync(HttpContext context, FachverfahrenSimulator simulator, string key, string outcome, HandoverResponse response)
    {
        simulator.RecordTransportRefusal("http", key, response, outcome);
        return WriteAsync(context, response);
    }

    private static bool IsXml(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }

        var media = parsed.MediaType.Value;
        return string.Equals(media, "application/xml", StringComparison.OrdinalIgnoreCase)
            || string.Equals(media, "text/xml", StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<byte[]?> ReadLimitedAsync(Stream body, int limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            var read = await body.ReadAsync(chunk, ct).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }
    }

    private static async Task WriteAsync(HttpContext context, HandoverResponse response)
    {
        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = response.ContentType == HandoverResponse.Xml ? "application/xml; charset=utf-8" : response.ContentType;
        if (response.Location is not null && response.StatusCode == 201)
        {
            context.Response.Headers.Location = response.Location;
        }

        context.Response.ContentLength = response.Body.Length;
        await context.Response.Body.WriteAsync(response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task GetCaseAsync(HttpContext context, FachverfahrenSimulator simulator)
    {
        var aktenzeichen = context.Request.RouteValues["aktenzeichen"]?.ToString();
        var found = simulator.Cases.FirstOrDefault(c => c.Aktenzeichen == aktenzeichen);
        if (found is null)
        {
            return WriteAsync(context, HandoverResponse.Problem(simulator.Name, 404, "case-not-found", "No such case"));
        }

        return WriteJsonAsync(context, 200, CaseJson(found));
    }

    private static async Task SetFaultsAsync(HttpContext context, FachverfahrenSimulator simulator)
    {
        JsonObject? input;
        try
        {
            input = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject;
        }
        catch (JsonException)
        {
            input = null;
        }

        if (input is null)
        {
            await WriteAsync(context, HandoverResponse.Problem(
                simulator.Name, 400, "faults-invalid", "Invalid fault settings", "Expected {\"failNext\":n,\"statusCode\":503,\"latencyMs\":0,\"reset\":false}.")).ConfigureAwait(false);
            return;
        }

        try
        {
            if (input["reset"] is JsonValue reset && reset.TryGetValue<bool>(out var doReset) && doReset)
            {
                simulator.Faults.Reset();
            }

            if (input["failNext"] is JsonValue failNext)
            {
                var status = input["statusCode"] is JsonValue s ? s.GetValue<int>() : 503;
                simulator.Faults.FailNext(failNext.GetValue<int>(), status);
            }

            if (input["latencyMs"] is JsonValue latency)
            {
                simulator.Faults.Latency = TimeSpan.FromMilliseconds(latency.GetValue<double>());
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            await WriteAsync(context, HandoverResponse.Problem(simulator.Name, 400, "faults-invalid", "Invalid fault settings", ex.Message)).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, 200, FaultState(simulator)).ConfigureAwait(false);
    }

    private static JsonObject FaultState(FachverfahrenSimulator simulator) => new()
    {
        ["pendingFailures"] = simulator.Faults.PendingFailures,
        ["latencyMs"] = simulator.Faults.Latency.TotalMilliseconds,
    };

    private static JsonArray CaseList(FachverfahrenSimulator simulator)
    {
        var list = new JsonArray();
        foreach (var c in simulator.Cases)
        {
            list.Add(CaseJson(c));
        }

        return list;
    }

    // Only what a test needs to correlate: no names, addresses or amounts.
    private static JsonObject CaseJson(SimulatedCase c) => new()
    {
        ["aktenzeichen"] = c.Aktenzeichen,
        ["submissionId"] = c.SubmissionId?.ToString(),
        ["receivedAt"] = c.ReceivedAt.ToString("O", CultureInfo.InvariantCulture),
        ["leistungsart"] = c.Leistungsart,
    };

    private static JsonObject CallList(FachverfahrenSimulator simulator)
    {
        var calls = new JsonArray();
        foreach (var call in simulator.Calls)
        {
            calls.Add(new JsonObject
            {
                ["at"] = call.At.ToString("O", CultureInfo.InvariantCulture),
                ["channel"] = call.Channel,
                ["idempotencyKey"] = call.IdempotencyKey,
                ["status"] = call.StatusCode,
                ["outcome"] = call.Outcome,
                ["signatureOk"] = call.SignatureOk,
                ["duplicate"] = call.Duplicate,
                ["aktenzeichen"] = call.Aktenzeichen,
                ["submissionId"] = call.SubmissionId?.ToString(),
            });
        }

        return new JsonObject
        {
            ["duplicateCallCount"] = simulator.DuplicateCallCount,
            ["calls"] = calls,
        };
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonNode json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(json.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
