using IntegrationHub.Contracts.Messages;
using IntegrationHub.Ledger;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Operations;

/// <summary>
/// When a message fails every retry it goes to its endpoint's _error queue and MassTransit publishes a
/// Fault; this consumer writes that into the ledger so the submission's status says so (and the
/// sweeper stops re-publishing it: a poison message is for operations, not for another round).
/// </summary>
public sealed class FaultRecorder(HubDbContext db, ILogger<FaultRecorder> logger) :
    IConsumer<Fault<SubmissionReceived>>, IConsumer<Fault<SubmissionAccepted>>, IConsumer<Fault<DeliveryRequested>>
{
    public Task Consume(ConsumeContext<Fault<SubmissionReceived>> context) =>
        RecordAsync(context.Message.Message.SubmissionId, null, "validation", context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<SubmissionAccepted>> context) =>
        RecordAsync(context.Message.Message.SubmissionId, null, "routing", context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<Fault<DeliveryRequested>> context) =>
        RecordAsync(context.Message.Message.SubmissionId, context.Message.Message.DeliveryId, "delivery", context.Message, context.CancellationToken);

    private async Task RecordAsync(Guid submissionId, Guid? deliveryId, string stage, Fault fault, CancellationToken ct)
    {
        // Exception type only: messages of foreign exceptions may quote data.
        var exceptionType = fault.Exceptions.FirstOrDefault()?.ExceptionType ?? "unknown";
        var reason = $"{stage}: {exceptionType}";
        var now = DateTimeOffset.UtcNow;
        // One transaction: whoever reads the ledger sees the fault and its history entry together.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // The fault may arrive after an operator already retried the message (the retry puts the work back and clears
        // the fault, later than the fault happened): that newer state wins, or the retry would be undone.
        var faultedAt = fault.Timestamp == default ? now : new DateTimeOffset(DateTime.SpecifyKind(fault.Timestamp, DateTimeKind.Utc));
        var retriedSince = await db.FailedMessageEvents.AnyAsync(e => e.Action == FailedMessages.FailedMessageActions.RetryIssued && e.At > faultedAt
            && db.FailedMessages.Any(f => f.Id == e.FailedMessageId && f.SubmissionId == submissionId), ct);
        if (!retriedSince)
            await db.Submissions.Where(s => s.Id == submissionId)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.ProcessingFault, reason).SetProperty(s => s.UpdatedAt, now), ct);
        if (deliveryId is { } id && !retriedSince)
            await db.Deliveries.Where(d => d.Id == id && d.Status == DeliveryStatus.Pending)
                .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeliveryStatus.Failed).SetProperty(d => d.UpdatedAt, now)
                    .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null), ct);
        db.AddHistory(submissionId, HistorySteps.Faulted, detail: reason);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        logger.LogError("A message about submission {SubmissionId} failed every retry and is in the error queue ({Reason})", submissionId, reason);
    }
}

public sealed class FaultRecorderDefinition : ConsumerDefinition<FaultRecorder>
{
    public FaultRecorderDefinition() => EndpointName = "ledger-faults";
}
