using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Cli;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Procedures;
using IntegrationHub.Tenancy.Onboarding.SmokeTests;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The console's hub (real port, test operators) with a short smoke-test timeout, a Prosoz-like target that fails fast,
/// and a third municipality (Wiesbaden) whose Prosoz target's real endpoint is a dead port while its test endpoint is
/// the simulator.
/// </summary>
public sealed class SmokeTestHubFixture : ConsoleHubFixture
{
    public const string Wiesbaden = "064140000000";
    public static readonly Guid WiesbadenSozialhilfe = Guid.Parse("5a0c3e4b-6f0e-4d7e-9a51-2b8f0c6d1e11");
    public const string TestModeTarget = "prosoz-test-mode";
    public static readonly TimeSpan SmokeTimeout = TimeSpan.FromSeconds(15);

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
        base.Settings(simulators).Concat(new Dictionary<string, string>
        {
            ["Hub:Onboarding:SmokeTest:Timeout"] = SmokeTimeout.ToString(),
            ["Hub:Targets:prosoz:Timeout"] = "00:00:05",
            ["Hub:Targets:prosoz:Resilience:MaxRetries"] = "0",
            ["Hub:Targets:prosoz:Redelivery:InitialBackoff"] = "00:00:01",
            ["Hub:Targets:prosoz:Redelivery:MaxBackoff"] = "00:00:02",
            [$"Hub:Targets:{TestModeTarget}:Kind"] = "Prosoz",
            // Nothing listens on port 9 of the loopback: the real endpoint is unreachable.
            [$"Hub:Targets:{TestModeTarget}:BaseUrl"] = "http://127.0.0.1:9/prosoz/",
            [$"Hub:Targets:{TestModeTarget}:TestEndpoint"] = new Uri(simulators.BaseAddress, "prosoz/").ToString(),
            [$"Hub:Targets:{TestModeTarget}:Timeout"] = "00:00:05",
            [$"Hub:Targets:{TestModeTarget}:Resilience:MaxRetries"] = "0",
            ["Hub:Tenants:2:Ars"] = Wiesbaden,
            ["Hub:Tenants:2:Name"] = "Landeshauptstadt Wiesbaden",
            ["Hub:Tenants:2:Destinations:0:Id"] = WiesbadenSozialhilfe.ToString(),
            ["Hub:Tenants:2:Destinations:0:Services:0:LeikaKey"] = "99079005000000",
            ["Hub:Tenants:2:Destinations:0:Services:0:Name"] = "Grundsicherung / Hilfe zum Lebensunterhalt (SGB XII)",
            ["Hub:Tenants:2:Destinations:0:Services:0:SchemaUri"] = "urn:integrationhub:xoev:sozialhilfe:1.0",
            ["Hub:Tenants:2:Routes:0:LeikaKey"] = "99079005000000",
            ["Hub:Tenants:2:Routes:0:Targets:0"] = TestModeTarget,
        });
}

/// <summary>Smoke tests of a municipality: API, hubctl and console, on green and red paths.</summary>
public sealed class SmokeTestFlowTests(SmokeTestHubFixture hub) : IClassFixture<SmokeTestHubFixture>, IAsyncLifetime
{
    private const string Api = "api/v1/operations/municipalities";
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();
    private FaultInjection ProsozFaults => hub.Simulators.Prosoz.Faults;

    public Task InitializeAsync()
    {
        ProsozFaults.Reset();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        ProsozFaults.Reset();
        return Task.CompletedTask;
    }

