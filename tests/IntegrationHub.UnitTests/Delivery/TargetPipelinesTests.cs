using System.Diagnostics;
using IntegrationHub.Delivery;
using IntegrationHub.Delivery.Resilience;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace IntegrationHub.UnitTests.Delivery;

/// <summary>The per-target resilience pipeline: what is retried, how long it waits, when it refuses.</summary>
public sealed class TargetPipelinesTests
{
    private const string Target = "prosoz";

    // Fast settings for tests; each test changes what it is about.
    private static ResilienceOverrides Fast() => new()
    {
        MaxConcurrency = 10, QueueLimit = 100, TotalTimeout = TimeSpan.FromSeconds(20), AttemptTimeout = TimeSpan.FromSeconds(10),
        MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromSeconds(2),
        FailureRatio = 1.0, SamplingDuration = TimeSpan.FromSeconds(30), MinimumThroughput = 100, BreakDuration = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task Transient_failures_are_retried_and_the_call_succeeds()
    {
        var pipelines = Pipelines(Fast());
        var calls = 0;

        var outcome = await pipelines.ExecuteAsync(Call(), _ => ++calls < 3
            ? throw new HttpRequestException("connection refused")
            : Task.FromResult(DeliveryOutcome.HandedOver("AZ-1")), CancellationToken.None);

        outcome.Aktenzeichen.Should().Be("AZ-1");
        calls.Should().Be(3);
    }

    [Fact]
    public async Task A_400_is_not_retried_and_passes_through_with_the_targets_problem_text()
    {
        var pipelines = Pipelines(Fast());
        var calls = 0;

        var act = () => pipelines.ExecuteAsync(Call(), _ =>
        {
            calls++;
            throw new PermanentDeliveryException("prosoz answered 400: {\"title\":\"Antrag unvollständig\"}");
        }, CancellationToken.None);

        (await act.Should().ThrowExactlyAsync<PermanentDeliveryException>()).Which.Message.Should().Contain("Antrag unvollständig");
        calls.Should().Be(1);
    }

    [Fact]
    public async Task Retries_wait_for_the_targets_retry_after_instead_of_the_backoff()
    {
        var settings = Fast();
        settings.BaseDelay = TimeSpan.FromSeconds(10); // a computed backoff would take far longer than the test allows
        settings.MaxDelay = TimeSpan.FromSeconds(20);
        var pipelines = Pipelines(settings);
        var attempts = new List<TimeSpan>();
        var clock = Stopwatch.StartNew();

        await pipelines.ExecuteAsync(Call(), _ =>
        {
            attempts.Add(clock.Elapsed);
            return attempts.Count == 1
                ? throw new TransientDeliveryException("prosoz answered 503.", TimeSpan.FromMilliseconds(400))
                : Task.FromResult(DeliveryOutcome.HandedOver("AZ-2"));
        }, CancellationToken.None);

        attempts.Should().HaveCount(2);
        (attempts[1] - attempts[0]).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(380))
            .And.BeLessThan(TimeSpan.FromSeconds(5), "Retry-After (0.4 s) wins over the 10 s backoff");
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_pipeline_waits_is_left_to_the_delayed_redelivery()
    {
        var pipelines = Pipelines(Fast()); // MaxDelay 2 s
        var calls = 0;

        var act = () => pipelines.ExecuteAsync(Call(), _ =>
        {
            calls++;
            throw new TransientDeliveryException("prosoz answered 429.", TimeSpan.FromMinutes(10));
        }, CancellationToken.None);

        (await act.Should().ThrowExactlyAsync<TransientDeliveryException>()).Which.RetryAfter.Should().Be(TimeSpan.FromMinutes(10));
        calls.Should().Be(1);
    }

    [Fact]
    public async Task A_call_without_idempotency_key_is_never_repeated()
    {
        var pipelines = Pipelines(Fast());
        var calls = 0;

        var act = () => pipelines.ExecuteAsync(Call(idempotencyKey: ""), _ =>
        {
            calls++;
            throw new HttpRequestException("connection reset");
        }, CancellationToken.None);

        await act.Should().ThrowExactlyAsync<HttpRequestException>();
        calls.Should().Be(1);
    }

    [Fact]
    public async Task The_circuit_opens_after_failures_and_then_refuses_at_once_with_the_break_as_retry_after()
    {
        var settings = Fast();
        settings.MaxRetries = 0;
        settings.FailureRatio = 0.5;
        settings.MinimumThroughput = 4;
        var pipelines = Pipelines(settings);
        var calls = 0;
        Task<DeliveryOutcome> Failing(CancellationToken _)
        {
            calls++;
            throw new TransientDeliveryException("prosoz answered 503.");
        }

        for (var i = 0; i < 4; i++)
            await FluentActions.Awaiting(() => pipelines.ExecuteAsync(Call(), Failing, CancellationToken.None)).Should().ThrowAsync<TransientDeliveryException>();
        calls.Should().Be(4);

        var clock = Stopwatch.StartNew();
        var refused = (await FluentActions.Awaiting(() => pipelines.ExecuteAsync(Call(), Failing, CancellationToken.None))
            .Should().ThrowExactlyAsync<TransientDeliveryException>()).Which;

        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1));
        calls.Should().Be(4, "an open circuit does not call the target");
        refused.InnerException.Should().BeOfType<BrokenCircuitException>();
        refused.RetryAfter.Should().BeCloseTo(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        DeliveryRequestedConsumer.IsTransient(refused).Should().BeTrue("the delivery is redelivered later, not failed");
    }

