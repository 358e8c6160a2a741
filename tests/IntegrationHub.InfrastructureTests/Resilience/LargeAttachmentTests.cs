using System.Diagnostics;
using IntegrationHub.Simulators.EfA;
using Xunit.Abstractions;

namespace IntegrationHub.InfrastructureTests.Resilience;

/// <summary>Claim check: a 100 MB attachment goes from intake to the target with the hub's memory bounded.</summary>
[Collection(ResilienceCollection.Name)]
public sealed class LargeAttachmentTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_100_MB_attachment_reaches_the_target_while_the_hubs_resident_memory_stays_bounded()
    {
        const int size = 100 * 1024 * 1024;
        await using var rig = await ResilienceRig.StartAsync("large");
        await using var hub = rig.NewHub("hub");
        hub.Start();
        await hub.WaitUntilReadyAsync();
        rig.PinSigningCertificates();
        // Warm the hub up with an ordinary submission, so the baseline includes the JIT and the pools.
        await rig.SubmitAsync(1, _ => hub);
        var baseline = hub.PeakResidentBytes();

        var content = new byte[size];
        new Random(42).NextBytes(content);
        var (application, destination) = ResilienceRig.Application(2);
        var large = application with { Attachments = [new DemoAttachment(Guid.NewGuid(), "kontoauszuege.pdf", "application/pdf", content)] };
        var sender = new EfaOnlineService(new HttpClient { BaseAddress = hub.BaseAddress, Timeout = TimeSpan.FromMinutes(5) }, rig.SenderClientId, rig.SenderSecret);
        var clock = Stopwatch.StartNew();
        var outcome = await sender.SubmitAsync(large, destination);
        outcome.SubmitStatus.Should().Be(202);
        await rig.WaitUntilAllDeliveredAsync([outcome.SubmissionId!.Value], TimeSpan.FromMinutes(5), output, hub);

        var @case = rig.Simulators.Prosoz.Cases.Concat(rig.Simulators.Marius.Cases).Single(c => c.SubmissionId == outcome.SubmissionId);
        @case.AttachmentBytes.Should().Be(size, "the target received the whole attachment, its hash checked against the signed handover");
        var peak = hub.PeakResidentBytes();
        output.WriteLine($"100 MB attachment: intake to target in {clock.Elapsed.TotalSeconds:F1} s; hub peak resident memory " +
            $"{peak / 1048576.0:F0} MB (baseline after warm-up {baseline / 1048576.0:F0} MB, growth {(peak - baseline) / 1048576.0:F0} MB)");
        (peak - baseline).Should().BeLessThan(size, "no stage may hold the whole attachment");
        peak.Should().BeLessThan(300L * 1024 * 1024, "the benchmark target for the hub's peak resident memory");
    }
}
