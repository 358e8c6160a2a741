using System.Text.Json.Nodes;
using IntegrationHub.Contracts.Messages;
using IntegrationHub.Adapters.Postbox;
using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;
using IntegrationHub.Intake;
using IntegrationHub.Intake.Subscriber;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Observability;
using IntegrationHub.Problems;
using IntegrationHub.Tenancy;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Validation;

/// <summary>
/// Validates a received submission and decides: accepted (accept-submission event) or rejected
/// (reject-submission event with a specific problem). Safe to consume twice: a decided submission
/// is not validated again; an accepted one is announced again so routing can catch up after a crash.
/// </summary>
public sealed class SubmissionReceivedConsumer(
    HubDbContext db,
    SubmissionReader reader,
    TenantDirectory tenants,
    CaseEventLog events,
    IOptions<HubOptions> options,
    ILogger<SubmissionReceivedConsumer> logger) : IConsumer<SubmissionReceived>
{
    public async Task Consume(ConsumeContext<SubmissionReceived> context)
    {
        var submission = await db.Submissions.FirstOrDefaultAsync(s => s.Id == context.Message.SubmissionId, context.CancellationToken);
        if (submission is null)
        {
            logger.LogWarning("Submission {SubmissionId} is not in the ledger; message ignored", context.Message.SubmissionId);
            return;
        }
        using var scope = logger.BeginSubmissionScope(submission);
        switch (submission.Status)
        {
            case SubmissionStatus.Accepted:
                await context.Publish(new SubmissionAccepted(submission.Id, submission.CaseId, submission.Ars, submission.LeikaKey));
                return;
            case SubmissionStatus.Rejected or SubmissionStatus.Incomplete or SubmissionStatus.Expired:
                return;
        }

        using var activity = HubTelemetry.ActivitySource.StartActivity("validate submission");
        activity?.SetTag("hub.submission_id", submission.Id);
        ProblemType? problem = null;
        string? detail = null;
        try
        {
            await CheckAsync(submission, reader, tenants, options.Value.Limits, context.CancellationToken);
        }
        catch (SubmissionProblemException e)
        {
            (problem, detail) = (e.Type, e.Message);
        }

        var now = DateTimeOffset.UtcNow;
        submission.Status = problem is null ? SubmissionStatus.Accepted : SubmissionStatus.Rejected;
        submission.DecidedAt = now;
        submission.UpdatedAt = now;
        submission.ProblemType = problem?.Uri;
        submission.ProblemDetail = detail;
        if (problem is null)
        {
            events.Append(db, submission, FitConnectEvents.AcceptSubmission, await AuthenticationTagsAsync(submission, context.CancellationToken));
            db.AddHistory(submission.Id, HistorySteps.Accepted);
        }
        else
        {
            var payload = await AuthenticationTagsAsync(submission, context.CancellationToken);
            payload["problems"] = FitConnectEvents.RejectionPayload(
                [new FitConnectProblem(problem.Uri, problem.Title, detail!, $"submission:{submission.Id}")])["problems"]!.DeepClone();
            events.Append(db, submission, FitConnectEvents.RejectSubmission, payload);
            db.AddHistory(submission.Id, HistorySteps.Rejected, detail: problem.Uri);
        }
        // Picked up from a FIT-Connect delivery service: the decision goes back there, reliably, as a delivery step.
        var answer = await DeliveryServiceAnswer.AddAsync(db, submission, options.Value.Outbox.StaleAfter, context.CancellationToken);
        try
        {
            await db.SaveChangesAsync(context.CancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another consumer decided first (unique event per submission); its decision stands.
            logger.LogInformation("Submission was decided concurrently; this delivery of the message changes nothing");
            return;
        }
        await ProcedureReports.RequestAsync(context, answer, context.CancellationToken);

        if (problem is null)
        {
            HubTelemetry.SubmissionsAccepted.Add(1, new KeyValuePair<string, object?>("ars", submission.Ars));
            logger.LogInformation("Submission accepted");
            await context.Publish(new SubmissionAccepted(submission.Id, submission.CaseId, submission.Ars, submission.LeikaKey));
        }
        else
        {
            HubTelemetry.SubmissionsRejected.Add(1, new KeyValuePair<string, object?>("problem", problem.Name));
            logger.LogInformation("Submission rejected: {ProblemType}", problem.Uri);
            await context.Publish(new SubmissionRejected(submission.Id, submission.CaseId, submission.Ars, problem.Uri));
        }
    }

    /// <summary>
    /// Everything that decides acceptance: decryption and hashes, the service, the intake's XML policy, the contract and the
    /// business rules. Throws <see cref="SubmissionProblemException"/> for a submission to reject; anything else is transient.
    /// </summary>
    public static async Task<DecryptedSubmission> CheckAsync(Submission submission, SubmissionReader reader, TenantDirectory tenants,
        IntakeLimits limits, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var content = await reader.ReadAsync(submission, ct);
        // Delivery reads the reply channel again; a postbox that is no UUID is the sender's error, to be refused now, not a failed delivery later.
        try { CitizenPostbox.MailboxOf(content.Metadata); }
        catch (PermanentDeliveryException) { throw new SubmissionProblemException(ProblemTypes.MetadataInvalid, "replyChannel.idBundDeMailbox.mailboxUuid is not a UUID."); }
        var service = tenants.FindDestination(submission.DestinationId)?.Destination.Services.FirstOrDefault(s => s.LeikaKey == submission.LeikaKey)
            ?? throw new SubmissionProblemException(ProblemTypes.ServiceNotOffered, "The destination no longer offers this service.");
        // The announced schema first: a document in the namespace of a schema the service does not take is that, not a namespace error.
        if (!string.Equals(service.SchemaUri, content.SchemaUri, StringComparison.Ordinal))
            throw new SubmissionProblemException(ProblemTypes.SchemaUnsupported, $"Service {service.LeikaKey} accepts '{service.SchemaUri}', not '{content.SchemaUri}'.");
        var document = XmlContractValidator.LoadSubmission(content.Data, limits, content.SchemaUri);
        BusinessRules.Check(document, content.SchemaUri, service, submission.Ars, DateTimeOffset.UtcNow);
        return content;
    }

    // Accept and reject events repeat the tags of the submit event, as FIT-Connect subscribers do.
    private async Task<JsonObject> AuthenticationTagsAsync(Submission submission, CancellationToken ct) =>
        CaseEventLog.AuthenticationTags(submission,
            await db.SubmissionAttachments.AsNoTracking().Where(a => a.SubmissionId == submission.Id).ToListAsync(ct));
}

public sealed class SubmissionReceivedConsumerDefinition : ConsumerDefinition<SubmissionReceivedConsumer>
{
    public SubmissionReceivedConsumerDefinition()
    {
        // RSA-4096 decryption is CPU-bound: more parallelism than cores only adds queueing.
        Endpoint(e =>
        {
            e.Name = "submission-validation";
            e.ConcurrentMessageLimit = Math.Max(2, Environment.ProcessorCount);
            e.PrefetchCount = 2 * Math.Max(2, Environment.ProcessorCount);
        });
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<SubmissionReceivedConsumer> consumer,
        IRegistrationContext context)
    {
        // Expected problems never throw; what does throw (database, blob store) is transient.
        endpoint.UseMessageRetry(r => r.Intervals(200, 1000, 5000, 15000));
    }
}
