using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Tenancy.Onboarding;
using Spectre.Console;

namespace IntegrationHub.Cli;

/// <summary>
/// hubctl's commands over the hub's operations API. Exit codes: 0 done, 1 the hub refused (its problem's title and detail are
/// printed), 2 usage error, 3 the hub cannot be reached. Built around an output console and, for tests, an HttpClient to use
/// instead of one made from --hub.
/// </summary>
public sealed partial class Hubctl
{
    public const int Ok = 0, Refused = 1, Usage = 2, Unreachable = 3;
    public const string DefaultHub = "http://127.0.0.1:5080";

    private readonly IAnsiConsole _console;
    private readonly TextWriter _error;
    private readonly HttpClient? _http;
    private readonly TimeSpan _pollInterval;

    private readonly Option<string> _hub = new("--hub")
    {
        Description = "The hub's base URL (env HUBCTL_HUB)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HUBCTL_HUB") is { Length: > 0 } hub ? hub : DefaultHub,
    };
    private readonly Option<string?> _apiKey = new("--api-key")
    {
        Description = "The operator's API key (env HUBCTL_API_KEY)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HUBCTL_API_KEY"),
    };
    private readonly Option<bool> _json = new("--json") { Description = "Print the API's JSON instead of tables", Recursive = true };

    public RootCommand Root { get; }

    public Hubctl(IAnsiConsole console, TextWriter error, HttpClient? http = null, TimeSpan? pollInterval = null)
    {
        _console = console;
        _error = error;
        _http = http;
        _pollInterval = pollInterval ?? TimeSpan.FromSeconds(1);
        Root = new RootCommand("hubctl: find, group, retry and archive the IntegrationHub's failed messages")
        {
            _hub, _apiKey, _json, Failed(), Submissions(), Replay(), Batches(), Tenant(),
        };
    }

    public async Task<int> RunAsync(string[] args, CancellationToken ct = default)
    {
        var parsed = Root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not { ClearsParseErrors: true })
        {
            foreach (var error in parsed.Errors) await _error.WriteLineAsync(error.Message);
            await _error.WriteLineAsync("See hubctl --help.");
            return Usage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = _console.Profile.Out.Writer, Error = _error }, ct);
    }

    private Command Failed()
    {
        var by = new Option<string>("--by") { Description = "Group by fingerprint (default), messageType, endpoint, municipality or target", DefaultValueFactory = _ => "fingerprint" };
        by.AcceptOnlyFromAmong("fingerprint", "messageType", "endpoint", "municipality", "target");
        var groupsFilter = new FilterOptions();
        var groups = new Command("groups", "Failed messages by group") { by };
        groupsFilter.AddTo(groups);
        groups.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var body = await hub.GetAsync("failed-messages/groups" + Query([("by", r.GetValue(by)), .. groupsFilter.Query(r)]), ct);
            if (json) return Json(body);
            var list = HubClient.Read<List<FailureGroup>>(body);
            if (list.Count == 0) _console.WriteLine("No failed messages.");
            else _console.Write(Views.Groups(list));
            return Ok;
        }));

        var offset = new Option<int>("--offset") { Description = "Skip this many" };
        var limit = new Option<int>("--limit") { Description = "Show at most this many (1-500)", DefaultValueFactory = _ => 50 };
        var listFilter = new FilterOptions();
        var list = new Command("list", "Failed messages matching the filters, newest first") { offset, limit };
        listFilter.AddTo(list);
        list.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var query = Query([.. listFilter.Query(r), ("offset", Invariant(r.GetValue(offset))), ("limit", Invariant(r.GetValue(limit)))]);
            var body = await hub.GetAsync("failed-messages" + query, ct);
            if (json) return Json(body);
            var page = HubClient.Read<Page<FailedMessageSummary>>(body);
            if (page.Items.Count > 0) _console.Write(Views.Messages(page.Items));
            _console.WriteLine($"{page.Items.Count} of {page.Total} failed messages (offset {page.Offset}).");
            return Ok;
        }));

        var id = new Argument<Guid>("id") { Description = "The failed message's id" };
        var show = new Command("show", "One failed message: exception, stack trace, headers, body (masked unless admin), history") { id };
        show.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var body = await hub.GetAsync($"failed-messages/{r.GetValue(id)}", ct);
            if (json) return Json(body);
            foreach (var part in Views.Message(HubClient.Read<FailedMessageDetail>(body))) _console.Write(part);
            return Ok;
        }));

        var retrySelection = new SelectionOptions(redirect: true);
        var retry = new Command("retry", "Retries failed messages by id, a group or a filter (a retry batch; see `hubctl batches`)");
        retrySelection.AddTo(retry);
        retry.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var body = await hub.PostAsync("failed-messages/retry", retrySelection.Body(r), ct);
            if (json) return Json(body);
            var batch = HubClient.Read<RetryBatch>(body);
            _console.WriteLine(Views.Describe(batch));
            _console.WriteLine($"Follow it with: hubctl batches --running");
            return Ok;
        }));

        return new Command("failed", "Failed messages: groups, list, show, retry, archive, restore")
        {
            groups, list, show, retry, ArchiveOrRestore("archive", "Archives failed messages by id, a group or a filter", "archived"),
            ArchiveOrRestore("restore", "Restores archived failed messages by id, a group or a filter", "restored"),
        };
    }

    private Command ArchiveOrRestore(string name, string description, string counted)
    {
        var selection = new SelectionOptions(redirect: false);
        var command = new Command(name, description);
        selection.AddTo(command);
        command.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var body = await hub.PostAsync($"failed-messages/{name}", selection.Body(r), ct);
            if (json) return Json(body);
            var count = JsonNode.Parse(body)?[counted]?.GetValue<int>() ?? 0;
            _console.WriteLine($"{char.ToUpperInvariant(counted[0])}{counted[1..]} {count} failed message{(count == 1 ? "" : "s")}.");
            return Ok;
        }));
        return command;
    }

    private Command Submissions()
    {
        var query = new Argument<string>("submission") { Description = "A submission id, case id or Aktenzeichen" };
        var show = new Command("show", "A submission's timeline from receipt to Bescheid, with its failures") { query };
        show.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var found = await hub.GetAsync("submissions" + Query([("q", r.GetValue(query))]), ct);
            var matches = HubClient.Read<List<SubmissionMatch>>(found);
            if (matches.Count == 0)
            {
                await _error.WriteLineAsync("No submission matches (by submission id, case id or Aktenzeichen) that this operator may see.");
                return Refused;
            }
            if (matches.Count > 1)
            {
                if (json) return Json(found);
                _console.WriteLine($"{matches.Count} submissions match; show one by its submission id:");
                _console.Write(Views.Matches(matches));
                return Ok;
            }
            var body = await hub.GetAsync($"submissions/{matches[0].SubmissionId}", ct);
            if (json) return Json(body);
            foreach (var part in Views.Submission(HubClient.Read<SubmissionView>(body))) _console.Write(part);
            return Ok;
        }));
        return new Command("submissions", "Submissions and their timelines") { show };
    }

    private Command Replay()
    {
        var selection = new SelectionOptions(redirect: true);
        var replay = new Command("replay", "Retries a group or everything matching a filter and shows the batch's progress until it completes");
        selection.AddTo(replay);
        replay.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var last = await hub.PostAsync("failed-messages/retry", selection.Body(r), ct);
            var batch = HubClient.Read<RetryBatch>(last);
            if (json)
            {
                while (batch.Running) (batch, last) = await PollAsync(hub, batch, ct);
                Json(last);
                return Completed(batch) ? Ok : Refused;
            }
            await _console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("Retry batch", maxValue: Math.Max(1, batch.Total));
                    while (true)
                    {
                        task.MaxValue = Math.Max(1, batch.Total);
                        task.Value = batch.Total == 0 && !batch.Running ? task.MaxValue : batch.Done;
                        if (!batch.Running) break;
                        (batch, _) = await PollAsync(hub, batch, ct);
                    }
                });
            _console.WriteLine(Views.Describe(batch));
            if (Completed(batch)) return Ok;
            await _error.WriteLineAsync($"The retry batch did not complete: {batch.Error ?? batch.Status}");
            return Refused;
        }));
        return replay;
    }

    private static bool Completed(RetryBatch batch) => batch.Status.Equals("completed", StringComparison.OrdinalIgnoreCase);

    private async Task<(RetryBatch Batch, string Json)> PollAsync(HubClient hub, RetryBatch batch, CancellationToken ct)
    {
        await Task.Delay(_pollInterval, ct);
        var body = await hub.GetAsync($"retry-batches/{batch.Id}", ct);
        return (HubClient.Read<RetryBatch>(body), body);
    }

    private Command Batches()
    {
        var running = new Option<bool>("--running") { Description = "Only batches still running" };
        var batches = new Command("batches", "Retry batches and their progress, newest first") { running };
        batches.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var body = await hub.GetAsync("retry-batches" + (r.GetValue(running) ? "?running=true" : ""), ct);
            if (json) return Json(body);
            var list = HubClient.Read<List<RetryBatch>>(body);
            if (list.Count == 0) _console.WriteLine(r.GetValue(running) ? "No retry batch is running." : "No retry batches.");
            else _console.Write(Views.Batches(list));
            return Ok;
        }));
        return batches;
    }

    private Command Tenant()
    {
        var file = new Argument<string>("file") { Description = "The municipality file (YAML)" };
        var days = new Option<int>("--expiry-warning-days") { Description = "Warn about certificates expiring within this many days", DefaultValueFactory = _ => 30 };
        var reachable = new Option<bool>("--check-reachable") { Description = "Also check that every target the file defines answers at its endpoint (from this machine)" };
        var againstHub = new Option<bool>("--against-hub")
        {
            Description = "Validate in the running hub (--hub): also against the destinations of its other municipalities and its shared targets",
        };
        var validate = new Command("validate", "Checks a municipality file (offline, or --against-hub): exit 0 valid (warnings allowed), 1 errors, 2 unreadable")
        {
            file, days, reachable, againstHub,
        };
        validate.SetAction(async (r, ct) =>
        {
            var path = r.GetValue(file)!;
            if (r.GetValue(days) < 0)
            {
                await _error.WriteLineAsync("--expiry-warning-days must be 0 or more.");
                return Usage;
            }
            string yaml;
            try
            {
                yaml = await File.ReadAllTextAsync(path, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                await _error.WriteLineAsync($"Cannot read {path}: {e.Message}");
                return Usage;
            }
            IReadOnlyList<MunicipalityFinding> findings;
            if (r.GetValue(againstHub))
            {
                List<MunicipalityFinding>? remote = null;
                var code = await RunAsync(r, ct, async (hub, _) =>
                {
                    var body = await hub.PostAsync("municipalities/validate", new JsonObject { ["name"] = Path.GetFileName(path), ["content"] = yaml }, ct);
                    remote = [.. HubClient.Read<RemoteFindings>(body).Findings.Select(f => new MunicipalityFinding(f.Line, f.Column,
                        f.Severity == "error" ? FindingSeverity.Error : FindingSeverity.Warning, f.Code, f.Message))];
                    return Ok;
                });
                if (remote is null) return code;
                findings = remote;
            }
            else findings = MunicipalityValidator.Validate(yaml, new MunicipalityValidationContext { ExpiryWarningDays = r.GetValue(days) }, path);
            if (r.GetValue(reachable) && MunicipalityFileReader.Parse(yaml, path).File is { } parsed)
            {
                using var probe = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
                findings = [.. findings.Concat(await MunicipalityReachability.CheckAsync(parsed, probe, TimeSpan.FromSeconds(5), ct)).OrderBy(f => f.Line).ThenBy(f => f.Column)];
            }
            var errors = findings.Count(f => f.Severity == FindingSeverity.Error);
            var warnings = findings.Count - errors;
            var output = _console.Profile.Out.Writer;
            if (r.GetValue(_json))
            {
                var body = new JsonObject
                {
                    ["file"] = path,
                    ["valid"] = errors == 0,
                    ["errors"] = errors,
                    ["warnings"] = warnings,
                    ["findings"] = new JsonArray([.. findings.Select(f => (JsonNode)new JsonObject
                    {
                        ["line"] = f.Line, ["column"] = f.Column, ["severity"] = f.Severity == FindingSeverity.Error ? "error" : "warning",
                        ["code"] = f.Code, ["message"] = f.Message,
                    })]),
                };
                await output.WriteLineAsync(body.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                foreach (var f in findings)
                    await output.WriteLineAsync($"{path}:{f.Line}:{f.Column}: {(f.Severity == FindingSeverity.Error ? "error" : "warning")} {f.Code}: {f.Message}");
                await output.WriteLineAsync($"{path}: {(errors == 0 ? "valid" : "invalid")}, {Plural(errors, "error")}, {Plural(warnings, "warning")}.");
            }
            return errors == 0 ? Ok : Refused;
        });
        var tenant = new Command("tenant", "Municipalities as files: validate, plan, apply, list, show, disable, rollback, keys, smoke tests") { validate };
        foreach (var command in TenantWorkflowCommands().Concat(TenantKeyCommands()).Concat(TenantSmokeTestCommands()))
            tenant.Subcommands.Add(command);
        return tenant;
    }

    private sealed record RemoteFinding(int Line, int Column, string Severity, string Code, string Message);

    private sealed record RemoteFindings(List<RemoteFinding> Findings);

    private static string Plural(int n, string word) => $"{n} {word}{(n == 1 ? "" : "s")}";

    /// <summary>Runs one command against the hub and turns refusals, usage errors and connection failures into exit codes.</summary>
    private async Task<int> RunAsync(ParseResult parsed, CancellationToken ct, Func<HubClient, bool, Task<int>> command)
    {
        HttpClient? owned = null;
        try
        {
            var http = _http;
            if (http is null)
            {
                var hub = parsed.GetValue(_hub)!;
                if (!Uri.TryCreate(hub.TrimEnd('/') + "/", UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
                    throw new UsageException($"--hub must be an http(s) URL, e.g. {DefaultHub}.");
                // Minutes, not seconds: applying a folder of municipalities generates their RSA keys (about a second each).
                http = owned = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(10) };
            }
            return await command(new HubClient(http, parsed.GetValue(_apiKey)), parsed.GetValue(_json));
        }
        catch (UsageException e)
        {
            await _error.WriteLineAsync(e.Message);
            return Usage;
        }
        catch (HubRefusedException e)
        {
            await _error.WriteLineAsync(e.Detail is null ? e.Title : $"{e.Title}: {e.Detail}");
            return Refused;
        }
        catch (HubUnreachableException e)
        {
            await _error.WriteLineAsync(e.Message);
            return Unreachable;
        }
        catch (JsonException)
        {
            await _error.WriteLineAsync($"The answer is not the operations API's JSON: is --hub the hub's address?");
            return Unreachable;
        }
        finally
        {
            owned?.Dispose();
        }
    }

    private int Json(string body)
    {
        var node = JsonNode.Parse(body);
        _console.Profile.Out.Writer.WriteLine(node?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null");
        return Ok;
    }

    private static string Query(IEnumerable<(string Name, string? Value)> parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join("&", present);
    }

    private static string Invariant(int n) => n.ToString(CultureInfo.InvariantCulture);
}
