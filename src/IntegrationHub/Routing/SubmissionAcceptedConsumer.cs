using IntegrationHub.Contracts.Messages;
using IntegrationHub.Ledger;
using IntegrationHub.Observability;
using IntegrationHub.Tenancy;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Routing;

/// <summary>
/// Routes an accepted submission by the municipality's route table (ARS × LeiKa key): one delivery
/// row per target, then one DeliveryRequested per delivery still pending. Running twice creates no
/// second delivery (unique per submission and target) and only re-requests unfinished ones.
/// </summary>
public sealed class SubmissionAcceptedConsumer(HubDbContext db, TenantDirectory tenants, IOptions<HubOptions> options, ILogger<SubmissionAcceptedConsumer> logger)
    : IConsumer<SubmissionAccepted>
{
    public async Task Consume(ConsumeContext<SubmissionAccepted> context)
    {
        var ct = context.CancellationToken;
        var submission = await db.Submissions.FirstOrDefaultAsync(s => s.Id == context.Message.SubmissionId, ct);
        if (submission is not { Status: SubmissionStatus.Accepted }) return;
        using var scope = logger.BeginSubmissionScope(submission);

        var targets = tenants.TargetsFor(submission.Ars, submission.LeikaKey);
        if (targets.Count == 0)
            throw new InvalidOperationException($"No route for service {submission.LeikaKey} in municipality {submission.Ars}.");

        var deliveries = await db.Deliveries.Where(d => d.SubmissionId == submission.Id).ToListAsync(ct);
        var now = DateTimeOffset.UtcNow;
        foreach (var target in targets.Where(t => deliveries.All(d => d.Target != t)))
        {
            var delivery = new TargetDelivery
            {
                Id = Guid.NewGuid(),
                SubmissionId = submission.Id,
                Ars = submission.Ars,
                Target = target,
                Status = DeliveryStatus.Pending,
                IdempotencyKey = TargetDelivery.IdempotencyKeyFor(submission.Id, target),
                CreatedAt = now,
                UpdatedAt = now,
                // A lease: should the request below be lost, the ledger sweep requests it again after this.
                NextAttemptAt = now + options.Value.Outbox.StaleAfter,
            };
            db.Deliveries.Add(delivery);
            deliveries.Add(delivery);
        }
        if (submission.RoutedAt is null)
        {
            submission.RoutedAt = now;
            submission.UpdatedAt = now;
            db.AddHistory(submission.Id, HistorySteps.Routed, detail: string.Join(",", targets));
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // A concurrent routing of the same submission won; use its deliveries.
            db.ChangeTracker.Clear();
            deliveries = await db.Deliveries.Where(d => d.SubmissionId == submission.Id).ToListAsync(ct);
        }

        foreach (var delivery in deliveries.Where(d => d.Status == DeliveryStatus.Pending))
            await context.Publish(new DeliveryRequested(delivery.Id, submission.Id, submission.Ars, delivery.Target));
        logger.LogInformation("Submission routed to {TargetCount} target(s)", targets.Count);
    }
}

public sealed class SubmissionAcceptedConsumerDefinition : ConsumerDefinition<SubmissionAcceptedConsumer>
{
    public SubmissionAcceptedConsumerDefinition()
    {
        Endpoint(e =>
        {
            e.Name = "submission-routing";
            e.ConcurrentMessageLimit = 8;
            e.PrefetchCount = 16;
        });
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<SubmissionAcceptedConsumer> consumer,
        IRegistrationContext context) =>
        endpoint.UseMessageRetry(r => r.Intervals(200, 1000, 5000));
}
