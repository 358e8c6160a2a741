using System.Xml.Linq;
using IntegrationHub.CaseStatus;
using IntegrationHub.Contracts.Messages;
using IntegrationHub.Ledger;
using IntegrationHub.Observability;
using IntegrationHub.OnceOnly.Checks;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Routing;

/// <summary>
/// Routes an accepted submission by the municipality's route table (ARS × LeiKa key): one handover
/// per procedure and the Eingangsbestätigung to the postbox (see CaseProgress), then one DeliveryRequested
/// per delivery still pending. Running twice creates no second delivery (unique per submission, target
/// and step) and only re-requests unfinished ones.
/// </summary>
public sealed class SubmissionAcceptedConsumer(HubDbContext db, TenantDirectory tenants, CaseProgress progress, ApplicationChecks checks, SubmissionReader reader,
    IOptions<HubOptions> options, ILogger<SubmissionAcceptedConsumer> logger)
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

        // Once-only: where the route says so, the application is checked against the registers before the handover, once.
        var wanted = checks.ChecksFor(submission);
        if (wanted.Count > 0 && submission.RoutedAt is null
            && !await db.History.AnyAsync(h => h.SubmissionId == submission.Id && h.Step.StartsWith(ApplicationChecks.HistoryPrefix), ct))
        {
            var content = await reader.ReadAsync(submission, ct);
            var application = XmlContractValidator.LoadAndValidate(content.Data, options.Value.Limits.MaxXmlCharacters);
            await checks.RunAsync(db, submission, XDocument.Parse(application.OuterXml), wanted, ct);
        }

        var now = DateTimeOffset.UtcNow;
        await progress.AcceptedAsync(db, submission, ct);
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
            // A concurrent routing of the same submission won; its deliveries are requested below.
            db.ChangeTracker.Clear();
        }

        // New deliveries, and unfinished ones of an earlier run (a redelivered message); the delivery consumer skips
        // finished ones and holds back those whose predecessor to the same target is unfinished.
        var pending = await db.Deliveries.AsNoTracking()
            .Where(d => d.SubmissionId == submission.Id && d.Status == DeliveryStatus.Pending).ToListAsync(ct);
        await ProcedureReports.RequestAsync(context, pending, ct);
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
