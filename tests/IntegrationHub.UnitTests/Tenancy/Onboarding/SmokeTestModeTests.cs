using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding.SmokeTests;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.UnitTests.Tenancy.Onboarding;

public sealed class SmokeTestModeTests
{
    private static IConfigurationSection Target(string? testEndpoint)
    {
        var settings = new Dictionary<string, string?> { ["Hub:Targets:prosoz:Kind"] = "Prosoz", ["Hub:Targets:prosoz:BaseUrl"] = "https://prosoz.example/", ["Hub:Targets:prosoz:Timeout"] = "00:00:07" };
        if (testEndpoint is not null) settings["Hub:Targets:prosoz:TestEndpoint"] = testEndpoint;
        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Hub:Targets:prosoz");
    }

    private static readonly TargetOptions Options = new() { Kind = "Prosoz", BaseUrl = "https://prosoz.example/", Timeout = TimeSpan.FromSeconds(7) };

    [Fact]
    public void A_smoke_tests_submission_goes_to_the_targets_test_endpoint_with_its_other_options()
    {
        var options = SmokeTestClient.OptionsFor(new Submission { SenderClientId = SmokeTestClient.ClientId }, Options, Target("https://prosoz-test.example/"));

        options.BaseUrl.Should().Be("https://prosoz-test.example/");
        options.Kind.Should().Be("Prosoz");
        options.Timeout.Should().Be(TimeSpan.FromSeconds(7));
        Options.BaseUrl.Should().Be("https://prosoz.example/", "the configured options stay as they are");
    }

    [Fact]
    public void Other_submissions_and_targets_without_a_test_endpoint_keep_the_real_endpoint()
    {
        SmokeTestClient.OptionsFor(new Submission { SenderClientId = "efa-wohngeld" }, Options, Target("https://prosoz-test.example/")).Should().BeSameAs(Options);
        SmokeTestClient.OptionsFor(new Submission { SenderClientId = SmokeTestClient.ClientId }, Options, Target(null)).Should().BeSameAs(Options);
    }

    [Fact]
    public void A_report_reads_back_as_written_and_the_initial_empty_report_reads_as_no_services()
    {
        var report = new SmokeTestReport([new SmokeTestServiceReport("99079005000000", "Sozialhilfe", Guid.NewGuid(), Guid.NewGuid(),
            [new SmokeTestStep("intake", true, "accepted"), new SmokeTestStep("handover to prosoz", false, "prosoz answered 503", "prosoz")])]);

        var read = SmokeTestReport.Parse(report.ToJson());

        read.Services.Should().ContainSingle().Which.Steps.Should().Equal(report.Services[0].Steps);
        read.Services[0].Passed.Should().BeFalse();
        SmokeTestReport.Parse("[]").Services.Should().BeEmpty();
    }
}
