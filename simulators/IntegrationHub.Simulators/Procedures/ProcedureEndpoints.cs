using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Simulators.Procedures;

/// <summary>HTTP face of a simulated procedure.</summary>
public static class ProcedureEndpoints
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private const string ContentIdHeader = "Content-ID";

    /// <summary>Largest container accepted: the XML plus the most attachments at their largest.</summary>
    public const long MaxContainerBytes = FachverfahrenSimulator.MaxHandoverBytes
        + FachverfahrenSimulator.MaxAttachments * (FachverfahrenSimulator.MaxAttachmentPartBytes + 64 * 1024);

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

    /// <summary>
    /// A handover arrives as <c>multipart/related; type="application/xml"; start="&lt;handover&gt;"</c> (first part the signed
    /// XML, then one part per referenced attachment, streamed through the core) or, without attachment parts, as a plain
    /// <c>application/xml</c> body.
    /// </summary>
    private static async Task ReceiveAsync(HttpContext context, FachverfahrenSimulator simulator)
    {
        if (await simulator.Faults.ApplyAsync(context, simulator.Name).ConfigureAwait(false))
        {
            return; // answered, dropped or held by an injected fault
        }

        var request = context.Request;
        var key = request.Headers[IdempotencyKeyHeader].ToString();
        if (IsXml(request.ContentType))
        {
            var body = request.ContentLength > FachverfahrenSimulator.MaxHandoverBytes
                ? null
                : await ReadLimitedAsync(request.Body, FachverfahrenSimulator.MaxHandoverBytes, context.RequestAborted).ConfigureAwait(false);
            if (body is null)
            {
                await RefuseTooLargeAsync(context, simulator, key).ConfigureAwait(false);
                return;
            }

            var response = await simulator.ReceiveHandoverAsync(body, null, key, "http", context.RequestAborted).ConfigureAwait(false);
            await WriteAsync(context, response).ConfigureAwait(false);
            return;
        }

        if (TryGetRelated(request.ContentType, out var boundary, out var start))
        {
            await ReceiveContainerAsync(context, simulator, key, boundary, start).ConfigureAwait(false);
            return;
        }

        await RefuseAsync(context, simulator, key, "unsupported-media-type", HandoverResponse.Problem(
            simulator.Name, 415, "unsupported-media-type", "XML expected",
            "Content-Type must be application/xml or multipart/related; type=\"application/xml\".")).ConfigureAwait(false);
    }

    private static async Task ReceiveContainerAsync(HttpContext context, FachverfahrenSimulator simulator, string key, string boundary, string? start)
    {
        // The container is as large as its attachments: Kestrel's server-wide limit (sized for the XML) is lifted for this
        // request; the XML part and every attachment part have their own limits.
        var sizeLimit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeLimit is { IsReadOnly: false })
        {
            sizeLimit.MaxRequestBodySize = MaxContainerBytes;
        }

        var reader = new MultipartReader(boundary, context.Request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        byte[]? xml;
        try
        {
            var root = await reader.ReadNextSectionAsync(context.RequestAborted).ConfigureAwait(false);
            if (root is null || !IsXml(root.ContentType) || (start is not null && FachverfahrenSimulator.StripAngleBrackets(Header(root, ContentIdHeader)) != start))
            {
                await RefuseAsync(context, simulator, key, "malformed-multipart", HandoverResponse.Problem(
                    simulator.Name, 400, "malformed-multipart", "Container broken", "The first part must be the handover XML (application/xml), named by start.")).ConfigureAwait(false);
                return;
            }

            xml = await ReadLimitedAsync(root.Body, FachverfahrenSimulator.MaxHandoverBytes, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            await RefuseAsync(context, simulator, key, "malformed-multipart", HandoverResponse.Problem(
                simulator.Name, 400, "malformed-multipart", "Container broken", "The multipart/related body is malformed or cut off.")).ConfigureAwait(false);
            return;
        }

        if (xml is null)
        {
            await RefuseTooLargeAsync(context, simulator, key).ConfigureAwait(false);
            return;
        }

        var response = await simulator.ReceiveHandoverAsync(xml, new MultipartPartReader(reader), key, "http", context.RequestAborted).ConfigureAwait(false);
        await WriteAsync(context, response).ConfigureAwait(false);
    }

    /// <summary>multipart/related with a boundary and, if given, type application/xml; <paramref name="start"/> without angle brackets.</summary>
    private static bool TryGetRelated(string? contentType, out string boundary, out string? start)
    {
        boundary = string.Empty;
        start = null;
        if (string.IsNullOrEmpty(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var parsed)
            || !string.Equals(parsed.MediaType.Value, "multipart/related", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string? Parameter(string name) =>
            parsed.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } p ? HeaderUtilities.RemoveQuotes(p.Value).Value : null;

        var type = Parameter("type");
        if (type is not null && !string.Equals(type, "application/xml", StringComparison.OrdinalIgnoreCase) && !string.Equals(type, "text/xml", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        boundary = Parameter("boundary") ?? string.Empty;
        start = FachverfahrenSimulator.StripAngleBrackets(Parameter("start"));
        return boundary.Length is > 0 and <= 70; // RFC 2046
    }

    private static string? Header(MultipartSection section, string name) =>
        section.Headers is { } headers && headers.TryGetValue(name, out var values) ? values.ToString() : null;

    private static Task RefuseTooLargeAsync(HttpContext context, FachverfahrenSimulator simulator, string key) =>
        RefuseAsync(context, simulator, key, "payload-too-large", HandoverResponse.Problem(
            simulator.Name, 413, "payload-too-large", "Handover too large", $"At most {FachverfahrenSimulator.MaxHandoverBytes} bytes of XML."));

    /// <summary>The sections after the XML, as the core reads them: one at a time, each body streamed.</summary>
    private sealed class MultipartPartReader(MultipartReader reader) : IHandoverPartReader
    {
        public async Task<HandoverPart?> ReadNextPartAsync(CancellationToken ct)
        {
            var section = await reader.ReadNextSectionAsync(ct).ConfigureAwait(false);
            if (section is null)
            {
                return null;
            }

            var length = Header(section, HeaderNames.ContentLength) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : (long?)null;
            return new HandoverPart(Header(section, ContentIdHeader), section.ContentType, length, section.Body);
        }
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
        if (context.RequestAborted.IsCancellationRequested)
        {
            return; // nobody to answer
        }

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
        ["attachmentCount"] = c.AttachmentCount,
        ["attachmentBytes"] = c.AttachmentBytes,
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
