using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using IntegrationHub.Delivery;

namespace IntegrationHub.Adapters.Dms;

/// <summary>
/// An xdomea-style Geschäftsgang message (Geschaeftsgang.Geschaeftsgang.0201) that files one filing step: the
/// Nachrichtenkopf (ProzessID, Nachrichtentyp, Absender = the municipality, Empfaenger = the DMS), and as Hauptobjekt
/// the Akte (Aktenplan key) → Vorgang (Aktenzeichen) → Dokument(e), each Dokument pointing at its primary document
/// (Version/Format/Primaerdokument/Dateiname) in the same ZIP container. Element names follow xdomea; the namespace
/// is the hub's own (the message is xdomea-style, not validated against the official schema). Every id is derived
/// from the delivery's idempotency key, so a retried call sends the same message and the DMS recognises it.
/// </summary>
public sealed record XdomeaMessage(Guid ProzessId, XDocument Document, IReadOnlyList<XdomeaFile> Files)
{
    public const string Namespace = "urn:integrationhub:xoev:xdomea:1.0";
    public const string MessageType = "Geschaeftsgang.Geschaeftsgang.0201";
    public const string MessageTypeCode = "0201";
    public const string ReceiptType = "Geschaeftsgang.EmpfangBestaetigen.0202";

    private static readonly XNamespace X = Namespace;

    public string MessageFileName => $"{ProzessId}_{MessageType}.xml";
    public string ContainerFileName => $"{ProzessId}_{MessageType}.zip";

