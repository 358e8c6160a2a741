using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace IntegrationHub.Cli;

/// <summary>The failed-message filter as options (each command gets its own instances); they combine with AND.</summary>
internal sealed class FilterOptions
{
    private readonly Option<string?> _ars = new("--ars") { Description = "Municipality (12-digit ARS)" };
    private readonly Option<string?> _target = new("--target") { Description = "Target (e.g. prosoz)" };
    private readonly Option<string?> _group = new("--group") { Description = "A failure group's key (see `hubctl failed groups`)" };
    private readonly Option<string?> _exceptionType = new("--exception-type") { Description = "Exception type" };
    private readonly Option<string?> _messageType = new("--message-type") { Description = "Message type" };
    private readonly Option<string?> _endpoint = new("--endpoint") { Description = "Endpoint (queue)" };
    private readonly Option<DateTimeOffset?> _from = new("--from") { Description = "Failed at or after (ISO 8601)" };
    private readonly Option<DateTimeOffset?> _to = new("--to") { Description = "Failed before (ISO 8601)" };
    private readonly Option<string[]> _status = new("--status") { Description = "unresolved, retryIssued, resolved or archived (repeatable)" };
    private readonly Option<Guid?> _submissionId = new("--submission-id") { Description = "Submission id" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _ars, _target, _group, _exceptionType, _messageType, _endpoint, _from, _to, _status, _submissionId })
            command.Options.Add(option);
    }

    /// <summary>Query parameters of the operations API (status repeats).</summary>
    public IEnumerable<(string Name, string? Value)> Query(ParseResult r)
    {
        yield return ("ars", r.GetValue(_ars));
        yield return ("target", r.GetValue(_target));
        yield return ("group", r.GetValue(_group));
        yield return ("exceptionType", r.GetValue(_exceptionType));
        yield return ("messageType", r.GetValue(_messageType));
        yield return ("endpoint", r.GetValue(_endpoint));
        yield return ("from", Time(r.GetValue(_from)));
        yield return ("to", Time(r.GetValue(_to)));
        foreach (var status in r.GetValue(_status) ?? []) yield return ("status", status);
        yield return ("submissionId", r.GetValue(_submissionId)?.ToString());
    }

    /// <summary>The filter object of a selection body, or null when no filter option is given.</summary>
    public JsonObject? Body(ParseResult r)
    {
        var filter = new JsonObject();
        foreach (var (name, value) in Query(r).Where(p => !string.IsNullOrEmpty(p.Value) && p.Name != "status")) filter[name] = value;
        if (r.GetValue(_status) is { Length: > 0 } statuses) filter["statuses"] = new JsonArray(statuses.Select(s => (JsonNode)s).ToArray());
        return filter.Count == 0 ? null : filter;
    }

    private static string? Time(DateTimeOffset? at) => at?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}

/// <summary>What retry, archive, restore and replay apply to: ids, or a group/filter, or --all for every failed message.</summary>
internal sealed class SelectionOptions(bool redirect)
{
    private readonly Argument<Guid[]> _ids = new("ids") { Description = "Failed message ids", Arity = ArgumentArity.ZeroOrMore };
    private readonly FilterOptions _filter = new();
    private readonly Option<bool> _all = new("--all") { Description = "Every failed message (needed when no id, group or filter is given)" };
    private readonly Option<string?> _redirectTo = new("--redirect-to") { Description = "Send failed deliveries to this other target of the same kind" };

    public void AddTo(Command command)
    {
        command.Arguments.Add(_ids);
        _filter.AddTo(command);
        command.Options.Add(_all);
        if (redirect) command.Options.Add(_redirectTo);
    }

    public JsonObject Body(ParseResult r)
    {
        var ids = r.GetValue(_ids) ?? [];
        var filter = _filter.Body(r);
        var all = r.GetValue(_all);
        var body = new JsonObject();
        if (ids.Length > 0)
        {
            if (filter is not null || all) throw new UsageException("Give failed message ids, or a group/filter (or --all), not both.");
            body["ids"] = new JsonArray(ids.Select(id => (JsonNode)id.ToString()).ToArray());
        }
        else if (filter is not null || all)
        {
            if (filter is not null) body["filter"] = filter;
            if (all) body["all"] = true;
        }
        else throw new UsageException("Say which failed messages: ids, --group KEY, filter options (--target, --ars, …), or --all.");
        if (redirect && r.GetValue(_redirectTo) is { Length: > 0 } target) body["redirectTo"] = target;
        return body;
    }
}
