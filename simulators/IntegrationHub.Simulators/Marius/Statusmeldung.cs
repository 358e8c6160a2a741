using System.Globalization;
using System.Xml.Linq;

namespace IntegrationHub.Simulators.Marius;

/// <summary>
/// The status report a Wohngeld procedure puts into the hub's mailbox about a case it holds: the procedure's running
/// number per case, the status, when it happened, a deadline for a Nachforderung and the document (Bescheid,
/// Nachforderung) inline. Signed by the procedure (enveloped XMLDSig as last child).
/// </summary>
/// <remarks>
/// <code>
/// &lt;sm:statusmeldung xmlns:sm="urn:integrationhub:xta:statusmeldung:1.0"&gt;
///   &lt;sm:nachrichtUUID/&gt; &lt;sm:submissionId/&gt; &lt;sm:aktenzeichen/&gt; &lt;sm:laufendeNummer/&gt; &lt;sm:status/&gt; &lt;sm:zeitpunkt/&gt;
///   &lt;sm:frist/&gt;?  &lt;sm:dokument art="Bescheid|Nachforderung" dateiname="…" mimeType="application/pdf"&gt;base64&lt;/sm:dokument&gt;?
///   &lt;ds:Signature/&gt;
/// &lt;/sm:statusmeldung&gt;
/// </code>
/// </remarks>
public static class Statusmeldung
{
    public const string Namespace = "urn:integrationhub:xta:statusmeldung:1.0";
    public const string MessageType = "statusmeldung";
    public const string Processing = "PROCESSING";
    public const string ActionRequired = "ACTION_REQUIRED";
    public const string Completed = "COMPLETED";

    private static readonly XNamespace Sm = Namespace;

    public sealed record Dokument(string Art, string Dateiname, byte[] Inhalt, string MimeType = "application/pdf");

    public static XDocument Build(Guid nachrichtUuid, Guid submissionId, string aktenzeichen, int sequence, string status,
        DateTimeOffset occurredAt, DateTimeOffset? deadline, Dokument? dokument) =>
        new(new XElement(
            Sm + "statusmeldung",
            new XAttribute(XNamespace.Xmlns + "sm", Sm),
            new XElement(Sm + "nachrichtUUID", nachrichtUuid.ToString()),
            new XElement(Sm + "submissionId", submissionId.ToString()),
            new XElement(Sm + "aktenzeichen", aktenzeichen),
            new XElement(Sm + "laufendeNummer", sequence.ToString(CultureInfo.InvariantCulture)),
            new XElement(Sm + "status", status),
            new XElement(Sm + "zeitpunkt", Timestamp(occurredAt)),
            deadline is { } frist ? new XElement(Sm + "frist", Timestamp(frist)) : null,
            dokument is null ? null : new XElement(
                Sm + "dokument",
                new XAttribute("art", dokument.Art),
                new XAttribute("dateiname", dokument.Dateiname),
                new XAttribute("mimeType", dokument.MimeType),
                Convert.ToBase64String(dokument.Inhalt))));

    private static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
