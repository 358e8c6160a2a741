using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Json;

namespace IntegrationHub.Observability;

/// <summary>
/// The host's logging is Serilog (Serilog.AspNetCore): levels from the "Serilog" section, the console as text or JSON
/// (Logging:Format), and one line per HTTP request with its route template, status and time. A request line never holds
/// the raw path, the query, a header or a body: only the route template and route values that are identifiers.
/// </summary>
public static partial class HubLogging
{
    public const string TextTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj} {Properties}{NewLine}{Exception}";
    public const string RequestTemplate = "HTTP {RequestMethod} {RequestRoute} responded {StatusCode} in {Elapsed:0.0000} ms";
    /// <summary>The route of a request that matched no endpoint: its path is whatever the caller typed, so it is not logged.</summary>
    public const string UnmatchedRoute = "(unmatched)";

    /// <summary>Serilog for the whole host: every ILogger of the hub, the framework and the libraries writes through it.</summary>
    public static WebApplicationBuilder AddHubLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders(); // Serilog's console replaces the framework's own providers
        // Each host has its own logger (tests run several hubs in one process): the static Log stays untouched. Other
        // ILoggerProviders in the container (the end-to-end tests' capture) receive Serilog's events too.
        builder.Services.AddSerilog((services, logger) => Configure(logger, services.GetRequiredService<IConfiguration>()).ReadFrom.Services(services),
            preserveStaticLogger: true, writeToProviders: true);
        return builder;
    }

    /// <summary>Levels and enrichers from configuration, and the console in the configured format.</summary>
    public static LoggerConfiguration Configure(LoggerConfiguration logger, IConfiguration configuration)
    {
        logger.ReadFrom.Configuration(configuration).Enrich.FromLogContext().Enrich.With<WithoutRawPath>();
        var level = ConsoleMinimumLevel(configuration);
        return ConsoleFormatter(configuration) is { } formatter
            ? logger.WriteTo.Console(formatter, level)
            : logger.WriteTo.Console(outputTemplate: TextTemplate, restrictedToMinimumLevel: level, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Serilog's JSON for Logging:Format=json; null for text (the default), which the console renders with its theme.</summary>
    public static ITextFormatter? ConsoleFormatter(IConfiguration configuration) => configuration["Logging:Format"] switch
    {
        null or "" or "text" => null,
        "json" => new JsonFormatter(renderMessage: true),
        var other => throw new InvalidOperationException($"Logging:Format is '{other}': use 'text' or 'json'."),
    };

    /// <summary>Logging:ConsoleMinimumLevel raises the console's level above Serilog:MinimumLevel (other sinks keep theirs).</summary>
    private static LogEventLevel ConsoleMinimumLevel(IConfiguration configuration) => configuration["Logging:ConsoleMinimumLevel"] is { Length: > 0 } text
        ? Enum.TryParse<LogEventLevel>(text, ignoreCase: true, out var level) && Enum.IsDefined(level) ? level
            : throw new InvalidOperationException($"Logging:ConsoleMinimumLevel is '{text}': use Verbose, Debug, Information, Warning, Error or Fatal.")
        : LogEventLevel.Verbose;

    /// <summary>One line per request at its end (Serilog's request logging), with the hub's identifiers of the route.</summary>
    public static WebApplication UseHubRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            options.MessageTemplate = RequestTemplate;
            options.GetLevel = Level;
            // Not Serilog's RequestPath: a raw path carries what the caller put there (a pseudonym, an unrouted path).
            options.GetMessageTemplateProperties = (context, _, elapsed, status) =>
            [
                new LogEventProperty("RequestMethod", new ScalarValue(context.Request.Method)),
                new LogEventProperty("StatusCode", new ScalarValue(status)),
                new LogEventProperty("Elapsed", new ScalarValue(elapsed)),
            ];
        });
        // Routing has run (WebApplication routes first), so the endpoint is known here; the exception handler clears it later.
        var diagnostics = app.Services.GetRequiredService<IDiagnosticContext>();
        app.Use((context, next) =>
        {
            diagnostics.Set("RequestRoute", Route(context));
            foreach (var (name, property, shape) in Identifiers)
                if (context.GetRouteValue(name) is { } value && shape().IsMatch(value.ToString() ?? "")) diagnostics.Set(property, value.ToString());
            return next(context);
        });
        return app;
    }

    /// <summary>The matched endpoint's route template, or <see cref="UnmatchedRoute"/>.</summary>
    public static string Route(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } template } ? template : UnmatchedRoute;

    /// <summary>
    /// ASP.NET Core puts the raw request path on every event of a request (its hosting scope); a path holds whatever the
    /// caller typed, so it goes. RequestId stays: it ties an event to its request line, which names the route.
    /// </summary>
    private sealed class WithoutRawPath : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory) => logEvent.RemovePropertyIfPresent("RequestPath");
    }

    // Health probes come every few seconds: Debug. A failure (5xx or an exception) is an error.
    private static LogEventLevel Level(HttpContext context, double elapsed, Exception? exception) =>
        exception is not null || context.Response.StatusCode >= StatusCodes.Status500InternalServerError ? LogEventLevel.Error
        : context.Request.Path.StartsWithSegments("/health") ? LogEventLevel.Debug
        : LogEventLevel.Information;

    // Route values that are identifiers, logged under the names the hub's own lines use, and only in their shape: an
    // unconstrained route value is the caller's text. Not the pseudonym of a person, nor the operations API's free ids.
    private static readonly (string Route, string Property, Func<Regex> Shape)[] Identifiers =
    [
        ("submissionId", "SubmissionId", Guid), ("caseId", "CaseId", Guid), ("destinationId", "DestinationId", Guid),
        ("requestId", "RequestId", Guid), ("ars", "Ars", Ars),
    ];

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex Guid();

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex Ars();
}
