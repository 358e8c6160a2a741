using System.Text.Json;
using IntegrationHub.Observability;
using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Parsing;

namespace IntegrationHub.UnitTests.Observability;

/// <summary>The console's format and level by configuration (Logging:Format, Logging:ConsoleMinimumLevel).</summary>
public sealed class HubLoggingTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Fact]
    public void Json_format_writes_each_event_as_one_JSON_object_with_the_rendered_message_and_the_properties()
    {
        var formatter = HubLogging.ConsoleFormatter(Settings(("Logging:Format", "json")));
        var submissionId = Guid.NewGuid();
        var logEvent = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Warning, null, new MessageTemplateParser().Parse("Delivery of {SubmissionId} to {Target} failed"),
            [new LogEventProperty("SubmissionId", new ScalarValue(submissionId)), new LogEventProperty("Target", new ScalarValue("prosoz"))]);

        using var output = new StringWriter();
        formatter!.Format(logEvent, output);

        output.ToString().Should().EndWith(Environment.NewLine).And.Subject.TrimEnd().Should().NotContain("\n", "one event, one line");
        var json = JsonDocument.Parse(output.ToString()).RootElement;
        json.GetProperty("Level").GetString().Should().Be("Warning");
        json.GetProperty("MessageTemplate").GetString().Should().Be("Delivery of {SubmissionId} to {Target} failed");
        json.GetProperty("RenderedMessage").GetString().Should().Be($"Delivery of {submissionId} to \"prosoz\" failed");
        json.GetProperty("Properties").GetProperty("SubmissionId").GetString().Should().Be(submissionId.ToString());
        json.GetProperty("Properties").GetProperty("Target").GetString().Should().Be("prosoz");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("text")]
    public void Text_is_the_default_and_rendered_by_the_console_with_its_template(string? format)
    {
        var settings = format is null ? Settings() : Settings(("Logging:Format", format));
        HubLogging.ConsoleFormatter(settings).Should().BeNull();
        using var logger = HubLogging.Configure(new LoggerConfiguration(), settings).CreateLogger();
    }

    [Fact]
    public void An_unknown_format_stops_the_start_naming_the_setting_and_the_choices()
    {
        var start = () => HubLogging.Configure(new LoggerConfiguration(), Settings(("Logging:Format", "xml")));
        start.Should().Throw<InvalidOperationException>().WithMessage("Logging:Format is 'xml': use 'text' or 'json'.");
    }

    [Theory]
    [InlineData("Loud")]
    [InlineData("42")]
    public void An_unknown_console_level_stops_the_start_naming_the_setting(string level)
    {
        var start = () => HubLogging.Configure(new LoggerConfiguration(), Settings(("Logging:ConsoleMinimumLevel", level)));
        start.Should().Throw<InvalidOperationException>().WithMessage($"Logging:ConsoleMinimumLevel is '{level}'*");
    }

    [Fact]
    public void Levels_come_from_the_Serilog_section_with_its_overrides()
    {
        var settings = Settings(("Serilog:MinimumLevel:Default", "Information"), ("Serilog:MinimumLevel:Override:Microsoft", "Warning"),
            ("Logging:Format", "json"), ("Logging:ConsoleMinimumLevel", "Error"));
        using var logger = HubLogging.Configure(new LoggerConfiguration(), settings).CreateLogger();

        logger.IsEnabled(LogEventLevel.Information).Should().BeTrue();
        logger.IsEnabled(LogEventLevel.Debug).Should().BeFalse();
        logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Microsoft.AspNetCore.Routing").IsEnabled(LogEventLevel.Information).Should().BeFalse();
    }
}
