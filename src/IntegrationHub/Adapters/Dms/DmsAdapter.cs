using System.Globalization;
using IntegrationHub.Delivery;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Adapters.Dms;

/// <summary>
/// Files into a d.3-like DMS / E-Akte over its HAL+JSON REST API: Akte (one per Aktenplan key of the municipality's
/// mapping) → Vorgang (one per Aktenzeichen of the procedure) → one Dokument per document, each uploaded in chunks to
/// the temporary location and then created with its category and properties. Every object is searched by its
/// properties before it is created, so a retried or replayed filing finds what an earlier attempt created and never
/// files twice. Answers with the address of the filing's main Dokument.
/// </summary>
public sealed class DmsAdapter(HttpClient http, ILogger<DmsAdapter> logger) : ITargetAdapter
{
    public const string KindName = "Dms";

    public string Kind => KindName;

    public async Task<DeliveryOutcome> DeliverAsync(DeliveryCall call, CancellationToken ct)
    {
        var options = DmsTargetOptions.From(call);
        var filing = await Filing.ReadAsync(call, ct);
        var api = new DmsApi(http, call, options);
        var keys = options.Properties;
        var categories = options.Categories;
        var aktenplanKey = filing.Aktenplan.Key;

        var akteKey = $"akte:{call.Submission.Ars}:{aktenplanKey}";
        var akte = await FindOrCreateAsync(api, categories.Akte, parentId: null,
            search: new Dictionary<string, string> { [keys.FilingKey] = akteKey },
            create: new Dictionary<string, string>
            {
                [keys.FilingKey] = akteKey,
                [keys.AktenplanKey] = aktenplanKey,
                [keys.Title] = filing.Aktenplan.AkteTitle,
            }, ct);

        var vorgang = await FindOrCreateAsync(api, categories.Vorgang, akte.Id,
            search: new Dictionary<string, string> { [keys.Aktenzeichen] = filing.Aktenzeichen },
            create: new Dictionary<string, string>
            {
                [keys.FilingKey] = $"vorgang:{call.Submission.Ars}:{aktenplanKey}:{filing.Aktenzeichen}",
                [keys.Aktenzeichen] = filing.Aktenzeichen,
                [keys.AktenplanKey] = aktenplanKey,
                [keys.Title] = call.Submission.ServiceName,
            }, ct);

        DmsObjectRef? main = null;
        var created = 0;
        foreach (var part in filing.Parts)
        {
            var filingKey = $"{call.IdempotencyKey}#{part.Number}";
            var search = new Dictionary<string, string> { [keys.FilingKey] = filingKey };
            var dokument = await api.FindAsync(categories.Dokument, search, vorgang.Id, ct);
            if (dokument is null)
            {
                string location;
                await using (var content = await part.OpenAsync(ct))
                {
                    location = await api.UploadAsync(content, ct);
                }
                dokument = await api.CreateAsync(categories.Dokument, vorgang.Id, new Dictionary<string, string>
                    {
                        [keys.FilingKey] = filingKey,
                        [keys.Aktenzeichen] = filing.Aktenzeichen,
                        [keys.AktenplanKey] = aktenplanKey,
                        [keys.DocumentType] = part.DocumentType,
                        [keys.ReceivedAt] = filing.ReceivedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                        [keys.SubmissionId] = call.Submission.Id.ToString(),
                        [keys.FileName] = part.FileName,
                    }, part.FileName, location, ct)
                    ?? await api.FindAsync(categories.Dokument, search, vorgang.Id, ct)
                    ?? throw new TransientDeliveryException($"{call.Target} reported document {part.Number} as a duplicate but does not find it.");
                created++;
            }
            main ??= dokument;
        }

        logger.LogInformation("Filed {Kind} under Aktenplan key {AktenplanKey}: {Created} new of {Parts} document(s)",
            filing.DocumentKind, aktenplanKey, created, filing.Parts.Count);
        return DeliveryOutcome.Done(main?.Href ?? vorgang.Href);
    }

    /// <summary>Finds the object by its properties or creates it; a 409 on creation means another call created it first.</summary>
    private static async Task<DmsObjectRef> FindOrCreateAsync(DmsApi api, string category, string? parentId, IReadOnlyDictionary<string, string> search,
        IReadOnlyDictionary<string, string> create, CancellationToken ct) =>
        await api.FindAsync(category, search, parentId, ct)
        ?? await api.CreateAsync(category, parentId, create, fileName: null, contentLocationUri: null, ct)
        ?? await api.FindAsync(category, search, parentId, ct)
        ?? throw new TransientDeliveryException($"The DMS reported a {category} as a duplicate but does not find it.");
}
