using System.Text.Json.Nodes;
using IntegrationHub.Cli;
using IntegrationHub.Operations;
using Spectre.Console;

namespace IntegrationHub.EndToEndTests;

/// <summary>hubctl in-process against the hub's operations API (stand-in services): output, --json, exit codes, replay's polling.</summary>
[Collection(OperationsApiCollection.Name)]
public sealed class HubctlTests(OperationsApiFixture hub)
{
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    private async Task<int> RunAsync(string key, params string[] args)
    {
        var hubctl = new Hubctl(HubctlRunner.PlainConsole(_output), _error, hub.Factory.CreateClient(), TimeSpan.FromMilliseconds(20));
        return await hubctl.RunAsync([.. args, "--api-key", key]);
    }

    [Fact]
    public async Task Failed_groups_shows_a_table_with_the_groups_titles()
    {
        var exit = await RunAsync(OperationsApiFixture.ReaderKey, "failed", "groups", "--by", "target");

        exit.Should().Be(Hubctl.Ok, _error.ToString());
        _output.ToString().Should().Contain(FakeFailedMessages.ProsozGroupTitle).And.Contain(FakeFailedMessages.ProsozGroupKey).And.Contain("Unresolved");
        hub.FailedMessages.Last<(FailureGrouping, FailedMessageFilter)>("groups").Item1.Should().Be(FailureGrouping.Target);
    }

    [Fact]
    public async Task Json_prints_the_apis_json()
    {
        var exit = await RunAsync(OperationsApiFixture.ReaderKey, "failed", "groups", "--json");

        exit.Should().Be(Hubctl.Ok, _error.ToString());
        var groups = JsonNode.Parse(_output.ToString())!.AsArray();
        groups.Should().HaveCount(2);
        groups[0]!["key"]!.GetValue<string>().Should().Be(FakeFailedMessages.ProsozGroupKey);
        groups[0]!["unresolved"]!.GetValue<int>().Should().Be(11);
    }

    [Fact]
    public async Task Failed_list_passes_the_filter_options_as_query_parameters()
    {
        var exit = await RunAsync(OperationsApiFixture.ReaderKey, "failed", "list", "--target", "prosoz", "--ars", HubFixture.Offenbach,
            "--status", "unresolved", "--status", "retryIssued", "--limit", "5");

        exit.Should().Be(Hubctl.Ok, _error.ToString());
        var (filter, _, limit) = hub.FailedMessages.Last<(FailedMessageFilter, int, int)>("list");
        filter.Target.Should().Be("prosoz");
        filter.Ars.Should().Be(HubFixture.Offenbach);
        filter.Statuses.Should().Equal(FailedMessageStatus.Unresolved, FailedMessageStatus.RetryIssued);
        limit.Should().Be(5);
        _output.ToString().Should().Contain(FakeFailedMessages.KnownId.ToString()).And.Contain("1 of 1 failed messages");
    }

    [Fact]
    public async Task Failed_retry_group_asks_the_api_to_retry_that_group()
    {
        var exit = await RunAsync(OperationsApiFixture.OperatorKey, "failed", "retry", "--group", FakeFailedMessages.ProsozGroupKey, "--redirect-to", "prosoz-backup");

        exit.Should().Be(Hubctl.Ok, _error.ToString());
        var (selection, redirectTo) = hub.FailedMessages.Last<(FailedMessageSelection, string?)>("retry");
        selection.Filter.Should().Be(new FailedMessageFilter(Group: FakeFailedMessages.ProsozGroupKey));
        redirectTo.Should().Be("prosoz-backup");
        _output.ToString().Should().Contain("running").And.Contain("of 3");
    }

    [Fact]
    public async Task Failed_archive_by_ids_prints_the_count()
    {
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid() };

        var exit = await RunAsync(OperationsApiFixture.OperatorKey, "failed", "archive", ids[0].ToString(), ids[1].ToString());

