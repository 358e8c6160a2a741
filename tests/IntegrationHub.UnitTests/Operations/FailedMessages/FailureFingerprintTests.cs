using IntegrationHub.Operations.FailedMessages;

namespace IntegrationHub.UnitTests.Operations.FailedMessages;

public sealed class FailureFingerprintTests
{
    private const string Permanent = "IntegrationHub.Delivery.PermanentDeliveryException";

    // As MassTransit's MT-Fault-StackTrace carries it: the throw site first, a foreign frame above the hub's.
    private const string FromBuildA = """
           at System.Net.Http.HttpResponseMessage.EnsureSuccessStatusCode()
           at IntegrationHub.Delivery.QuittungHttpClient.ReadAnswerAsync(HttpResponseMessage response, HandoverCall call, CancellationToken ct) in /work/a/src/IntegrationHub/Delivery/QuittungHttpClient.cs:line 88
           at IntegrationHub.Adapters.Prosoz.ProsozAdapter.DeliverAsync(DeliveryCall call, CancellationToken ct) in /work/a/src/IntegrationHub/Adapters/Prosoz/ProsozAdapter.cs:line 16
           at IntegrationHub.Delivery.DeliveryRequestedConsumer.Consume(ConsumeContext`1 context) in /work/a/src/IntegrationHub/Delivery/DeliveryRequestedConsumer.cs:line 88
        """;

    // The next build: other paths and lines, an IL offset instead of a line.
    private const string FromBuildB = """
           at System.Net.Http.HttpResponseMessage.EnsureSuccessStatusCode()
           at IntegrationHub.Delivery.QuittungHttpClient.ReadAnswerAsync(HttpResponseMessage response, HandoverCall call, CancellationToken ct) + 0x1f4
           at IntegrationHub.Adapters.Prosoz.ProsozAdapter.DeliverAsync(DeliveryCall call, CancellationToken ct) in /build/src/IntegrationHub/Adapters/Prosoz/ProsozAdapter.cs:line 19
        """;

    private const string FromTheConsumer = """
           at IntegrationHub.Delivery.DeliveryRequestedConsumer.ScheduleRetryOrGiveUpAsync(IPublishEndpoint bus, Guid deliveryId, Exception e) in /work/a/src/IntegrationHub/Delivery/DeliveryRequestedConsumer.cs:line 210
           at IntegrationHub.Delivery.DeliveryRequestedConsumer.Consume(ConsumeContext`1 context) in /work/a/src/IntegrationHub/Delivery/DeliveryRequestedConsumer.cs:line 101
        """;

    [Fact]
    public void The_same_exception_at_the_same_place_has_the_same_fingerprint_across_builds()
    {
        FailureFingerprint.Compute(Permanent, FromBuildA).Should().Be(FailureFingerprint.Compute(Permanent, FromBuildB));
        FailureFingerprint.Compute(Permanent, FromBuildA).Should().MatchRegex("^[0-9a-f]{12}$");
    }

    [Fact]
    public void The_first_frame_in_the_hubs_own_code_decides_and_the_title_names_it()
    {
        FailureFingerprint.FirstHubFrame(FromBuildA).Should().Be("IntegrationHub.Delivery.QuittungHttpClient.ReadAnswerAsync");
        FailureFingerprint.Title(Permanent, FromBuildA).Should().Be("PermanentDeliveryException at QuittungHttpClient.ReadAnswerAsync");
    }

    [Fact]
    public void A_different_frame_or_a_different_exception_type_is_a_different_group()
    {
        var group = FailureFingerprint.Compute(Permanent, FromBuildA);
        FailureFingerprint.Compute(Permanent, FromTheConsumer).Should().NotBe(group);
        FailureFingerprint.Compute("IntegrationHub.Delivery.SubmissionProblemException", FromBuildA).Should().NotBe(group);
        FailureFingerprint.Title(Permanent, FromTheConsumer).Should().Be("PermanentDeliveryException at DeliveryRequestedConsumer.ScheduleRetryOrGiveUpAsync");
    }

    [Fact]
    public void Async_state_machines_and_lambdas_are_named_by_their_method_without_compiler_numbering()
    {
        const string stateMachine = "   at IntegrationHub.Delivery.Resilience.TargetPipelines.<>c__DisplayClass6_0.<<ExecuteAsync>b__0>d.MoveNext() in /x.cs:line 41";
        const string renumbered = "   at IntegrationHub.Delivery.Resilience.TargetPipelines.<>c__DisplayClass9_1.<<ExecuteAsync>b__3>d.MoveNext() in /x.cs:line 44";
        FailureFingerprint.FirstHubFrame(stateMachine).Should().Be("IntegrationHub.Delivery.Resilience.TargetPipelines.ExecuteAsync");
        FailureFingerprint.Compute(Permanent, stateMachine).Should().Be(FailureFingerprint.Compute(Permanent, renumbered));
    }

    [Fact]
    public void Without_a_frame_of_the_hub_the_exception_type_alone_groups()
    {
        FailureFingerprint.FirstHubFrame("   at System.Threading.Tasks.Task.Wait()").Should().BeNull();
        FailureFingerprint.Compute("System.TimeoutException", null).Should().Be(FailureFingerprint.Compute("System.TimeoutException", ""));
        FailureFingerprint.Title("System.TimeoutException", null).Should().Be("TimeoutException");
    }
}
