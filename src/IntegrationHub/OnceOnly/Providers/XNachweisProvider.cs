using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using IntegrationHub.Contracts;
using IntegrationHub.Delivery;
using IntegrationHub.Hosting;
using IntegrationHub.Jose;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;

namespace IntegrationHub.OnceOnly.Providers;

/// <summary>
/// Asks an evidence provider in XNachweis style: <c>POST {BaseUrl}anfragen</c> with a nachweis.anfrage.0001, answered by
/// nachweis.antwort.0002 (the evidence as structured data and/or a document) or nachweis.ablehnung.0003 (a reason code).
/// Answers are parsed safely and validated against the contract before anything is read from them.
/// </summary>
public sealed class XNachweisProvider(HttpClient http) : IEvidenceProvider
{
    public const string Kind = "EvidenceProvider";
    private const long MaxAnswerBytes = 16L * 1024 * 1024;
    private static readonly XNamespace Nw = XoevSchemas.NachweisNamespace;
    private static readonly XNamespace Ihc = XoevSchemas.CommonNamespace;

    public async Task<EvidenceAnswer> AskAsync(EvidenceRequest request, TargetOptions provider, string providerName, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(provider.Timeout);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(provider.BaseUrl.TrimEnd('/') + "/"), "anfragen"))
        {
            Content = new ByteArrayContent(Anfrage(request, providerName)),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/xml") { CharSet = "utf-8" };
        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"Evidence provider {providerName} answered {(int)response.StatusCode}.", null, response.StatusCode);
        var body = await BoundedBody.ReadAsync(response.Content, MaxAnswerBytes, timeout.Token)
            ?? throw new HttpRequestException($"The answer of evidence provider {providerName} exceeds {MaxAnswerBytes} bytes.");
        return Read(XmlContractValidator.LoadAndValidate(body, MaxAnswerBytes), request.RequestId, providerName);
    }

    /// <summary>The nachweis.anfrage.0001 for a request.</summary>
    internal static byte[] Anfrage(EvidenceRequest request, string providerName)
    {
        var person = request.Person.IdNr is { Length: > 0 } idNr
            ? new XElement(Nw + "person", new XElement(Nw + "identifikationsnummer", idNr))
            : new XElement(Nw + "person", new XElement(Nw + "personendaten",
                new XElement(Nw + "familienname", request.Person.Familienname),
                new XElement(Nw + "vorname", request.Person.Vorname),
                new XElement(Nw + "geburtsdatum", request.Person.Geburtsdatum?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                new XElement(Nw + "anschrift",
                    new XElement(Ihc + "strasse", request.Person.Strasse),
                    new XElement(Ihc + "hausnummer", request.Person.Hausnummer),
                    new XElement(Ihc + "postleitzahl", request.Person.Postleitzahl),
                    new XElement(Ihc + "ort", request.Person.Ort))));
        XElement basis = request.LegalBasis is { Length: > 0 } legalBasis
            ? new XElement(Nw + "rechtsgrundlage", new XElement(Nw + "code", legalBasis))
            : new XElement(Nw + "einwilligung", new XElement(Nw + "referenz", request.ConsentReference),
                request.ConsentScope.Select(s => new XElement(Nw + "umfang", s)));
        var doc = new XDocument(new XElement(Nw + XoevSchemas.NachweisAnfrageElement,
            new XAttribute(XNamespace.Xmlns + "nw", Nw),
            new XAttribute(XNamespace.Xmlns + "ihc", Ihc),
            new XElement(Nw + "nachrichtenkopf",
                new XElement(Ihc + "nachrichtUUID", Guid.NewGuid()),
                Code(Ihc + "nachrichtentyp", "urn:integrationhub:xoev:codeliste:nachrichtentyp", XoevSchemas.NachweisAnfrageElement),
                new XElement(Ihc + "erstellungszeitpunkt", Timestamp(DateTimeOffset.UtcNow)),
                Stelle(Ihc + "autor", "ARS", request.RequesterArs, request.RequesterAuthority),
                Stelle(Ihc + "leser", "NACHWEISANBIETER", providerName, providerName)),
            new XElement(Nw + "anfrageId", request.RequestId),
            new XElement(Nw + "anfragendeStelle",
                new XElement(Nw + "ars", request.RequesterArs),
                new XElement(Nw + "behoerde", request.RequesterAuthority),
                new XElement(Nw + "verfahren", request.RequesterProcedure)),
            new XElement(Nw + "zweck", new XElement(Nw + "code", ZweckCode(request.Purpose)), new XElement(Nw + "text", request.Purpose)),
            basis,
            person,
            new XElement(Nw + "nachweisart", request.EvidenceType),
            new XElement(Nw + "angefragtAm", Timestamp(request.RequestedAt))));
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new System.Text.UTF8Encoding(false) })) doc.Save(writer);
        return stream.ToArray();
    }

    /// <summary>An answer or a refusal, checked to be about this request.</summary>
    internal static EvidenceAnswer Read(XmlDocument answer, Guid requestId, string providerName)
    {
        var root = XDocument.Parse(answer.OuterXml).Root!;
        var bezug = root.Element(Nw + "bezugAnfrageId")?.Value;
        if (!Guid.TryParse(bezug, out var id) || id != requestId)
            throw new HttpRequestException($"Evidence provider {providerName} answered about another request.");
        if (root.Name == Nw + XoevSchemas.NachweisAblehnungElement)
            return new EvidenceAnswer.Refused(root.Element(Nw + "grund")?.Value ?? "UNBEKANNT", root.Element(Nw + "text")?.Value);
        if (root.Name != Nw + XoevSchemas.NachweisAntwortElement)
            throw new HttpRequestException($"Evidence provider {providerName} answered with {root.Name.LocalName}.");

        // The structured evidence as a JSON object of its fields (the evidence type says which kind it is).
        var data = root.Element(Nw + "nachweisdaten")?.Elements().FirstOrDefault() is { } daten && ToJson(daten) is JsonObject fields
            ? fields
            : new JsonObject();
        EvidenceDocument? document = null;
        if (root.Element(Nw + "dokument") is { } dokument)
        {
            var content = Convert.FromBase64String(dokument.Element(Nw + "inhalt")?.Value ?? string.Empty);
            if (!Sha512Hex.FixedTimeEqualsHex(dokument.Element(Nw + "hashSha512")?.Value ?? string.Empty, Sha512Hex.Compute(content)))
                throw new HttpRequestException($"The document from evidence provider {providerName} does not match its hash.");
            document = new EvidenceDocument(dokument.Element(Nw + "mimeType")?.Value ?? "application/octet-stream",
                Path.GetFileName(dokument.Element(Nw + "dateiname")?.Value ?? "nachweis"), content);
        }
        if (data.Count == 0 && document is null)
            throw new HttpRequestException($"Evidence provider {providerName} answered with neither data nor a document.");
        var issuedAt = DateTimeOffset.Parse(root.Element(Nw + "ausgestelltAm")!.Value, CultureInfo.InvariantCulture);
        DateTimeOffset? validUntil = root.Element(Nw + "gueltigBis") is { } bis
            ? DateTimeOffset.Parse(bis.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null;
        return new EvidenceAnswer.Provided(data, document, issuedAt, validUntil);
    }

    // The structured evidence as JSON: element names as keys, repeated elements as arrays, text as strings.
    private static JsonNode ToJson(XElement element)
    {
        if (!element.HasElements) return JsonValue.Create(element.Value)!;
        var obj = new JsonObject();
        foreach (var group in element.Elements().GroupBy(e => e.Name.LocalName))
        {
            var items = group.ToList();
            obj[group.Key] = items.Count == 1 && !IsList(group.Key) ? ToJson(items[0]) : new JsonArray(items.Select(ToJson).ToArray());
        }
        return obj;
    }

    private static bool IsList(string name) => name is "mitbewohner";

    private static string ZweckCode(string purpose) =>
        new string(purpose.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray()).Trim('_') is { Length: > 0 } code
            ? code[..Math.Min(64, code.Length)] : "ZWECK";

    private static XElement Stelle(XName name, string directory, string id, string label) =>
        new(name, Code(Ihc + "verzeichnisdienst", "urn:integrationhub:xoev:codeliste:verzeichnisdienst", directory),
            new XElement(Ihc + "kennung", id), new XElement(Ihc + "name", label));

    private static XElement Code(XName name, string listUri, string code) =>
        new(name, new XAttribute("listURI", listUri), new XAttribute("listVersionID", "1.0"), new XElement(Ihc + "code", code));

    private static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
