using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Contracts;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Signing;

namespace IntegrationHub.Adapters.Marius;

/// <summary>
/// Marius-like Wohngeld procedure on an XTA-style mailbox. The handover goes into the procedure's mailbox as one
/// evidence message per attachment and then the signed fall.uebergabe.0001 with the FIM-shaped application (the
/// evidence first, so the handover never waits for its parts). Message ids are derived from the delivery's
/// idempotency key, so a retry sends the same messages and the service keeps one of each. The delivery then awaits the
/// procedure's acknowledgement, which <see cref="MariusMailboxPollJob"/> reads from the hub's mailbox.
/// </summary>
public sealed class MariusAdapter(XtaMailboxClient mailbox) : ITargetAdapter
{
    public const string KindName = "Marius";
    public const string HandoverMessageType = XoevSchemas.FallUebergabeElement;
    public const string EvidenceMessageType = "anlage";

    public string Kind => KindName;

    public async Task<DeliveryOutcome> DeliverAsync(DeliveryCall call, CancellationToken ct)
    {
        if (call.Step != DeliverySteps.Handover) throw new PermanentDeliveryException($"{KindName} takes case handovers only, not '{call.Step}'.");
        var options = MariusOptions.From(call.TargetSettings).Mailbox;
        options.EnsureComplete(call.Target);

        var content = await call.ReadSubmissionAsync(ct);
        var application = await call.ReadApplicationAsync(ct);
        System.Xml.XmlDocument fim;
        try
        {
            fim = WohngeldFimMapping.Map(application, call.Delivery.Id, (call.Submission.Ars, call.Tenant.Name), call.Target, DateTimeOffset.UtcNow);
        }
        catch (ArgumentException e)
        {
            throw new PermanentDeliveryException($"{call.Target}: {e.Message}");
        }
        var handover = CaseHandover.Build(call.Delivery.Id, call.Submission, fim, content.Attachments, call.Target, call.Tenant.Name, DateTimeOffset.UtcNow, call.Checks);
        XmlDocumentSigner.SignEnveloped(handover, call.SigningCertificate);

        var handoverId = MessageIds.Handover(call.IdempotencyKey);
        foreach (var attachment in content.Attachments)
        {
            var body = new StreamContent(await call.OpenAttachmentAsync(attachment.AttachmentId, ct));
            body.Headers.ContentType = MediaTypeHeaderValue.TryParse(attachment.MimeType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
            body.Headers.ContentLength = attachment.SizeBytes;
            await mailbox.SendAsync(call.Target, options, call.Options.Timeout, new XtaOutgoingMessage(
                MessageIds.Evidence(call.IdempotencyKey, attachment.AttachmentId), options.ProcedureMailboxId, EvidenceMessageType,
                handoverId, attachment.AttachmentId.ToString("D"), body), ct);
        }

        var xml = new ByteArrayContent(SafeXml.ToBytes(handover));
        xml.Headers.ContentType = new MediaTypeHeaderValue("application/xml") { CharSet = "utf-8" };
        await mailbox.SendAsync(call.Target, options, call.Options.Timeout,
            new XtaOutgoingMessage(handoverId, options.ProcedureMailboxId, HandoverMessageType, null, null, xml), ct);
        return DeliveryOutcome.Placed(handoverId);
    }
}

/// <summary>XTA message ids the hub uses, stable per delivery (derived from its idempotency key).</summary>
public static class MessageIds
{
    public static string Handover(string idempotencyKey) => "urn:de:xta:messageid:integrationhub:" + Digest(idempotencyKey);

    public static string Evidence(string idempotencyKey, Guid attachmentId) => Handover(idempotencyKey) + ":anlage:" + attachmentId.ToString("N");

    private static string Digest(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32];
}