        exit.Should().Be(Hubctl.Ok, _error.ToString());
        hub.FailedMessages.Last<FailedMessageSelection>("archive").Ids.Should().Equal(ids);
        _output.ToString().Should().Contain("Archived 2 failed messages.");
    }

    [Fact]
    public async Task Replay_polls_the_batch_until_it_completes()
    {
        var exit = await RunAsync(OperationsApiFixture.OperatorKey, "replay", "--group", FakeFailedMessages.ProsozGroupKey);

        exit.Should().Be(Hubctl.Ok, _error.ToString());
        var batchId = hub.FailedMessages.Calls.Last(c => c.Call == "batch").Argument;
        hub.FailedMessages.Calls.Count(c => c.Call == "batch" && Equals(c.Argument, batchId)).Should().Be(3, "the batch advances one message per read");
        _output.ToString().Should().Contain("completed: 2 issued, 1 skipped (already succeeded) of 3");
    }

    [Fact]
    public async Task Replay_with_json_prints_the_final_batch()
    {
        var exit = await RunAsync(OperationsApiFixture.OperatorKey, "replay", "--target", "prosoz", "--json");

        exit.Should().Be(Hubctl.Ok, _error.ToString());
        var batch = JsonNode.Parse(_output.ToString())!;
        batch["status"]!.GetValue<string>().Should().Be("completed");
        (batch["issued"]!.GetValue<int>() + batch["skipped"]!.GetValue<int>()).Should().Be(batch["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Submissions_show_finds_by_aktenzeichen_and_prints_the_timeline()
    {
        var exit = await RunAsync(OperationsApiFixture.ReaderKey, "submissions", "show", FakeOperationsOverview.Aktenzeichen);

        exit.Should().Be(Hubctl.Ok, _error.ToString());
        _output.ToString().Should().Contain(FakeOperationsOverview.SubmissionId.ToString()).And.Contain("bescheid").And.Contain("bewilligt");
        (await RunAsync(OperationsApiFixture.ReaderKey, "submissions", "show", "no-such-case")).Should().Be(Hubctl.Refused);
    }

    [Fact]
    public async Task A_refused_call_exits_1_with_the_problems_title()
    {
        var exit = await RunAsync(OperationsApiFixture.OperatorKey, "failed", "retry", FakeFailedMessages.KnownId.ToString(), "--redirect-to", FakeFailedMessages.UnknownTarget);

        exit.Should().Be(Hubctl.Refused);
        _error.ToString().Should().Contain(FakeFailedMessages.RedirectRefused.Title).And.Contain("not configured");
    }

    [Fact]
    public async Task A_reader_retrying_exits_1_with_the_forbidden_title()
    {
        var exit = await RunAsync(OperationsApiFixture.ReaderKey, "failed", "retry", "--group", FakeFailedMessages.ProsozGroupKey);

        exit.Should().Be(Hubctl.Refused);
        _error.ToString().Should().Contain("The operator's role does not allow this").And.Contain("operator role");
    }

    [Theory]
    [InlineData("failed", "retry")]
    [InlineData("failed", "show", "not-a-guid")]
    [InlineData("failed", "groups", "--by", "weather")]
    [InlineData("failed")]
    public async Task Usage_errors_exit_2_without_calling_the_hub(params string[] args)
    {
        var before = hub.FailedMessages.Calls.Count;

        var exit = await RunAsync(OperationsApiFixture.OperatorKey, args);

        exit.Should().Be(Hubctl.Usage);
        _error.ToString().Should().NotBeEmpty();
        hub.FailedMessages.Calls.Count.Should().Be(before);
    }

    [Fact]
    public async Task An_unreachable_hub_exits_3()
    {
        var hubctl = new Hubctl(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_output) }), _error);

        var exit = await hubctl.RunAsync(["failed", "groups", "--hub", "http://127.0.0.1:1", "--api-key", OperationsApiFixture.ReaderKey]);

        exit.Should().Be(Hubctl.Unreachable);
        _error.ToString().Should().Contain("Cannot reach the hub at http://127.0.0.1:1/");
    }
}
