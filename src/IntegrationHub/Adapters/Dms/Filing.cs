using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;

namespace IntegrationHub.Adapters.Dms;

/// <summary>One document of a filing: the application XML, an attachment, a Bescheid. Opened when it is sent, streamed.</summary>
/// <param name="Number">0 for the main document, 1… for the attachments; part of the document's filing key.</param>
public sealed record FilingPart(int Number, string FileName, string MimeType, string DocumentType, Func<CancellationToken, Task<Stream>> OpenAsync);

/// <summary>What one filing step puts into the E-Akte: where (Aktenplan entry, Aktenzeichen) and which documents.</summary>
public sealed record Filing(string DocumentKind, string Aktenzeichen, DateTimeOffset ReceivedAt, AktenplanEntry Aktenplan, IReadOnlyList<FilingPart> Parts)
{
    /// <summary>Document type of the attachments filed with an application.</summary>
    public const string Anlage = "Anlage";

    /// <summary>
    /// Reads a filing step: "filing:antrag" files the application XML as received plus every verified attachment;
    /// "filing:{kind}-…" files the document the procedure sent (payload DocumentBlob).
    /// </summary>
    public static async Task<Filing> ReadAsync(DeliveryCall call, CancellationToken ct)
    {
        if (!call.Step.StartsWith(DeliverySteps.FilingPrefix, StringComparison.Ordinal))
            throw new PermanentDeliveryException($"Target {call.Target} files documents only, not '{call.Step}'.");
        var payload = call.Payload;
        var aktenzeichen = payload.Aktenzeichen ?? call.ProcedureAktenzeichen
            ?? throw new PermanentDeliveryException($"Filing step {call.Step} has no Aktenzeichen to file under.");
        var isAntrag = call.Step == DeliverySteps.FilingPrefix + "antrag";
        var kind = payload.DocumentKind ?? (isAntrag ? DocumentKinds.Antrag : null)
            ?? throw new PermanentDeliveryException($"Filing step {call.Step} names no document kind.");
        var aktenplan = Aktenplans.Resolve(call.Tenant, call.Submission.LeikaKey, kind);
        var receivedAt = payload.OccurredAt ?? call.Submission.SubmittedAt ?? call.Submission.CreatedAt;

        List<FilingPart> parts;
        if (isAntrag)
        {
            var content = await call.ReadSubmissionAsync(ct);
            parts = [new FilingPart(0, "Antrag.xml", "application/xml", kind, _ => Task.FromResult<Stream>(new MemoryStream(content.Data, writable: false)))];
            parts.AddRange(content.Attachments.Select((a, i) =>
                new FilingPart(i + 1, a.FileName, a.MimeType, Anlage, token => call.OpenAttachmentAsync(a.AttachmentId, token))));
        }
        else
        {
            var blob = payload.DocumentBlob ?? throw new PermanentDeliveryException($"Filing step {call.Step} carries no document.");
            parts = [new FilingPart(0, await call.DocumentNameAsync(ct) ?? kind, payload.DocumentMimeType ?? "application/octet-stream", kind,
                token => call.OpenDocumentAsync(blob, token))];
        }
        return new Filing(kind, aktenzeichen, receivedAt, aktenplan, parts);
    }
}

/// <summary>The municipality's Aktenplan mapping: which key a document of a service is filed under.</summary>
public static class Aktenplans
{
    /// <summary>
    /// The most specific entry for the service and document kind: one naming both beats one naming the service, which
    /// beats one naming the kind, which beats a catch-all; among equals the first configured wins.
    /// </summary>
    public static AktenplanEntry Resolve(TenantOptions tenant, string leikaKey, string documentKind)
    {
        var match = tenant.Aktenplan
            .Select((entry, index) => (entry, index))
            .Where(e => (e.entry.LeikaKey.Length == 0 || e.entry.LeikaKey == leikaKey)
                && (e.entry.DocumentType.Length == 0 || string.Equals(e.entry.DocumentType, documentKind, StringComparison.OrdinalIgnoreCase)))
            .OrderByDescending(e => (e.entry.LeikaKey.Length > 0 ? 2 : 0) + (e.entry.DocumentType.Length > 0 ? 1 : 0))
            .ThenBy(e => e.index)
            .Select(e => e.entry)
            .FirstOrDefault();
        if (match is null)
            throw new PermanentDeliveryException(
                $"Municipality {tenant.Ars} has no Aktenplan entry for service {leikaKey} and document type {documentKind} (Hub:Tenants:…:Aktenplan).");
        if (string.IsNullOrWhiteSpace(match.Key) || string.IsNullOrWhiteSpace(match.AkteTitle))
            throw new PermanentDeliveryException(
                $"Municipality {tenant.Ars}: the Aktenplan entry for service {leikaKey} and document type {documentKind} needs a Key and an AkteTitle.");
        return match;
    }
}
