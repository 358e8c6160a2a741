using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.Operations;

public sealed class OperatorAccessTests
{
    private static OperationsOptions Options(params (string Name, OperatorRole Role, string Key, string[] Ars)[] operators) => new()
    {
        Operators = operators.Select(o => new OperatorKeyOptions { Name = o.Name, Role = o.Role, KeySha256 = OperatorDirectory.HashKey(o.Key), Municipalities = [.. o.Ars] }).ToList(),
    };

    private static OperatorDirectory Directory(OperationsOptions options) => new(new StaticMonitor(options));

    [Fact]
    public void An_api_key_finds_its_operator_with_role_and_municipalities_and_a_wrong_key_finds_nobody()
    {
        var directory = Directory(Options(("ops-a", OperatorRole.Operator, "key-a", ["064110000000"]), ("ops-b", OperatorRole.Admin, "key-b", [])));

        directory.FindByKey("key-a")!.Should().Match<Operator>(o => o.Name == "ops-a" && o.Role == OperatorRole.Operator);
        directory.FindByKey("key-a")!.Municipalities.Should().Equal("064110000000");
        directory.FindByKey("key-b")!.Should().Match<Operator>(o => o.Role == OperatorRole.Admin && o.Municipalities == null);
        directory.FindByKey("key-c").Should().BeNull();
        directory.FindByKey("KEY-A").Should().BeNull("keys are compared exactly");
    }

    [Fact]
    public void Roles_grant_acting_seeing_exception_messages_and_social_data_in_that_order()
    {
        var reader = new Operator("r", OperatorRole.Reader);
        var worker = new Operator("o", OperatorRole.Operator);
        var admin = new Operator("a", OperatorRole.Admin, ["064130000000"]);

        (reader.MayAct, reader.SeesExceptionMessages, reader.SeesSocialData).Should().Be((false, false, false));
        (worker.MayAct, worker.SeesExceptionMessages, worker.SeesSocialData).Should().Be((true, true, false));
        (admin.MayAct, admin.SeesExceptionMessages, admin.SeesSocialData).Should().Be((true, true, true));
        admin.Covers("064130000000").Should().BeTrue();
        admin.Covers("064110000000").Should().BeFalse();
        admin.Covers(null).Should().BeFalse("a message about no municipality is for unscoped operators");
        reader.Covers(null).Should().BeTrue();
    }

    [Fact]
    public void Masking_keeps_the_structure_and_hides_every_value()
    {
        var masked = SocialDataMask.MaskXml("""<antrag xmlns="urn:x" art="WG"><name>Erika Mustermann</name><idnr>12345678901</idnr></antrag>""");

        masked.Should().Contain("<name>•••</name>").And.Contain("<idnr>•••</idnr>").And.Contain("art=\"•••\"").And.Contain("xmlns=\"urn:x\"");
        masked.Should().NotContain("Mustermann").And.NotContain("12345678901");
        SocialDataMask.MaskXml("<not xml").Should().Be(SocialDataMask.Hidden);
        SocialDataMask.MaskText("IBAN DE02120300000000202051 refused").Should().Be(SocialDataMask.Hidden);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080", true)]
    [InlineData("http://+:8080", true)]
    [InlineData("http://10.1.2.3:8080", true)]
    [InlineData("http://127.0.0.1:5080", false)]
    [InlineData("http://localhost:5080", false)]
    public void The_documented_local_keys_are_warned_about_when_the_hub_listens_beyond_loopback(string url, bool warned)
    {
        var logger = new ListLogger();
        LocalOperatorKeys.WarnIfExposed(Options(("ops-admin", OperatorRole.Admin, "admin-local-only", [])), [url], logger);
        logger.Warnings.Should().HaveCount(warned ? 1 : 0);

        var quiet = new ListLogger();
        LocalOperatorKeys.WarnIfExposed(Options(("ops-admin", OperatorRole.Admin, "a-real-secret", [])), [url], quiet);
        quiet.Warnings.Should().BeEmpty();
    }

    private sealed class StaticMonitor(OperationsOptions value) : IOptionsMonitor<OperationsOptions>
    {
        public OperationsOptions CurrentValue => value;
        public OperationsOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<OperationsOptions, string?> listener) => null;
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Warnings { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) Warnings.Add(formatter(state, exception));
        }
    }
}
