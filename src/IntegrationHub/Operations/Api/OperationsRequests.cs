using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using IntegrationHub.Hosting;
using IntegrationHub.Problems;
using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Operations.Api;

/// <summary>
/// Reads the operations API's input: query filters and JSON bodies. Every mistake becomes a specific 400 problem that names
/// the parameter and what it must be, never the value sent (a filter may hold an Aktenzeichen or similar).
/// </summary>
internal static class OperationsRequests
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
    public const int MaxIds = 10_000;
    private const long MaxBodyBytes = 1024 * 1024;

    /// <summary>camelCase, enums as camelCase strings (read case-insensitively, never as numbers), unknown members refused.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The body of retry, archive and restore. <see cref="All"/> must be set to mean every failed message.</summary>
    public sealed record SelectionBody(IReadOnlyList<Guid>? Ids = null, FailedMessageFilter? Filter = null, bool All = false, string? RedirectTo = null);

    public sealed record EditBody(string? Xml = null, IReadOnlyDictionary<string, string>? Headers = null, string? Reason = null);

    public sealed record RejectBody(string? Note = null);

    /// <summary>The filter from query parameters (status may repeat); null and a problem when one is malformed.</summary>
    public static (FailedMessageFilter? Filter, IResult? Problem) Filter(IQueryCollection query)
    {
        var reader = new QueryReader(query);
        var filter = new FailedMessageFilter(
            Ars: reader.Text("ars"),
            Target: reader.Text("target"),
            Group: reader.Text("group"),
            ExceptionType: reader.Text("exceptionType"),
            MessageType: reader.Text("messageType"),
            Endpoint: reader.Text("endpoint"),
            From: reader.Time("from"),
            To: reader.Time("to"),
            Statuses: reader.Enums<FailedMessageStatus>("status"),
            SubmissionId: reader.Guid("submissionId"));
        if (filter.From is { } from && filter.To is { } to && from >= to) reader.Fail("from must be before to.");
        return reader.Problem is { } problem ? (null, problem) : (filter, null);
    }

    /// <summary>Reads a JSON object body of type <typeparamref name="T"/>.</summary>
    public static async Task<(T? Body, IResult? Problem)> BodyAsync<T>(HttpRequest request, CancellationToken ct) where T : class
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, ProblemResults.Problem(ProblemTypes.UnsupportedMediaType, "Send application/json."));
        var bytes = await BoundedBody.ReadAsync(request.Body, MaxBodyBytes, ct);
        if (bytes is null) return (null, ProblemResults.Problem(ProblemTypes.PayloadTooLarge, $"The body may have at most {MaxBodyBytes} bytes."));
        try
        {
            var body = JsonSerializer.Deserialize<T>(bytes, Json);
            return body is null ? (null, Invalid("The body must be a JSON object.")) : (body, null);
        }
        catch (JsonException e)
        {
            // The path names the member; the exception's message could quote the value, so it is not passed on.
            return (null, Invalid(e.Path is { Length: > 1 } path
                ? $"The body's member {path.TrimStart('$', '.')} has the wrong type or an unknown value (enums: one of their names), or is not a known member."
                : "The body must be a JSON object."));
        }
    }

    /// <summary>What a retry, archive or restore applies to: ids, or a filter (an empty filter only with all=true).</summary>
    public static (FailedMessageSelection? Selection, IResult? Problem) Selection(SelectionBody body)
    {
        if (body.Ids is not null && (body.Filter is not null || body.All))
            return (null, SelectionProblem("Send either ids or a filter (or all=true), not both."));
        if (body.Ids is { } ids)
        {
            if (ids.Count == 0) return (null, SelectionProblem("ids is empty."));
            if (ids.Count > MaxIds) return (null, SelectionProblem($"At most {MaxIds} ids per request; select larger sets with a filter."));
            return (new FailedMessageSelection(ids.Distinct().ToList()), null);
        }
        var filter = body.Filter ?? (body.All ? new FailedMessageFilter() : null);
        if (filter is null) return (null, SelectionProblem("Send ids, a filter, or all=true."));
        if (IsEmpty(filter) && !body.All)
            return (null, SelectionProblem("An empty filter selects every failed message: send all=true to mean it."));
        if (filter.From is { } from && filter.To is { } to && from >= to) return (null, SelectionProblem("filter.from must be before filter.to."));
        return (new FailedMessageSelection(Filter: filter), null);
    }

    public static bool IsEmpty(FailedMessageFilter f) =>
        f.Ars is null && f.Target is null && f.Group is null && f.ExceptionType is null && f.MessageType is null && f.Endpoint is null
        && f.From is null && f.To is null && (f.Statuses is null || f.Statuses.Count == 0) && f.SubmissionId is null;

    public static IResult Invalid(string detail) => ProblemResults.Problem(ProblemTypes.InvalidRequest, detail);
    public static IResult InvalidQuery(string detail) => ProblemResults.Problem(ProblemTypes.InvalidOperationsQuery, detail);
    private static IResult SelectionProblem(string detail) => ProblemResults.Problem(ProblemTypes.InvalidSelection, detail);

    /// <summary>A route id that must be a GUID.</summary>
    public static bool TryId(string value, out Guid id) => System.Guid.TryParse(value, out id);

    /// <summary>Collects every malformed parameter, so one answer names them all.</summary>
    internal sealed class QueryReader(IQueryCollection query)
    {
        private readonly List<string> _errors = [];

        public IResult? Problem => _errors.Count == 0 ? null : InvalidQuery(string.Join(" ", _errors));

        public void Fail(string error) => _errors.Add(error);

        public string? Text(string name)
        {
            var value = query[name].ToString();
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        public Guid? Guid(string name)
        {
            if (Text(name) is not { } text) return null;
            if (System.Guid.TryParse(text, out var id)) return id;
            Fail($"{name} must be a GUID.");
            return null;
        }

        public DateTimeOffset? Time(string name)
        {
            if (Text(name) is not { } text) return null;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return at;
            Fail($"{name} must be an ISO 8601 time (e.g. 2025-03-01T08:00:00Z).");
            return null;
        }

        public int Int(string name, int fallback, int min, int max)
        {
            if (Text(name) is not { } text) return fallback;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
            Fail($"{name} must be a whole number from {min} to {max}.");
            return fallback;
        }

        public bool Bool(string name)
        {
            if (Text(name) is not { } text) return false;
            if (bool.TryParse(text, out var b)) return b;
            Fail($"{name} must be true or false.");
            return false;
        }

        public T? Enum<T>(string name) where T : struct, Enum
        {
            if (Text(name) is not { } text) return null;
            if (ParseEnum<T>(text) is { } value) return value;
            Fail($"{name} must be one of {Names<T>()}.");
            return null;
        }

        public IReadOnlyList<T>? Enums<T>(string name) where T : struct, Enum
        {
            var values = query[name].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (values.Count == 0) return null;
            var parsed = values.Select(ParseEnum<T>).ToList();
            if (parsed.All(p => p is not null)) return parsed.Select(p => p!.Value).Distinct().ToList();
            Fail($"{name} must be one of {Names<T>()}.");
            return null;
        }

        // By name only, case-insensitively: Enum.TryParse would also take "7".
        private static T? ParseEnum<T>(string text) where T : struct, Enum =>
            System.Enum.GetNames<T>().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } match
                ? System.Enum.Parse<T>(match) : null;

        private static string Names<T>() where T : struct, Enum => string.Join(", ", System.Enum.GetNames<T>().Select(JsonNamingPolicy.CamelCase.ConvertName));
    }
}
