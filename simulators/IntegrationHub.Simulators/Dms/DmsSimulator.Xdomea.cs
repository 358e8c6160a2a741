using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Simulators.Dms;

/// <summary>
/// The xdomea endpoint: POST /dms/xdomea/nachrichten with a ZIP container holding
/// {ProzessID}_Geschaeftsgang.Geschaeftsgang.0201.xml and the primary documents it names. The whole container is
/// checked before anything is filed; the answer is a Geschaeftsgang.EmpfangBestaetigen.0202 with the ProzessID. A
/// ProzessID that was filed before is confirmed again without filing twice.
/// </summary>
public sealed partial class DmsSimulator
{
    /// <summary>The namespace of the hub's xdomea-style messages.</summary>
    public const string XdomeaNamespace = "urn:integrationhub:xoev:xdomea:1.0";
    public const string XdomeaMessageType = "Geschaeftsgang.Geschaeftsgang.0201";

    private const int MaxMessageXmlBytes = 4 * 1024 * 1024;
    private const int MaxContainerEntries = 200;
    private static readonly XNamespace X = XdomeaNamespace;

    private async Task<Answer> ReceiveXdomeaAsync(HttpContext context)
    {
        LiftBodyLimit(context, MaxContentBytes);
        var ct = context.RequestAborted;
        var containerPath = Path.Combine(_directory, "xdomea-" + Guid.NewGuid().ToString("N"));
        var extracted = new List<string>();
        try
        {
            await using (var file = new FileStream(containerPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                await context.Request.Body.CopyToAsync(file, ct).ConfigureAwait(false);
            }

            await using var container = new FileStream(containerPath, FileMode.Open, FileAccess.Read, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
            ZipArchive zip;
            try
            {
                zip = new ZipArchive(container, ZipArchiveMode.Read);
            }
            catch (InvalidDataException)
            {
                return XdomeaProblem("not-a-zip", "The body is not a ZIP container.");
            }

            using (zip)
            {
                var (message, refusal) = await ReadMessageAsync(zip, ct).ConfigureAwait(false);
                if (refusal is not null)
                {
                    return refusal;
                }

                lock (_gate)
                {
                    if (_xdomea.TryGetValue(message!.ProzessId, out var known))
                    {
                        _xdomea[message.ProzessId] = known with { Deliveries = known.Deliveries + 1 };
                        return Receipt(message.ProzessId, 200);
                    }
                }

                // Every primary document is copied out and hashed before anything is filed.
                var contents = new List<PendingContent>();
                foreach (var dokument in message.Dokumente)
                {
                    var path = Path.Combine(_directory, "xdomea-part-" + Guid.NewGuid().ToString("N"));
                    extracted.Add(path);
                    var (size, hash) = await ExtractAsync(zip.GetEntry(dokument.EntryName)!, path, ct).ConfigureAwait(false);
                    if (size < 0)
                    {
                        return XdomeaProblem("content-too-large", $"A primary document exceeds {MaxContentBytes} bytes.");
                    }

                    contents.Add(new PendingContent(path, new DmsContent(dokument.OriginalName, size, hash, 1)));
                }

                return FileMessage(message, contents);
            }
        }
        catch (InvalidDataException)
        {
            return XdomeaProblem("not-a-zip", "The ZIP container is damaged.");
        }
        finally
        {
            TryDelete(containerPath);
            foreach (var path in extracted)
            {
                TryDelete(path); // moved into place when filed; what is left was not filed
            }
        }
    }

    /// <summary>Files the checked message: Akte by Aktenplan key, Vorgang by Aktenzeichen, one Dokument per primary document.</summary>
    private Answer FileMessage(XdomeaMessage message, List<PendingContent> contents)
    {
        lock (_gate)
        {
            if (_xdomea.ContainsKey(message.ProzessId))
            {
                return Receipt(message.ProzessId, 200);
            }

            var akteKey = $"akte:{message.Ars}:{message.AktenplanKey}";
            var akte = _objects.FirstOrDefault(o => o.Category == DmsSchema.Akte && o.Property(DmsSchema.FilingKey) == akteKey)
                ?? Created(TryCreate(DmsSchema.Akte, null, new Dictionary<string, string>
                {
                    [DmsSchema.FilingKey] = akteKey,
                    [DmsSchema.AktenplanKey] = message.AktenplanKey,
                    [DmsSchema.Title] = message.AkteTitle,
                }, "xdomea", null));
            var vorgang = _objects.FirstOrDefault(o => o.Category == DmsSchema.Vorgang && o.ParentId == akte.Id && o.Property(DmsSchema.Aktenzeichen) == message.Aktenzeichen)
                ?? Created(TryCreate(DmsSchema.Vorgang, akte.Id, new Dictionary<string, string>
                {
                    [DmsSchema.FilingKey] = $"vorgang:{message.Ars}:{message.AktenplanKey}:{message.Aktenzeichen}",
                    [DmsSchema.AktenplanKey] = message.AktenplanKey,
                    [DmsSchema.Aktenzeichen] = message.Aktenzeichen,
                    [DmsSchema.Title] = message.VorgangTitle,
                }, "xdomea", null));
            var dokumente = message.Dokumente.Select((d, i) => Created(TryCreate(DmsSchema.Dokument, vorgang.Id, new Dictionary<string, string>
            {
                [DmsSchema.FilingKey] = $"xdomea:{message.ProzessId}#{d.Id}",
                [DmsSchema.AktenplanKey] = message.AktenplanKey,
                [DmsSchema.Aktenzeichen] = message.Aktenzeichen,
                [DmsSchema.DocumentType] = d.Typ,
                [DmsSchema.ReceivedAt] = d.Posteingangsdatum,
                [DmsSchema.SubmissionId] = d.FremdesGeschaeftszeichen,
                [DmsSchema.FileName] = d.OriginalName,
            }, "xdomea", contents[i])).Id).ToList();
            _xdomea[message.ProzessId] = new XdomeaFiling(message.ProzessId, akte.Id, vorgang.Id, dokumente, 1);
        }

        return Receipt(message.ProzessId, 201);
    }

    // The message was checked completely before, so creation cannot be refused here.
    private static DmsObject Created((DmsObject? Created, Answer? Refusal) result) =>
        result.Created ?? throw new InvalidOperationException("A checked xdomea message was refused: " + Encoding.UTF8.GetString(result.Refusal!.Body));

    private Answer Receipt(Guid prozessId, int status)
    {
        var receipt = new XDocument(new XElement(X + "Geschaeftsgang.EmpfangBestaetigen.0202",
            new XElement(X + "Kopf",
                new XElement(X + "ProzessID", prozessId),
                new XElement(X + "Nachrichtentyp", new XElement(X + "code", "0202")),
                new XElement(X + "Erstellungszeitpunkt", _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)),
                new XElement(X + "SendendesSystem", new XElement(X + "Produktname", "DMS simulator")))));
        return new Answer(status, "application/xml; charset=utf-8", Encoding.UTF8.GetBytes(receipt.ToString(SaveOptions.DisableFormatting)))
        {
            Location = $"/dms/xdomea/nachrichten/{prozessId}",
        };
    }

    private static Answer XdomeaProblem(string kind, string detail) => Problem(400, "xdomea-" + kind, "xdomea message refused", detail);

    /// <summary>What the DMS reads from a Geschaeftsgang.Geschaeftsgang.0201 message.</summary>
    private sealed record XdomeaMessage(Guid ProzessId, string Ars, string AktenplanKey, string AkteTitle, string Aktenzeichen, string VorgangTitle,
        IReadOnlyList<XdomeaDokument> Dokumente);

    private sealed record XdomeaDokument(string Id, string Typ, string Posteingangsdatum, string FremdesGeschaeftszeichen, string EntryName, string OriginalName);

    /// <summary>Checks the container and its message: names, header, Akte → Vorgang → Dokumente, every primary document present once.</summary>
    private static async Task<(XdomeaMessage? Message, Answer? Refusal)> ReadMessageAsync(ZipArchive zip, CancellationToken ct)
    {
        var entries = zip.Entries;
        if (entries.Count > MaxContainerEntries)
        {
            return (null, XdomeaProblem("too-many-files", $"At most {MaxContainerEntries} files per container."));
        }

        if (entries.FirstOrDefault(e => e.FullName.Contains('/') || e.FullName.Contains('\\') || e.FullName.Contains("..") || e.FullName.Length == 0) is { } unsafeEntry)
        {
            return (null, XdomeaProblem("unsafe-entry", $"The container entry '{unsafeEntry.FullName}' is not a plain file name."));
        }

        if (entries.Select(e => e.FullName).Distinct(StringComparer.OrdinalIgnoreCase).Count() != entries.Count)
        {
            return (null, XdomeaProblem("duplicate-entry", "The container names a file twice."));
        }

        var messages = entries.Where(e => e.FullName.EndsWith("_" + XdomeaMessageType + ".xml", StringComparison.Ordinal)).ToList();
        if (messages.Count != 1)
        {
            return (null, XdomeaProblem("message-missing", $"The container must hold exactly one {{ProzessID}}_{XdomeaMessageType}.xml."));
        }

        XDocument document;
        try
        {
            if (messages[0].Length > MaxMessageXmlBytes)
            {
                return (null, XdomeaProblem("message-too-large", $"The message XML exceeds {MaxMessageXmlBytes} bytes."));
            }

            await using var xml = await messages[0].OpenAsync(ct).ConfigureAwait(false);
            using var reader = XmlReader.Create(xml, new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                MaxCharactersInDocument = MaxMessageXmlBytes,
                Async = true,
            });
            document = await XDocument.LoadAsync(reader, LoadOptions.None, ct).ConfigureAwait(false);
        }
        catch (XmlException e)
        {
            return (null, XdomeaProblem("malformed-xml", $"The message XML is not well-formed (line {e.LineNumber}, position {e.LinePosition})."));
        }

        var root = document.Root!;
        if (root.Name != X + XdomeaMessageType)
        {
            return (null, XdomeaProblem("wrong-message", $"The root element must be {XdomeaMessageType} in {XdomeaNamespace}."));
        }

        var kopf = root.Element(X + "Kopf");
        var prozessIdText = kopf?.Element(X + "ProzessID")?.Value;
        if (!Guid.TryParse(prozessIdText, out var prozessId) || messages[0].FullName != $"{prozessId}_{XdomeaMessageType}.xml")
        {
            return (null, XdomeaProblem("prozessid", "Kopf/ProzessID must be a UUID and name the message file."));
        }

        if (kopf!.Element(X + "Nachrichtentyp")?.Element(X + "code")?.Value != "0201")
        {
            return (null, XdomeaProblem("nachrichtentyp", "Kopf/Nachrichtentyp/code must be 0201."));
        }

        var ars = kopf.Element(X + "Absender")?.Element(X + "Behoerdenkennung")?.Element(X + "Behoerdenschluessel")?.Value;
        if (string.IsNullOrWhiteSpace(ars) || kopf.Element(X + "Empfaenger") is null || kopf.Element(X + "Erstellungszeitpunkt") is null)
        {
            return (null, XdomeaProblem("kopf", "Kopf needs Erstellungszeitpunkt, Absender/Behoerdenkennung/Behoerdenschluessel and Empfaenger."));
        }

        var akte = root.Element(X + "Hauptobjekt")?.Element(X + "Akte");
        var akteMeta = akte?.Element(X + "AllgemeineMetadaten");
        var aktenplanKey = akteMeta?.Element(X + "Kennzeichen")?.Value;
        var akteTitle = akteMeta?.Element(X + "Betreff")?.Value;
        if (string.IsNullOrWhiteSpace(aktenplanKey) || string.IsNullOrWhiteSpace(akteTitle))
        {
            return (null, XdomeaProblem("akte", "Hauptobjekt/Akte needs AllgemeineMetadaten with Kennzeichen (the Aktenplan key) and Betreff."));
        }

        var vorgaenge = akte!.Element(X + "Akteninhalt")?.Elements(X + "Vorgang").ToList() ?? [];
        var vorgangMeta = vorgaenge.Count == 1 ? vorgaenge[0].Element(X + "AllgemeineMetadaten") : null;
        var aktenzeichen = vorgangMeta?.Element(X + "Kennzeichen")?.Value;
        if (string.IsNullOrWhiteSpace(aktenzeichen))
        {
            return (null, XdomeaProblem("vorgang", "The Akte must hold exactly one Vorgang with AllgemeineMetadaten/Kennzeichen (the Aktenzeichen)."));
        }

        var dokumente = new List<XdomeaDokument>();
        foreach (var d in vorgaenge[0].Elements(X + "Dokument"))
        {
            var id = d.Element(X + "Identifikation")?.Element(X + "ID")?.Value;
            var typ = d.Element(X + "Typ")?.Value;
            var primaer = d.Element(X + "Version")?.Element(X + "Format")?.Element(X + "Primaerdokument");
            var dateiname = primaer?.Element(X + "Dateiname")?.Value;
            if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(typ) || string.IsNullOrWhiteSpace(dateiname))
            {
                return (null, XdomeaProblem("dokument", "Every Dokument needs Identifikation/ID, Typ and Version/Format/Primaerdokument/Dateiname."));
            }

            if (zip.GetEntry(dateiname) is null)
            {
                return (null, XdomeaProblem("primaerdokument-missing", $"The primary document '{dateiname}' is not in the container."));
            }

            dokumente.Add(new XdomeaDokument(id, typ, d.Element(X + "Posteingangsdatum")?.Value ?? string.Empty,
                d.Element(X + "FremdesGeschaeftszeichen")?.Value ?? string.Empty, dateiname,
                primaer!.Element(X + "DateinameOriginal")?.Value is { Length: > 0 } original ? original : dateiname));
        }

