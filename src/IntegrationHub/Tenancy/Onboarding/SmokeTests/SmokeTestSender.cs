using IntegrationHub.Ledger;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Tenancy.Onboarding.SmokeTests;

/// <summary>What a smoke test sends for one service: a synthetic application as this sender client, through the hub's own intake.</summary>
/// <param name="Mailbox">The citizen postbox to name as reply channel (Hub:Onboarding:SmokeTest:Mailbox), or none.</param>
public sealed record SmokeTestApplication(
    string Ars, string MunicipalityName, Guid DestinationId, ServiceOptions Service, string ClientId, string ClientSecret, Guid? Mailbox);

/// <summary>The intake's answer: the submission's id when it was accepted for processing (202), else why not.</summary>
public sealed record SmokeTestSendResult(Guid? SubmissionId, string? Failure)
{
    public bool Sent => SubmissionId is not null && Failure is null;
}

/// <summary>
/// Sends a synthetic application like a real online service (token, destination key, encrypt, create, upload, submit).
/// The host implements it (with the simulators' EfA online service); without one, smoke tests report the intake red.
/// </summary>
public interface ISmokeTestSender
{
    Task<SmokeTestSendResult> SendAsync(SmokeTestApplication application, CancellationToken ct);
}

/// <summary>The built-in sender client of smoke tests, and the test mode of targets for its submissions.</summary>
public static class SmokeTestClient
{
    /// <summary>Submissions of smoke tests carry this SenderClientId: they can always be told apart from citizens' ones.</summary>
    public const string ClientId = "integrationhub-smoke-test";

    /// <summary>The named HttpClient with which the sender reaches the hub's own intake API.</summary>
    public const string HttpClientName = "hub-self";

    /// <summary>The target option that points smoke-test deliveries at a test system (Hub:Targets:X:TestEndpoint, targets.X.options.testEndpoint).</summary>
    public const string TestEndpointSetting = "TestEndpoint";

    public static bool IsSmokeTest(Submission submission) => submission.SenderClientId == ClientId;

    /// <summary>
    /// The options a delivery is made with: for a smoke test's submission to a target with a test endpoint, the same options
    /// with that endpoint as BaseUrl; otherwise the target's options as they are.
    /// </summary>
    public static TargetOptions OptionsFor(Submission submission, TargetOptions options, IConfigurationSection settings)
    {
        if (!IsSmokeTest(submission) || settings[TestEndpointSetting] is not { Length: > 0 } testEndpoint) return options;
        // Bound afresh from the target's section so the configured options themselves stay untouched.
        var test = settings.Get<TargetOptions>() ?? new TargetOptions { Kind = options.Kind, Timeout = options.Timeout };
        test.BaseUrl = testEndpoint;
        return test;
    }
}