    public static XdomeaMessage Build(DeliveryCall call, Filing filing, string recipient)
    {
        var key = call.IdempotencyKey;
        var prozessId = DeterministicGuid(key);
        var created = call.Delivery.CreatedAt.ToUniversalTime();
        var files = filing.Parts.Select(p => (Part: p, Id: DeterministicGuid($"{key}#{p.Number}"))).ToList();

        var dokumente = files.Select(f => new XElement(X + "Dokument",
            new XElement(X + "Identifikation",
                new XElement(X + "ID", f.Id),
                new XElement(X + "NummerImUebergeordnetenContainer", f.Part.Number + 1)),
            new XElement(X + "AllgemeineMetadaten",
                new XElement(X + "Betreff", f.Part.DocumentType),
                new XElement(X + "Kennzeichen", filing.Aktenzeichen)),
            new XElement(X + "FremdesGeschaeftszeichen", call.Submission.Id),
            new XElement(X + "Posteingangsdatum", filing.ReceivedAt.ToUniversalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            new XElement(X + "Typ", f.Part.DocumentType),
            new XElement(X + "Version",
                new XElement(X + "Nummer", "1"),
                new XElement(X + "Format",
                    new XElement(X + "Name", new XElement(X + "code", FormatCode(f.Part))),
                    new XElement(X + "Version", "1"),
                    new XElement(X + "Primaerdokument",
                        new XElement(X + "Dateiname", EntryName(f.Id, f.Part.FileName)),
                        new XElement(X + "DateinameOriginal", f.Part.FileName),
                        new XElement(X + "Ersteller", call.Submission.Origin ?? "FIT-Connect"),
                        new XElement(X + "DatumUhrzeit", Timestamp(filing.ReceivedAt))))))).ToList();

        var aktenplanKey = filing.Aktenplan.Key;
        var document = new XDocument(new XDeclaration("1.0", "UTF-8", null),
            new XElement(X + MessageType,
                new XElement(X + "Kopf",
                    new XElement(X + "ProzessID", prozessId),
                    new XElement(X + "Nachrichtentyp", new XElement(X + "code", MessageTypeCode)),
                    new XElement(X + "Erstellungszeitpunkt", Timestamp(created)),
                    new XElement(X + "Absender",
                        new XElement(X + "Behoerdenkennung",
                            new XElement(X + "Behoerdenschluessel", call.Submission.Ars),
                            new XElement(X + "Praefix", "ars")),
                        new XElement(X + "Institution", new XElement(X + "Name", call.Tenant.Name))),
                    new XElement(X + "Empfaenger",
                        new XElement(X + "Institution", new XElement(X + "Name", recipient))),
                    new XElement(X + "SendendesSystem",
                        new XElement(X + "Produktname", "IntegrationHub"),
                        new XElement(X + "Version", "1.0")),
                    new XElement(X + "EmpfangsbestaetigungAnInitiator", "true"),
                    new XElement(X + "EmpfangsbestaetigungAnVorgaenger", "false")),
                new XElement(X + "Hauptobjekt",
                    new XElement(X + "Akte",
                        new XElement(X + "Identifikation", new XElement(X + "ID", DeterministicGuid($"akte:{call.Submission.Ars}:{aktenplanKey}"))),
                        new XElement(X + "AllgemeineMetadaten",
                            new XElement(X + "Betreff", filing.Aktenplan.AkteTitle),
                            new XElement(X + "Kennzeichen", aktenplanKey),
                            new XElement(X + "Aktenplaneinheit", new XElement(X + "Kennzeichen", aktenplanKey))),
                        new XElement(X + "Akteninhalt",
                            new XElement(X + "Vorgang",
                                new XElement(X + "Identifikation",
                                    new XElement(X + "ID", DeterministicGuid($"vorgang:{call.Submission.Ars}:{aktenplanKey}:{filing.Aktenzeichen}"))),
                                new XElement(X + "AllgemeineMetadaten",
                                    new XElement(X + "Betreff", call.Submission.ServiceName),
                                    new XElement(X + "Kennzeichen", filing.Aktenzeichen)),
                                dokumente)))),
                new XElement(X + "ExternerGeschaeftsgang",
                    new XElement(X + "Identifikation", new XElement(X + "ID", DeterministicGuid("geschaeftsgang:" + key))),
                    new XElement(X + "Beteiligungsschritt",
                        new XElement(X + "Nummer", "1"),
                        new XElement(X + "Status", new XElement(X + "code", "1")),
                        new XElement(X + "Verfuegung",
                            new XElement(X + "Ersteller", new XElement(X + "Institution", new XElement(X + "Name", call.Tenant.Name))),
                            new XElement(X + "Adressat", new XElement(X + "Institution", new XElement(X + "Name", recipient))),
                            new XElement(X + "Erstellungsdatum", created.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                            new XElement(X + "Verfuegung", "zdA"))))));

        return new XdomeaMessage(prozessId, document, files.Select(f => new XdomeaFile(EntryName(f.Id, f.Part.FileName), f.Part)).ToList());
    }

    /// <summary>
    /// Writes the ZIP container ({ProzessID}_Geschaeftsgang.Geschaeftsgang.0201.xml plus the primary documents, each
    /// streamed from its source) to a temporary file that is deleted when the returned stream is disposed.
    /// </summary>
    public async Task<FileStream> WriteContainerAsync(CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ih-xdomea-{Guid.NewGuid():N}.zip");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await using (var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true, Encoding.UTF8))
            {
                var xml = zip.CreateEntry(MessageFileName, CompressionLevel.Optimal);
                await using (var entry = await xml.OpenAsync(ct))
                await using (var writer = XmlWriter.Create(entry, new XmlWriterSettings { Async = true, Encoding = new UTF8Encoding(false) }))
                {
                    await Document.SaveAsync(writer, ct);
                }

                foreach (var (name, part) in Files)
                {
                    var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
                    await using var target = await entry.OpenAsync(ct);
                    await using var source = await part.OpenAsync(ct);
                    await source.CopyToAsync(target, 64 * 1024, ct);
                }
            }
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>A stable id for a name: the same idempotency key gives the same ProzessID and object ids.</summary>
    public static Guid DeterministicGuid(string name)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8 (RFC 9562: custom)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes, bigEndian: true);
    }

    private static string EntryName(Guid id, string fileName)
    {
        // Only the last path segment and safe characters: the name becomes a ZIP entry.
        var name = Path.GetFileName(fileName.Replace('\\', '/'));
        var safe = new string(name.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
        return $"{id}_{(safe.Length == 0 ? "dokument" : safe)}";
    }

    private static string FormatCode(FilingPart part)
    {
        var extension = Path.GetExtension(part.FileName).TrimStart('.').ToLowerInvariant();
        return extension.Length > 0 ? extension : part.MimeType switch
        {
            "application/pdf" => "pdf",
            "application/xml" or "text/xml" => "xml",
            _ => "bin",
        };
    }

    private static string Timestamp(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>A primary document of the message: its entry name in the container and where its bytes come from.</summary>
public sealed record XdomeaFile(string Name, FilingPart Part);
