using System.Collections.Concurrent;
using System.Net;
using IntegrationHub.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub with a logger provider beside Serilog that keeps the request lines of Serilog's request logging.</summary>
public sealed class RequestLoggingHubFixture : HubFixture
{
    public RequestLines Lines { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(Lines);
}

/// <summary>One request line: its rendered message and its properties, each rendered as text.</summary>
public sealed record RequestLine(LogLevel Level, string Message, IReadOnlyDictionary<string, string> Properties)
{
    public override string ToString() => $"{Level} {Message} | {string.Join("; ", Properties.Select(p => $"{p.Key}={p.Value}"))}";
}

/// <summary>Keeps what Serilog's request logging writes (the other categories are the capture's business).</summary>
public sealed class RequestLines : ILoggerProvider
{
    public const string Category = "Serilog.AspNetCore.RequestLoggingMiddleware";
    private readonly ConcurrentQueue<RequestLine> _lines = new();

    /// <summary>Where the lines of the requests to come begin.</summary>
    public int Mark() => _lines.Count;

    /// <summary>The first line after <paramref name="mark"/> for that method, route and status, waiting for it a little
    /// (the line is written when the response has gone).</summary>
    public async Task<RequestLine> OfAsync(int mark, string method, string route, int status)
    {
        var expected = $"{method} {route} {status}";
        for (var i = 0; i < 50; i++)
        {
            var line = _lines.Skip(mark).FirstOrDefault(l => expected ==
                $"{l.Properties.GetValueOrDefault("RequestMethod")} {l.Properties.GetValueOrDefault("RequestRoute")} {l.Properties.GetValueOrDefault("StatusCode")}");
            if (line is not null) return line;
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"No request line '{expected}'; seen: {string.Join(" ⏎ ", _lines)}");
    }

    public ILogger CreateLogger(string categoryName) => categoryName == Category ? new Recorder(_lines) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose() { }

    private sealed class Recorder(ConcurrentQueue<RequestLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(new RequestLine(logLevel, formatter(state, exception),
                (state as IEnumerable<KeyValuePair<string, object?>> ?? []).ToDictionary(p => p.Key, p => LogCapture.Render(p.Value))));
    }
}

/// <summary>
/// Serilog's request logging (Serilog.AspNetCore) in the running hub: one line per request with method, route template, status
/// and elapsed time, and the hub's identifiers of the route; never the raw path, the query or a value the caller typed.
/// </summary>
public sealed class RequestLoggingTests(RequestLoggingHubFixture hub) : IClassFixture<RequestLoggingHubFixture>
{
    // What a caller typed into a URL: a path segment, a query. ASP.NET Core's own request events (Microsoft.AspNetCore at
    // Warning by default, at Debug in the capture) quote the raw target, so these are markers, not personal data: the privacy
    // scan reads this hub's capture too.
    private const string Typed = "typed-by-the-caller";
    private const string Query = "?note=query-by-the-caller";

    [Fact]
    public async Task A_request_line_has_method_route_template_status_elapsed_time_and_the_destination_id_but_not_the_query()
    {
        var mark = hub.Lines.Mark();
        var response = await hub.Factory.CreateClient().GetAsync($"/v1/destinations/{HubFixture.OffenbachWohngeld}{Query}");
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        var line = await hub.Lines.OfAsync(mark, "GET", "/v1/destinations/{destinationId:guid}", 200);
        line.Level.Should().Be(LogLevel.Information);
        // Serilog renders the strings of the message quoted (the console's {Message:lj} does not).
        line.Message.Should().MatchRegex(@"^HTTP ""GET"" ""/v1/destinations/\{destinationId:guid\}"" responded 200 in \d+\.\d{4} ms$");
        line.Properties.Should().Contain(new Dictionary<string, string>
        {
            ["RequestMethod"] = "GET", ["RequestRoute"] = "/v1/destinations/{destinationId:guid}", ["StatusCode"] = "200",
            ["DestinationId"] = HubFixture.OffenbachWohngeld.ToString(),
        });
        double.Parse(line.Properties["Elapsed"], System.Globalization.CultureInfo.InvariantCulture).Should().BePositive();
        line.Properties.Should().NotContainKey("RequestPath", "the raw path is the caller's text; the route template says the same without it");
        line.Properties.Should().ContainKey("RequestId", "it ties the events of the request (which carry no path) to this line");
        line.ToString().Should().NotContain("?").And.NotContain("query-by-the-caller");
    }

    [Fact]
    public async Task A_path_that_matches_no_route_is_logged_as_unmatched_not_as_typed()
    {
        var mark = hub.Lines.Mark();
        var response = await hub.Factory.CreateClient().GetAsync($"/v1/citizens/{Typed}{Query}");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);

        var line = await hub.Lines.OfAsync(mark, "GET", HubLogging.UnmatchedRoute, 404);
        line.Properties["RequestRoute"].Should().Be(HubLogging.UnmatchedRoute);
        line.ToString().Should().NotContain("citizens").And.NotContain(Typed).And.NotContain("query-by-the-caller");
    }

    [Fact]
    public async Task A_route_value_that_is_no_identifier_of_the_hub_stays_out_of_the_line()
    {
        // A person's pseudonym in the access protocol, and an ARS route value the caller filled with text: neither is logged.
        var client = hub.Factory.CreateClient();
        var mark = hub.Lines.Mark();
        var protocol = await client.GetAsync($"/api/v1/protocol/persons/{Typed}");
        var municipality = await client.GetAsync($"/api/v1/operations/municipalities/{Typed}");

        var protocolLine = await hub.Lines.OfAsync(mark, "GET", "/api/v1/protocol/persons/{pseudonym}", (int)protocol.StatusCode);
        var municipalityLine = await hub.Lines.OfAsync(mark, "GET", "/api/v1/operations/municipalities/{ars}", (int)municipality.StatusCode);
        protocolLine.ToString().Should().NotContain(Typed);
        municipalityLine.ToString().Should().NotContain(Typed);
        municipalityLine.Properties.Should().NotContainKey("Ars", "an ARS is twelve digits; anything else is the caller's text");
    }

    [Fact]
    public async Task An_ars_and_a_submission_id_of_the_route_are_on_the_line_under_the_names_the_hub_logs_them_with()
    {
        var client = hub.Factory.CreateClient();
        var mark = hub.Lines.Mark();
        var submissionId = Guid.NewGuid();
        var submission = await client.GetAsync($"/v1/submissions/{submissionId}");
        var municipality = await client.GetAsync($"/api/v1/operations/municipalities/{HubFixture.Darmstadt}");

        var submissionLine = await hub.Lines.OfAsync(mark, "GET", "/v1/submissions/{submissionId:guid}", (int)submission.StatusCode);
        submissionLine.Properties.Should().Contain("SubmissionId", submissionId.ToString());
        var municipalityLine = await hub.Lines.OfAsync(mark, "GET", "/api/v1/operations/municipalities/{ars}", (int)municipality.StatusCode);
        municipalityLine.Properties.Should().Contain("Ars", HubFixture.Darmstadt);
    }
}