    private HttpClient Client(string key)
    {
        var http = new HttpClient { BaseAddress = hub.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return http;
    }

    private async Task<JsonObject> RunAsync(string ars, string key = ConsoleHubFixture.OperatorKey)
    {
        using var http = Client(key);
        using var started = await http.PostAsync($"{Api}/{ars}/smoke-tests", null);
        started.StatusCode.Should().Be(HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
        var run = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
        run["outcome"]!.GetValue<string>().Should().Be("running");
        started.Headers.Location!.ToString().Should().EndWith($"/smoke-tests/{run["id"]}");
        return await HubFixture.WaitForAsync(
            async () => (await http.GetFromJsonAsync<JsonObject>($"{Api}/{ars}/smoke-tests/{run["id"]}"))!,
            r => r["outcome"]!.GetValue<string>() != "running");
    }

    private static List<(string Service, string Step, bool Passed, string? Detail)> Steps(JsonObject run) =>
        [.. run["services"]!.AsArray().SelectMany(s => s!["steps"]!.AsArray().Select(step => (
            s["leikaKey"]!.GetValue<string>(), step!["name"]!.GetValue<string>(), step["passed"]!.GetValue<bool>(), step["detail"]?.GetValue<string>())))];

    private async Task<int> HubctlAsync(string key, params string[] args)
    {
        var hubctl = new Hubctl(HubctlRunner.PlainConsole(_output), _error, new HttpClient { BaseAddress = hub.BaseAddress }, TimeSpan.FromMilliseconds(100));
        return await hubctl.RunAsync([.. args, "--api-key", key]);
    }

    [Fact]
    public async Task Offenbachs_smoke_test_passes_with_intake_validation_routing_and_every_delivery_green()
    {
        var run = await RunAsync(HubFixture.Offenbach);

        run["outcome"]!.GetValue<string>().Should().Be("passed", run.ToJsonString());
        var steps = Steps(run);
        steps.Should().OnlyContain(s => s.Passed);
        steps.Select(s => (s.Service, s.Step)).Should().Contain([
            ("99107004017000", "intake"), ("99107004017000", "validation"), ("99107004017000", "routing"), ("99107004017000", "handover to marius"),
            ("99079005000000", "intake"), ("99079005000000", "validation"), ("99079005000000", "routing"), ("99079005000000", "handover to prosoz"),
            ("99079005000000", "filing:antrag to dms"),
        ]);

        // The submissions are the smoke-test client's, and the application says it is a test.
        var ids = run["services"]!.AsArray().Select(s => Guid.Parse(s!["submissionId"]!.GetValue<string>())).ToList();
        var senders = await hub.InLedgerAsync(db => db.Submissions.Where(s => ids.Contains(s.Id)).Select(s => s.SenderClientId).ToListAsync());
        senders.Should().Equal(SmokeTestClient.ClientId, SmokeTestClient.ClientId);
        hub.Simulators.Prosoz.CaseCountFor(ids[1]).Should().Be(1);
        var audited = await hub.InLedgerAsync(db => db.OperatorAudit.AnyAsync(e => e.Action == "smoke-test-start" && e.Subject == HubFixture.Offenbach && e.Actor == "console-operator"));
        audited.Should().BeTrue();
    }

    [Fact]
    public async Task With_Prosoz_in_outage_the_prosoz_step_is_red_with_the_targets_error_and_the_smoke_test_fails()
    {
        ProsozFaults.OutageFor(TimeSpan.FromMinutes(5));

        var run = await RunAsync(HubFixture.Offenbach);

        run["outcome"]!.GetValue<string>().Should().Be("failed");
        var steps = Steps(run);
        var prosoz = steps.Should().ContainSingle(s => s.Step == "handover to prosoz").Subject;
        prosoz.Passed.Should().BeFalse();
        // The target's own error: its 503, or the open circuit after a run of them.
        prosoz.Detail.Should().MatchRegex("^not delivered within 15 s: prosoz (answered 503|is failing; its circuit is open)");
        steps.Where(s => s.Service == "99107004017000").Should().OnlyContain(s => s.Passed, "Wohngeld goes to Marius, which is up");
        steps.Should().Contain(s => s.Service == "99079005000000" && s.Step == "validation" && s.Passed);
    }

    [Fact]
    public async Task A_targets_test_endpoint_takes_the_smoke_tests_application_while_real_submissions_go_to_the_real_endpoint()
    {
        var run = await RunAsync(SmokeTestHubFixture.Wiesbaden);

        run["outcome"]!.GetValue<string>().Should().Be("passed", run.ToJsonString());
        Steps(run).Should().Contain(s => s.Step == $"handover to {SmokeTestHubFixture.TestModeTarget}" && s.Passed);
        var smokeId = Guid.Parse(run["services"]![0]!["submissionId"]!.GetValue<string>());
        hub.Simulators.Prosoz.CaseCountFor(smokeId).Should().Be(1, "the test endpoint is the simulator");

        // A citizen's application to the same municipality is delivered to the real endpoint (a dead port here).
        var outcome = await hub.Sender().SubmitAsync(
            IntegrationHub.Simulators.EfA.ApplicationFactory.Sozialhilfe(SmokeTestHubFixture.Wiesbaden, "65183", "Wiesbaden", seed: 4242),
            SmokeTestHubFixture.WiesbadenSozialhilfe);
        outcome.SubmitStatus.Should().Be(202);
        var delivery = await HubFixture.WaitForAsync(
            () => hub.InLedgerAsync(db => db.Deliveries.AsNoTracking().FirstOrDefaultAsync(d => d.SubmissionId == outcome.SubmissionId)),
            d => d is { LastError: not null });
        delivery!.Status.Should().NotBe(DeliveryStatus.Delivered);
        delivery.LastError.Should().NotBeNull();
        hub.Simulators.Prosoz.CaseCountFor(outcome.SubmissionId!.Value).Should().Be(0);
    }

    [Fact]
    public async Task Hubctl_smoke_test_prints_green_steps_and_exits_0_when_passed()
    {
        var exit = await HubctlAsync(ConsoleHubFixture.OperatorKey, "tenant", "smoke-test", HubFixture.Darmstadt, "--timeout", "60s");

        exit.Should().Be(Hubctl.Ok, _output + _error.ToString());
        var output = _output.ToString();
        output.Should().Contain("✔ intake: accepted for processing (202)").And.Contain("✔ validation").And.Contain("✔ handover to prosoz")
            .And.Contain("✔ handover to marius").And.Contain("Smoke test passed.").And.NotContain("✘");
    }

    [Fact]
    public async Task Hubctl_smoke_test_prints_the_red_step_with_its_reason_and_exits_1_when_failed()
    {
        ProsozFaults.OutageFor(TimeSpan.FromMinutes(5));

        var exit = await HubctlAsync(ConsoleHubFixture.OperatorKey, "tenant", "smoke-test", HubFixture.Darmstadt, "--timeout", "60s");

        exit.Should().Be(Hubctl.Refused, _output + _error.ToString());
        _output.ToString().Should().MatchRegex("✘ handover to prosoz – not delivered within 15 s: prosoz (answered 503|is failing; its circuit is open)")
            .And.Contain("✔ handover to marius").And.Contain("Smoke test failed.");
    }

    [Fact]
    public async Task Hubctl_smoke_test_json_prints_the_report_and_no_wait_only_starts()
    {
        var exit = await HubctlAsync(ConsoleHubFixture.OperatorKey, "tenant", "smoke-test", HubFixture.Darmstadt, "--json");
        exit.Should().Be(Hubctl.Ok, _output + _error.ToString());
        var report = JsonNode.Parse(_output.ToString())!.AsObject();
        report["outcome"]!.GetValue<string>().Should().Be("passed");
        report["services"]!.AsArray().Should().HaveCount(2);

        _output.GetStringBuilder().Clear();
        exit = await HubctlAsync(ConsoleHubFixture.OperatorKey, "tenant", "smoke-test", HubFixture.Darmstadt, "--no-wait");
        exit.Should().Be(Hubctl.Ok, _error.ToString());
        _output.ToString().Should().MatchRegex("Smoke test [0-9a-f-]{36} of 064110000000 started");
    }

    [Fact]
    public async Task Hubctl_refuses_an_unknown_municipality_and_a_reader()
    {
        var exit = await HubctlAsync(ConsoleHubFixture.OperatorKey, "tenant", "smoke-test", "099999999999");
        exit.Should().Be(Hubctl.Refused);
        _error.ToString().Should().Contain("No such municipality");

        exit = await HubctlAsync(ConsoleHubFixture.ReaderKey, "tenant", "smoke-test", HubFixture.Offenbach);
        exit.Should().Be(Hubctl.Refused);
        _error.ToString().Should().Contain("The operator's role does not allow this");

        exit = await HubctlAsync(ConsoleHubFixture.OperatorKey, "tenant", "smoke-test", HubFixture.Offenbach, "--timeout", "soon");
        exit.Should().Be(Hubctl.Usage);
    }

    [Fact]
    public async Task The_api_lists_runs_newest_first_hides_other_municipalities_and_answers_unknown_runs_with_a_problem()
    {
        var first = await RunAsync(HubFixture.Darmstadt);
        var second = await RunAsync(HubFixture.Darmstadt);

        using var reader = Client(ConsoleHubFixture.ReaderKey);
        var list = (await reader.GetFromJsonAsync<JsonArray>($"{Api}/{HubFixture.Darmstadt}/smoke-tests"))!;
        var ids = list.Select(r => r!["id"]!.GetValue<string>()).ToList();
        ids.IndexOf(second["id"]!.GetValue<string>()).Should().BeLessThan(ids.IndexOf(first["id"]!.GetValue<string>()));

        using var unknownRun = await reader.GetAsync($"{Api}/{HubFixture.Darmstadt}/smoke-tests/{Guid.NewGuid()}");
        unknownRun.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await unknownRun.Content.ReadAsStringAsync()).Should().Contain("urn:integrationhub:problem:smoke-test-not-found");

        using var darmstadtReader = Client(ConsoleHubFixture.DarmstadtReaderKey);
        using var hidden = await darmstadtReader.GetAsync($"{Api}/{HubFixture.Offenbach}/smoke-tests");
        hidden.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await hidden.Content.ReadAsStringAsync()).Should().Contain("urn:integrationhub:problem:municipality-unknown");

        using var operatorClient = Client(ConsoleHubFixture.OperatorKey);
        using var unknown = await operatorClient.PostAsync($"{Api}/099999999999/smoke-tests", null);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        using var byReader = await reader.PostAsync($"{Api}/{HubFixture.Offenbach}/smoke-tests", null);
        byReader.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_run_left_running_by_a_stopped_hub_is_shown_failed_as_interrupted()
    {
        var id = Guid.NewGuid();
        await hub.InLedgerAsync(async db =>
        {
            db.SmokeTests.Add(new IntegrationHub.Tenancy.Onboarding.SmokeTestRun
            {
                Id = id, Ars = HubFixture.Darmstadt, StartedBy = "console-operator", StartedAt = DateTimeOffset.UtcNow.AddHours(-1), Outcome = "running",
            });
            return await db.SaveChangesAsync();
        });

        using var reader = Client(ConsoleHubFixture.ReaderKey);
        var run = (await reader.GetFromJsonAsync<JsonObject>($"{Api}/{HubFixture.Darmstadt}/smoke-tests/{id}"))!;

        run["outcome"]!.GetValue<string>().Should().Be("failed");
        run["problem"]!.GetValue<string>().Should().StartWith("interrupted");
        (await hub.InLedgerAsync(db => db.SmokeTests.SingleAsync(r => r.Id == id))).FinishedAt.Should().NotBeNull();
    }

    [Fact]
    public async Task The_console_lists_municipalities_with_their_last_smoke_test_and_shows_its_steps()
    {
        var run = await RunAsync(HubFixture.Offenbach);
        using var session = new ConsoleSession(hub.BaseAddress);
        (await session.LoginAsync(ConsoleHubFixture.ReaderKey)).StatusCode.Should().Be(HttpStatusCode.Redirect);

        var (status, list) = await session.PageAsync("/ops/municipalities");
        status.Should().Be(HttpStatusCode.OK);
        list.Should().Contain("<h1>Municipalities</h1>").And.Contain("<a href=\"/ops/municipalities\">Municipalities</a>")
            .And.Contain("Stadt Offenbach am Main").And.Contain("Wissenschaftsstadt Darmstadt").And.Contain("Landeshauptstadt Wiesbaden");
        var row = list[list.IndexOf($"<tr id=\"m-{HubFixture.Offenbach}\"")..];
        row = row[..row.IndexOf("</tr>")];
        row.Should().Contain("<td>settings</td>").And.Contain("<td>active</td>").And.Contain("<td class=\"num\">2</td>").And.Contain(run["outcome"]!.GetValue<string>());

        var (pageStatus, page) = await session.PageAsync($"/ops/municipalities/{HubFixture.Offenbach}");
        pageStatus.Should().Be(HttpStatusCode.OK);
        page.Should().Contain("<h1>Stadt Offenbach am Main</h1>").And.Contain(HubFixture.OffenbachSozialhilfe.ToString())
            .And.Contain($"id=\"run-{run["id"]}\"").And.Contain("handover to prosoz").And.Contain("✔ green")
            .And.NotContain("Run smoke test", "a reader may not start one");

        var before = await hub.InLedgerAsync(db => db.SmokeTests.CountAsync(r => r.Ars == HubFixture.Offenbach));
        using var refused = await session.PostAsync($"/ops/municipalities/{HubFixture.Offenbach}", $"/ops/municipalities/{HubFixture.Offenbach}/smoke-tests", []);
        refused.StatusCode.Should().BeOneOf(HttpStatusCode.Redirect, HttpStatusCode.Forbidden);
        if (refused.StatusCode == HttpStatusCode.Redirect) refused.Headers.Location!.PathAndQuery().Should().StartWith("/ops/denied");
        (await hub.InLedgerAsync(db => db.SmokeTests.CountAsync(r => r.Ars == HubFixture.Offenbach))).Should().Be(before);
    }

    [Fact]
    public async Task An_operator_starts_a_smoke_test_from_the_console_and_a_limited_reader_sees_only_their_municipality()
    {
        using var session = new ConsoleSession(hub.BaseAddress);
        (await session.LoginAsync(ConsoleHubFixture.OperatorKey)).StatusCode.Should().Be(HttpStatusCode.Redirect);
        var page = (await session.PageAsync($"/ops/municipalities/{HubFixture.Darmstadt}")).Html;
        page.Should().Contain("id=\"run-smoke-test\"").And.Contain("Run smoke test");

        using var noToken = await session.PostAsync($"/ops/municipalities/{HubFixture.Darmstadt}", $"/ops/municipalities/{HubFixture.Darmstadt}/smoke-tests", [], withToken: false);
        noToken.StatusCode.Should().Be(HttpStatusCode.BadRequest);

        using var started = await session.PostAsync($"/ops/municipalities/{HubFixture.Darmstadt}", $"/ops/municipalities/{HubFixture.Darmstadt}/smoke-tests", []);
        started.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var location = started.Headers.Location!.PathAndQuery();
        location.Should().StartWith($"/ops/municipalities/{HubFixture.Darmstadt}?done=");
        var running = (await session.PageAsync(location)).Html;
        running.Should().Contain("started.");
        var latest = await hub.InLedgerAsync(db => db.SmokeTests.Where(r => r.Ars == HubFixture.Darmstadt).OrderByDescending(r => r.StartedAt).FirstAsync());
        latest.StartedBy.Should().Be("console-operator");
        await hub.Factory.Services.GetRequiredService<SmokeTestRunner>().WhenFinished(latest.Id);

        using var limited = new ConsoleSession(hub.BaseAddress);
        (await limited.LoginAsync(ConsoleHubFixture.DarmstadtReaderKey)).StatusCode.Should().Be(HttpStatusCode.Redirect);
        var list = (await limited.PageAsync("/ops/municipalities")).Html;
        list.Should().Contain("Wissenschaftsstadt Darmstadt").And.NotContain("Stadt Offenbach am Main");
        (await limited.PageAsync($"/ops/municipalities/{HubFixture.Offenbach}")).Status.Should().Be(HttpStatusCode.NotFound);
    }
}