    [Fact]
    public async Task A_refusal_does_not_count_towards_opening_the_circuit()
    {
        var settings = Fast();
        settings.MaxRetries = 0;
        settings.FailureRatio = 0.5;
        settings.MinimumThroughput = 2;
        var pipelines = Pipelines(settings);
        var calls = 0;

        for (var i = 0; i < 5; i++)
        {
            await FluentActions.Awaiting(() => pipelines.ExecuteAsync(Call(), _ =>
            {
                calls++;
                throw new PermanentDeliveryException("prosoz answered 422: kein Antrag");
            }, CancellationToken.None)).Should().ThrowExactlyAsync<PermanentDeliveryException>();
        }

        calls.Should().Be(5, "a target that says no is working");
    }

    [Fact]
    public async Task No_more_than_the_concurrency_limit_is_in_flight_and_the_rest_waits()
    {
        var settings = Fast();
        settings.MaxConcurrency = 2;
        var pipelines = Pipelines(settings);
        var inFlight = 0;
        var peak = 0;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => pipelines.ExecuteAsync(Call(), async ct =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref peak, now);
            await Task.Delay(100, ct);
            Interlocked.Decrement(ref inFlight);
            return DeliveryOutcome.HandedOver($"AZ-{i}");
        }, CancellationToken.None)));

        outcomes.Should().HaveCount(8);
        peak.Should().Be(2);
    }

    [Fact]
    public async Task A_full_queue_refuses_the_call_as_transient()
    {
        var settings = Fast();
        settings.MaxConcurrency = 1;
        settings.QueueLimit = 0;
        var pipelines = Pipelines(settings);
        var release = new TaskCompletionSource();
        var first = pipelines.ExecuteAsync(Call(), async _ =>
        {
            await release.Task;
            return DeliveryOutcome.HandedOver("AZ");
        }, CancellationToken.None);

        var refused = await FluentActions.Awaiting(() => pipelines.ExecuteAsync(Call(), _ => Task.FromResult(DeliveryOutcome.HandedOver("AZ")), CancellationToken.None))
            .Should().ThrowExactlyAsync<TransientDeliveryException>();
        release.SetResult();
        await first;

        refused.Which.InnerException.Should().BeOfType<ConcurrencyLimitRejectedException>();
    }

    [Fact]
    public async Task The_attempt_timeout_cuts_a_hanging_call_without_uploads()
    {
        var settings = Fast();
        settings.MaxRetries = 0;
        settings.AttemptTimeout = TimeSpan.FromMilliseconds(200);
        var pipelines = Pipelines(settings);

        var act = () => pipelines.ExecuteAsync(Call(step: "postbox:1-SUBMITTED"), async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return DeliveryOutcome.Done("never");
        }, CancellationToken.None);

        var timedOut = (await act.Should().ThrowAsync<TimeoutRejectedException>()).Which;
        DeliveryRequestedConsumer.IsTransient(timedOut).Should().BeTrue();
    }

    [Fact]
    public async Task A_slow_but_healthy_upload_is_not_cut_by_the_attempt_or_total_timeout()
    {
        var settings = Fast();
        settings.AttemptTimeout = TimeSpan.FromMilliseconds(200);
        settings.TotalTimeout = TimeSpan.FromMilliseconds(300);
        var pipelines = Pipelines(settings);

        var outcome = await pipelines.ExecuteAsync(Call(step: DeliverySteps.Handover), async ct =>
        {
            await Task.Delay(800, ct); // the adapter's progress timeout, not Polly's, bounds a stalled upload
            return DeliveryOutcome.HandedOver("AZ-big");
        }, CancellationToken.None);

        outcome.Aktenzeichen.Should().Be("AZ-big");
    }

    [Fact]
    public async Task An_upload_that_hangs_beyond_the_upload_timeout_is_cut()
    {
        var settings = Fast();
        settings.MaxRetries = 0;
        settings.UploadTimeout = TimeSpan.FromMilliseconds(300);
        var pipelines = Pipelines(settings);

        var act = () => pipelines.ExecuteAsync(Call(step: DeliverySteps.Handover), async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return DeliveryOutcome.HandedOver("never");
        }, CancellationToken.None);

        await act.Should().ThrowAsync<TimeoutRejectedException>();
    }

    [Fact]
    public void Kind_defaults_start_from_the_standard_handler_and_the_target_overrides_them()
    {
        TargetResilience.ForKind("unknown-kind").Should().Be(TargetResilience.Standard);
        TargetResilience.Standard.Should().BeEquivalentTo(new
        {
            MaxConcurrency = 1000, TotalTimeout = TimeSpan.FromSeconds(30), AttemptTimeout = TimeSpan.FromSeconds(10), MaxRetries = 3,
            BaseDelay = TimeSpan.FromSeconds(2), FailureRatio = 0.1, SamplingDuration = TimeSpan.FromSeconds(30), MinimumThroughput = 100,
        }, o => o.ExcludingMissingMembers());

        var prosoz = TargetResilience.For(Target, new TargetOptions { Kind = "Prosoz", Resilience = new ResilienceOverrides { MaxRetries = 5 } });

        prosoz.MaxConcurrency.Should().Be(4, "a procedure server takes few calls at once");
        prosoz.MinimumThroughput.Should().Be(10, "the breaker must be able to open at a town hall's volume");
        prosoz.MaxRetries.Should().Be(5);
    }

    [Fact]
    public void A_setting_out_of_range_is_refused_naming_the_target_and_setting()
    {
        var act = () => TargetResilience.For(Target, new TargetOptions { Kind = "Prosoz", Resilience = new ResilienceOverrides { FailureRatio = 1.5 } });

        act.Should().Throw<InvalidOperationException>().WithMessage("Hub:Targets:prosoz:Resilience:FailureRatio*");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    private static TargetPipelines Pipelines(ResilienceOverrides settings)
    {
        var hub = new HubOptions();
        hub.Targets[Target] = new TargetOptions { Kind = "Prosoz", BaseUrl = "http://127.0.0.1:1/", Resilience = settings };
        return new TargetPipelines(new TenantDirectory(Options.Create(hub)));
    }

    internal static DeliveryCall Call(string step = DeliverySteps.Handover, string? idempotencyKey = null)
    {
        var submissionId = Guid.NewGuid();
        var delivery = new TargetDelivery
        {
            Id = Guid.NewGuid(), SubmissionId = submissionId, Ars = "064130000000", Target = Target, Step = step,
            IdempotencyKey = idempotencyKey ?? TargetDelivery.IdempotencyKeyFor(submissionId, Target, step),
        };
        var submission = new Submission { Id = submissionId, Ars = "064130000000" };
        return new DeliveryCall(delivery, submission, new TargetOptions { Kind = "Prosoz" }, new TenantOptions { Ars = "064130000000" },
            new ConfigurationBuilder().Build().GetSection("Hub:Targets:prosoz"), null, null!, null!, null!, 1024);
    }
}

