using IntegrationHub.CaseStatus;
using IntegrationHub.Ledger;
using IntegrationHub.Outbox;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.EndToEndTests;

/// <summary>Calls placed for a later acknowledgement are not forgotten when the acknowledgement never comes.</summary>
[Collection(HubCollection.Name)]
public sealed class AcknowledgementTests(HubFixture hub)
{
    [Fact]
    public async Task A_placed_call_never_acknowledged_is_placed_again_after_the_deadline_and_creates_no_second_case()
    {
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 411, withAttachment: false);
        var submissionId = (await hub.Sender().SubmitAsync(application, HubFixture.DarmstadtSozialhilfe)).SubmissionId!.Value;
        await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Received);
        var duplicatesBefore = hub.Simulators.Prosoz.DuplicateCallCount;
        // As if the handover had been placed in a mailbox two days ago and the acknowledgement got lost.
        await hub.InLedgerAsync(db => db.Deliveries.Where(d => d.SubmissionId == submissionId && d.Target == "prosoz")
            .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeliveryStatus.AwaitingAcknowledgement)
                .SetProperty(d => d.UpdatedAt, DateTimeOffset.UtcNow.AddDays(-2))));

        (await SweepAsync()).Should().BeGreaterThanOrEqualTo(1);

        var (_, deliveries) = await hub.WaitUntilSettledAsync(submissionId);
        deliveries.Single(d => d.Target == "prosoz").Status.Should().Be(DeliveryStatus.Delivered);
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(1);
        hub.Simulators.Prosoz.DuplicateCallCount.Should().BeGreaterThan(duplicatesBefore, "the procedure recognised the same idempotency key");
        (await hub.TimelineAsync(submissionId)).Entries.Should().Contain(e => e.Step == HistorySteps.AcknowledgementOverdue)
            .And.ContainSingle(e => e.Step == "status:RECEIVED");
    }

    private async Task<int> SweepAsync()
    {
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var job = new LedgerSweepJob(services.GetRequiredService<HubDbContext>(), services.GetRequiredService<IPublishEndpoint>(),
            services.GetRequiredService<IOptions<HubOptions>>(), NullLogger<LedgerSweepJob>.Instance);
        return await job.SweepAsync(CancellationToken.None);
    }
}
