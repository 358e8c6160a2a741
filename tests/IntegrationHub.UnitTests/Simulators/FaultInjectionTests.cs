using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Procedures;

namespace IntegrationHub.UnitTests.Simulators;

/// <summary>Run-time faults of the simulators, set in code and through POST/GET/DELETE /_faults/{simulator}.</summary>
public sealed class FaultInjectionTests : IClassFixture<SimulatorServerFixture>, IAsyncLifetime
{
    private readonly SimulatorServerFixture _fixture;

    public FaultInjectionTests(SimulatorServerFixture fixture) => _fixture = fixture;

    private SimulatorServer Server => _fixture.Server;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Server.Prosoz.Faults.Reset();
        Server.Marius.Faults.Reset();
        return Task.CompletedTask;
    }

    [Fact]
    public void A_seeded_error_rate_fails_the_same_calls_every_run_at_about_that_rate()
    {
        static string Pattern()
        {
            var faults = new FaultInjection();
            faults.SetErrorRate(0.5, 503, seed: 42);
            return string.Concat(Enumerable.Range(0, 200).Select(_ => faults.Decide() is FaultDecision.Fail ? 'x' : '.'));
        }

        var first = Pattern();

        Pattern().Should().Be(first);
        first.Count(c => c == 'x').Should().BeInRange(70, 130);
    }

    [Fact]
    public void An_outage_window_between_times_applies_only_inside_it()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));
        var faults = new FaultInjection(clock);
        faults.OutageBetween(clock.Now.AddMinutes(1), clock.Now.AddMinutes(3), OutageMode.Unavailable, TimeSpan.FromSeconds(30));

        faults.Decide().Should().BeOfType<FaultDecision.None>();
        clock.Now = clock.Now.AddMinutes(2);
        faults.Decide().Should().Be(new FaultDecision.Fail(503, TimeSpan.FromSeconds(30), "outage"));
        clock.Now = clock.Now.AddMinutes(1);
        faults.Decide().Should().BeOfType<FaultDecision.None>();
        faults.Outage.Should().BeNull("the window is over");
    }

    [Fact]
    public void Callback_helpers_duplicate_and_swap_callbacks_when_told()
    {
        var faults = new FaultInjection();
        faults.InSendOrder(["1", "2", "3"]).Should().Equal("1", "2", "3");

        faults.DuplicateCallbacks = true;
        faults.OutOfOrderCallbacks = true;

        faults.InSendOrder(["1", "2", "3"]).Should().Equal("3", "3", "2", "2", "1", "1");
        faults.ToSend("a").Should().BeEmpty("the first is held back");
        faults.ToSend("b").Should().Equal("b", "b", "a", "a");
        faults.ToSend("c").Should().BeEmpty();
        faults.ReleaseHeldBack<string>().Should().Be("c");
    }

    [Fact]
    public async Task Error_rate_command_makes_the_procedure_answer_that_status_with_a_problem()
    {
        var state = await Command("prosoz", "{\"errorRate\":1,\"status\":502}");
        state["errorRate"]!.GetValue<double>().Should().Be(1);

        using var answer = await PostCase("prosoz/api/v1/faelle");

        answer.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        answer.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["type"]!.GetValue<string>()
            .Should().Be("urn:integrationhub:simulator:prosoz:fault-injected");
        Server.Prosoz.Faults.InjectedCount.Should().Be(1);
    }

    [Fact]
    public async Task Outage_command_answers_503_with_retry_after_until_it_is_deleted()
    {
        await Command("marius", "{\"outage\":\"00:02:00\",\"retryAfter\":\"00:00:07\"}");

        using (var during = await PostCase("marius/api/v1/antraege"))
        {
            during.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            during.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(7));
        }

        var read = JsonNode.Parse(await _fixture.Client.GetStringAsync("_faults/marius"))!;
        read["outage"]!["mode"]!.GetValue<string>().Should().Be("unavailable");
        using (var deleted = await _fixture.Client.DeleteAsync("_faults/marius"))
            deleted.StatusCode.Should().Be(HttpStatusCode.OK);

        using var after = await PostCase("marius/api/v1/antraege");
        after.StatusCode.Should().NotBe(HttpStatusCode.ServiceUnavailable, "the outage is over; the body itself is then refused as not XML");
        ((int)after.StatusCode).Should().BeInRange(400, 499);
    }

    [Fact]
    public async Task An_outage_that_drops_connections_gives_the_caller_a_transport_error()
    {
        await Command("prosoz", "{\"outage\":60,\"outageMode\":\"drop\"}");

        var act = () => PostCase("prosoz/api/v1/faelle");

        await act.Should().ThrowAsync<HttpRequestException>();
    }

    [Fact]
    public async Task A_hanging_call_runs_into_the_callers_timeout()
    {
        await Command("prosoz", "{\"hang\":\"00:00:10\",\"hangCount\":1}");
        using var client = new HttpClient { BaseAddress = Server.BaseAddress, Timeout = TimeSpan.FromMilliseconds(300) };

        var act = () => client.PostAsync("prosoz/api/v1/faelle", new StringContent("<x/>", Encoding.UTF8, "application/xml"));

        await act.Should().ThrowAsync<TaskCanceledException>();
        Server.Prosoz.Faults.Describe()["pendingHangs"]!.GetValue<int>().Should().Be(0);
    }

    [Fact]
    public async Task A_slow_answer_body_trickles_in()
    {
        await Command("prosoz", "{\"slowResponseBytesPerSecond\":400}");
        var clock = Stopwatch.StartNew();

        using var answer = await PostCase("prosoz/api/v1/faelle");
        var body = await answer.Content.ReadAsByteArrayAsync();

        body.Length.Should().BeGreaterThan(200, "a problem document of a few hundred bytes");
        clock.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(body.Length / 400.0 * 0.8));
    }

    [Fact]
    public async Task The_concurrency_peak_is_measured()
    {
        Server.Prosoz.Faults.HangNext(3, TimeSpan.FromMilliseconds(300));

        await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ => { using var r = await PostCase("prosoz/api/v1/faelle"); }));

        Server.Prosoz.Faults.MaxCallsInFlight.Should().Be(3);
        Server.Prosoz.Faults.CallsInFlight.Should().Be(0);
    }

    [Fact]
    public async Task Bad_commands_and_unknown_simulators_get_a_problem()
    {
        using (var unknownSetting = await _fixture.Client.PostAsync("_faults/prosoz", Json("{\"errorRate\":0.5,\"explode\":true}")))
        {
            unknownSetting.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            (await unknownSetting.Content.ReadAsStringAsync()).Should().Contain("explode");
        }

        using (var outOfRange = await _fixture.Client.PostAsync("_faults/prosoz", Json("{\"errorRate\":1.5}")))
            outOfRange.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        Server.Prosoz.Faults.ErrorRate.Should().Be(0, "a refused command changes nothing");

        using var unknown = await _fixture.Client.PostAsync("_faults/nobody", Json("{\"errorRate\":0.5}"));
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!["type"]!.GetValue<string>().Should().Be("urn:integrationhub:simulator:faults:simulator-unknown");
    }

    [Fact]
    public async Task All_simulators_faults_can_be_read_at_once()
    {
        await Command("marius", "{\"duplicateCallbacks\":true}");

        var all = JsonNode.Parse(await _fixture.Client.GetStringAsync("_faults"))!;

        all["marius"]!["duplicateCallbacks"]!.GetValue<bool>().Should().BeTrue();
        all["prosoz"]!["duplicateCallbacks"]!.GetValue<bool>().Should().BeFalse();
        Server.Marius.Faults.DuplicateCallbacks.Should().BeTrue();
    }

    private async Task<JsonNode> Command(string simulator, string json)
    {
        using var response = await _fixture.Client.PostAsync($"_faults/{simulator}", Json(json));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }

    private Task<HttpResponseMessage> PostCase(string path) =>
        _fixture.Client.PostAsync(path, new StringContent("not a handover", Encoding.UTF8, "text/plain"));

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