/// <summary>Which redelivery settings apply: the municipality's beat the target's, which beat Hub:Delivery.</summary>
public sealed class RedeliveryPoliciesTests
{
    [Fact]
    public void Municipality_beats_target_beats_global_setting_by_setting()
    {
        var hub = new HubOptions { Delivery = new DeliveryOptions { InitialBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromHours(1), GiveUpAfter = TimeSpan.FromHours(48) } };
        hub.Targets["prosoz"] = new TargetOptions
        {
            Kind = "Prosoz", BaseUrl = "http://127.0.0.1:1/",
            Redelivery = new RedeliveryOverrides { InitialBackoff = TimeSpan.FromSeconds(30), MaxBackoff = TimeSpan.FromHours(4) },
        };
        hub.Tenants.Add(new TenantOptions { Ars = "064130000000", Name = "Offenbach", Redelivery = new RedeliveryOverrides { MaxBackoff = TimeSpan.FromHours(2) } });
        var policies = new RedeliveryPolicies(Options.Create(hub), new TenantDirectory(Options.Create(hub)));

        var offenbach = policies.For(new TargetDelivery { Target = "prosoz", Ars = "064130000000" });
        var elsewhere = policies.For(new TargetDelivery { Target = "prosoz", Ars = "064110000000" });
        var otherTarget = policies.For(new TargetDelivery { Target = "marius", Ars = "064130000000" });

        offenbach.Should().BeEquivalentTo(new { InitialBackoff = TimeSpan.FromSeconds(30), MaxBackoff = TimeSpan.FromHours(2), GiveUpAfter = TimeSpan.FromHours(48) });
        elsewhere.Should().BeEquivalentTo(new { InitialBackoff = TimeSpan.FromSeconds(30), MaxBackoff = TimeSpan.FromHours(4), GiveUpAfter = TimeSpan.FromHours(48) });
        otherTarget.Should().BeEquivalentTo(new { InitialBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromHours(2), GiveUpAfter = TimeSpan.FromHours(48) });
    }

    [Fact]
    public void Backoff_grows_exponentially_up_to_hours()
    {
        var policy = RedeliveryPolicies.Merge(new DeliveryOptions(), new RedeliveryOverrides { InitialBackoff = TimeSpan.FromMinutes(1), MaxBackoff = TimeSpan.FromHours(6) }, null);

        policy.BackoffAfter(1).Should().BeCloseTo(TimeSpan.FromMinutes(1.1), TimeSpan.FromMinutes(0.11));
        policy.BackoffAfter(5).Should().BeCloseTo(TimeSpan.FromMinutes(17.6), TimeSpan.FromMinutes(1.7));
        policy.BackoffAfter(30).Should().BeGreaterThanOrEqualTo(TimeSpan.FromHours(6)).And.BeLessThanOrEqualTo(TimeSpan.FromHours(7.2));
    }
}
