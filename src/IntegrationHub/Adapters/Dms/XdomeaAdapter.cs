using System.Net.Http.Headers;
using IntegrationHub.Delivery;
using IntegrationHub.Signing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Adapters.Dms;

/// <summary>
/// Files into a DMS that takes xdomea instead of its own API: each filing step becomes one xdomea-style
/// Geschaeftsgang.Geschaeftsgang.0201 message in a ZIP container (message XML plus primary documents), posted to the
/// DMS's xdomea endpoint. The DMS confirms with a Geschaeftsgang.EmpfangBestaetigen.0202 carrying the same ProzessID.
/// The ProzessID is derived from the idempotency key, so a retried or replayed call is recognised as the same message.
/// </summary>
public sealed class XdomeaAdapter(HttpClient http, ILogger<XdomeaAdapter> logger) : ITargetAdapter
{
    public const string KindName = "Xdomea";
    private const long MaxReceiptBytes = 256 * 1024;

    public string Kind => KindName;

    public async Task<DeliveryOutcome> DeliverAsync(DeliveryCall call, CancellationToken ct)
    {
        var options = XdomeaTargetOptions.From(call);
        var filing = await Filing.ReadAsync(call, ct);
        var message = XdomeaMessage.Build(call, filing, string.IsNullOrWhiteSpace(options.Recipient) ? call.Target : options.Recipient);

        await using var container = await message.WriteContainerAsync(ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(DmsHttp.BaseUri(call), options.MessagePath.TrimStart('/')))
        {
            Content = new StreamContent(container, 64 * 1024),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        request.Content.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = message.ContainerFileName };
        using var response = await DmsHttp.SendAsync(http, call, options.ApiKey, request, "the xdomea message", ct);
        await DmsHttp.EnsureSuccessAsync(response, call, "the xdomea message", ct);

        var receipt = await response.Content.ReadAsByteArrayAsync(ct);
        if (receipt.Length > MaxReceiptBytes) throw new TransientDeliveryException($"{call.Target} answered with an oversized receipt.");
        System.Xml.XmlElement? root;
        try
        {
            root = SafeXml.Load(receipt, MaxReceiptBytes).DocumentElement;
        }
        catch (System.Xml.XmlException e)
        {
            throw new TransientDeliveryException($"{call.Target} answered the xdomea message with malformed XML.", null, e);
        }
        var prozessId = root?.LocalName == XdomeaMessage.ReceiptType && root.NamespaceURI == XdomeaMessage.Namespace
            ? root.GetElementsByTagName("ProzessID", XdomeaMessage.Namespace).Cast<System.Xml.XmlNode>().FirstOrDefault()?.InnerText
            : null;
        if (prozessId != message.ProzessId.ToString())
            throw new TransientDeliveryException($"{call.Target} did not confirm xdomea message {message.ProzessId} ({XdomeaMessage.ReceiptType} expected).");

        logger.LogInformation("Filed {Kind} as xdomea message {ProzessId} under Aktenplan key {AktenplanKey}", filing.DocumentKind, message.ProzessId,
            filing.Aktenplan.Key);
        return DeliveryOutcome.Done(response.Headers.Location?.OriginalString ?? $"xdomea:{message.ProzessId}");
    }
}
