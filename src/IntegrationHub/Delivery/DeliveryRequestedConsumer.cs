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
        delivery.UpdatedAt = DateTimeOffset.UtcNow;
        try
        {
            var (signedXml, attachments) = await BuildSignedHandoverAsync(submission, delivery, ct);
            var receipt = await DeliverAsync(adapter, new HandoverCall(submission.Id, delivery.Target, targetOptions, delivery.IdempotencyKey, signedXml, attachments), ct);

            delivery.Status = DeliveryStatus.Delivered;
            delivery.Aktenzeichen = receipt.Aktenzeichen;
            delivery.DeliveredAt = DateTimeOffset.UtcNow;
            delivery.NextAttemptAt = null;
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
        catch (Exception e) when (e is HttpRequestException or TimeoutException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            // The target is down or slow: try again later with exponential backoff, scheduled in the
            // ledger (survives restarts; the ledger sweep requests it when due). The message is done.
            await ScheduleRetryOrGiveUpAsync(submission, delivery, e);
            return;
        }

        HubTelemetry.Deliveries.Add(1, new KeyValuePair<string, object?>("target", delivery.Target));
        HubTelemetry.DeliveryDuration.Record(stopwatch.Elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("target", delivery.Target));
        logger.LogInformation("Delivered; the target's Aktenzeichen is {Aktenzeichen}", delivery.Aktenzeichen);
        await context.Publish(new DeliveryCompleted(delivery.Id, submission.Id, submission.Ars, delivery.Target, delivery.Aktenzeichen!));
    }

    private async Task ScheduleRetryOrGiveUpAsync(Submission submission, TargetDelivery delivery, Exception e)
    {
        var policy = options.Value.Delivery;
        var now = DateTimeOffset.UtcNow;
        delivery.LastError = e.Message;
        if (now - delivery.CreatedAt > policy.GiveUpAfter)
        {
            delivery.Status = DeliveryStatus.Failed;
            db.AddHistory(submission.Id, HistorySteps.DeliveryFailed, delivery.Target, $"gave up after {delivery.Attempts} attempts");
            await db.SaveChangesAsync(CancellationToken.None);
            HubTelemetry.DeliveryFailures.Add(1, new KeyValuePair<string, object?>("target", delivery.Target));
            throw new PermanentDeliveryException($"{delivery.Target} did not take the case within {policy.GiveUpAfter}.");
        }
        var backoff = policy.BackoffAfter(delivery.Attempts);
        delivery.NextAttemptAt = now + backoff;
        db.AddHistory(submission.Id, HistorySteps.DeliveryAttemptFailed, delivery.Target, e.GetType().Name);
        await db.SaveChangesAsync(CancellationToken.None);
        logger.LogWarning("Delivery attempt {Attempt} failed ({Reason}); next attempt in {Backoff}", delivery.Attempts, e.GetType().Name, backoff);
    }

    /// <summary>
    /// The signed XML (attachment metadata and hashes only) and, per attachment, how to open its bytes: the adapter
    /// opens each one per attempt, as a stream decrypted from the stored original while it is sent.
    /// </summary>
    private async Task<(byte[] SignedXml, IReadOnlyList<HandoverAttachment> Attachments)> BuildSignedHandoverAsync(
        Submission submission, TargetDelivery delivery, CancellationToken ct)
    {
        var content = await reader.ReadAsync(submission, ct);
        var application = XmlContractValidator.LoadAndValidate(content.Data, options.Value.Limits.MaxXmlCharacters);
        var municipality = tenants.FindTenant(submission.Ars)?.Name ?? submission.Ars;
        var handover = CaseHandover.Build(delivery.Id, submission, application, content.Attachments, delivery.Target, municipality, DateTimeOffset.UtcNow);
        XmlDocumentSigner.SignEnveloped(handover, keys.SigningCertificate(submission.Ars));
        return (SafeXml.ToBytes(handover), StreamedAttachments(reader, submission, content.Attachments));
    }

    /// <summary>Each verified attachment as a part the adapter opens when it sends it: decrypted from the stored original on the fly.</summary>
    internal static IReadOnlyList<HandoverAttachment> StreamedAttachments(SubmissionReader reader, Submission submission, IReadOnlyList<VerifiedAttachment> attachments) =>
        attachments
            .Select(a => new HandoverAttachment(a.AttachmentId, a.MimeType, a.SizeBytes, token => reader.OpenAttachmentAsync(submission, a.AttachmentId, token)))
            .ToList();

    internal static async Task<HandoverReceipt> DeliverAsync(ITargetAdapter adapter, HandoverCall call, CancellationToken ct)
    {
        try
        {
            return await adapter.DeliverAsync(call, ct);
        }
        catch (AttachmentIntegrityException e)
        {
            // The stored attachment no longer matches its verified hash: permanent, as when ReadAsync finds it. The
            // transfer was aborted before the part ended, so the target has not taken the unauthenticated bytes.
            throw new SubmissionProblemException(e.Type, e.Message);
        }
    }
}

public sealed class DeliveryRequestedConsumerDefinition : ConsumerDefinition<DeliveryRequestedConsumer>
{
    public DeliveryRequestedConsumerDefinition()
    {
        // Deliveries wait on targets, not on the CPU: more of them may be in flight.
        Endpoint(e =>
        {
            e.Name = "submission-delivery";
            e.ConcurrentMessageLimit = 16;
            e.PrefetchCount = 32;
        });
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<DeliveryRequestedConsumer> consumer,
        IRegistrationContext context) =>
        // Target outages are handled by ledger-scheduled backoff (see the consumer); what is retried
        // here are glitches of the ledger or blob store.
        endpoint.UseMessageRetry(r =>
        {
            r.Ignore<PermanentDeliveryException>();
            r.Ignore<SubmissionProblemException>();
            r.Intervals(200, 1000, 5000);
        });
}
