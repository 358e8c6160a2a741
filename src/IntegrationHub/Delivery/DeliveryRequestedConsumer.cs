using System.Diagnostics;
using IntegrationHub.Contracts.Messages;
using IntegrationHub.Ledger;
using IntegrationHub.Observability;
using IntegrationHub.Signing;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Delivery;

/// <summary>
/// Hands one submission over to one target: rebuilds the case from the stored original, signs it
/// with the municipality's certificate and calls the target's adapter with the delivery's
/// idempotency key. A finished delivery is never sent again; a retried one carries the same key.
/// </summary>
public sealed class DeliveryRequestedConsumer(
    HubDbContext db,
    SubmissionReader reader,
    TenantDirectory tenants,
    KeyStore keys,
    IEnumerable<ITargetAdapter> adapters,
    IOptions<HubOptions> options,
    ILogger<DeliveryRequestedConsumer> logger) : IConsumer<DeliveryRequested>
{
    public async Task Consume(ConsumeContext<DeliveryRequested> context)
    {
        var ct = context.CancellationToken;
        var delivery = await db.Deliveries.FirstOrDefaultAsync(d => d.Id == context.Message.DeliveryId, ct);
        if (delivery is not { Status: DeliveryStatus.Pending }) return;
        var submission = await db.Submissions.FirstAsync(s => s.Id == delivery.SubmissionId, ct);
        using var scope = logger.BeginSubmissionScope(submission, delivery.Target);
        using var activity = HubTelemetry.ActivitySource.StartActivity("deliver submission");
        activity?.SetTag("hub.submission_id", submission.Id);
        activity?.SetTag("hub.target", delivery.Target);

        var targetOptions = tenants.Target(delivery.Target);
        var adapter = adapters.FirstOrDefault(a => string.Equals(a.Kind, targetOptions.Kind, StringComparison.OrdinalIgnoreCase))
            ?? throw new PermanentDeliveryException($"No adapter for target kind '{targetOptions.Kind}'.");

        var stopwatch = Stopwatch.StartNew();
        delivery.Attempts++;
        try
        {
            var signedXml = await BuildSignedHandoverAsync(submission, delivery, ct);
            var receipt = await adapter.DeliverAsync(new HandoverCall(submission.Id, delivery.Target, targetOptions, delivery.IdempotencyKey, signedXml), ct);

            delivery.Status = DeliveryStatus.Delivered;
            delivery.Aktenzeichen = receipt.Aktenzeichen;
            delivery.DeliveredAt = DateTimeOffset.UtcNow;
            delivery.LastError = null;
            db.AddHistory(submission.Id, HistorySteps.Delivered, delivery.Target, receipt.Aktenzeichen);
            await db.SaveChangesAsync(ct);
        }
        catch (Exception e) when (e is PermanentDeliveryException or SubmissionProblemException)
        {
            delivery.Status = DeliveryStatus.Failed;
            delivery.LastError = e.Message;
            db.AddHistory(submission.Id, HistorySteps.DeliveryFailed, delivery.Target, e.GetType().Name);
            await db.SaveChangesAsync(CancellationToken.None);
            HubTelemetry.DeliveryFailures.Add(1, new KeyValuePair<string, object?>("target", delivery.Target));
            logger.LogError("Delivery failed permanently: {Reason}", e.GetType().Name);
            throw; // to the error queue, where operations can see and replay it
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            delivery.LastError = e.Message;
            db.AddHistory(submission.Id, HistorySteps.DeliveryAttemptFailed, delivery.Target, e.GetType().Name);
            await db.SaveChangesAsync(CancellationToken.None);
            logger.LogWarning("Delivery attempt {Attempt} failed: {Reason}; it will be retried", delivery.Attempts, e.GetType().Name);
            throw;
        }

        HubTelemetry.Deliveries.Add(1, new KeyValuePair<string, object?>("target", delivery.Target));
        HubTelemetry.DeliveryDuration.Record(stopwatch.Elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("target", delivery.Target));
        logger.LogInformation("Delivered; the target's Aktenzeichen is {Aktenzeichen}", delivery.Aktenzeichen);
        await context.Publish(new DeliveryCompleted(delivery.Id, submission.Id, submission.Ars, delivery.Target, delivery.Aktenzeichen!));
    }

    private async Task<byte[]> BuildSignedHandoverAsync(Submission submission, TargetDelivery delivery, CancellationToken ct)
    {
        var content = await reader.ReadAsync(submission, ct);
        var application = XmlContractValidator.LoadAndValidate(content.Data, options.Value.Limits.MaxXmlCharacters);
        var municipality = tenants.FindTenant(submission.Ars)?.Name ?? submission.Ars;
        var handover = CaseHandover.Build(delivery.Id, submission, application, content.Attachments, delivery.Target, municipality, DateTimeOffset.UtcNow);
        XmlDocumentSigner.SignEnveloped(handover, keys.SigningCertificate(submission.Ars));
        return SafeXml.ToBytes(handover);
    }
}

public sealed class DeliveryRequestedConsumerDefinition : ConsumerDefinition<DeliveryRequestedConsumer>
{
    public DeliveryRequestedConsumerDefinition()
    {
        EndpointName = "submission-delivery";
        ConcurrentMessageLimit = 16;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<DeliveryRequestedConsumer> consumer,
        IRegistrationContext context) =>
        endpoint.UseMessageRetry(r =>
        {
            r.Ignore<PermanentDeliveryException>();
            r.Ignore<SubmissionProblemException>();
            r.Intervals(500, 2000, 5000, 15000, 30000);
        });
}