        if (dokumente.Count == 0)
        {
            return (null, XdomeaProblem("dokument", "The Vorgang holds no Dokument."));
        }

        if (dokumente.Select(d => d.EntryName).Distinct(StringComparer.Ordinal).Count() != dokumente.Count
            || entries.Count != dokumente.Count + 1)
        {
            return (null, XdomeaProblem("unreferenced-file", "Every file of the container but the message must be the primary document of exactly one Dokument."));
        }

        if (dokumente.Any(d => d.Posteingangsdatum.Length == 0 || d.FremdesGeschaeftszeichen.Length == 0))
        {
            return (null, XdomeaProblem("dokument", "Every Dokument needs Posteingangsdatum and FremdesGeschaeftszeichen (the submission id)."));
        }

        return (new XdomeaMessage(prozessId, ars!, aktenplanKey!, akteTitle!, aktenzeichen!, vorgangMeta!.Element(X + "Betreff")?.Value ?? aktenzeichen!,
            dokumente), null);
    }

    /// <summary>Copies an entry out while hashing it; size -1 if it is larger than a document may be.</summary>
    private static async Task<(long Size, string Sha512)> ExtractAsync(ZipArchiveEntry entry, string path, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        await using var source = await entry.OpenAsync(ct).ConfigureAwait(false);
        await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
        var buffer = new byte[64 * 1024];
        long size = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            size += read;
            if (size > MaxContentBytes)
            {
                return (-1, string.Empty);
            }

            hash.AppendData(buffer, 0, read);
            await target.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
        }

        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }
}
