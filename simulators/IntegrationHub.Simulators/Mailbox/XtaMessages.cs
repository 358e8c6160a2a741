using System.Globalization;
using System.Xml.Linq;

namespace IntegrationHub.Simulators.Mailbox;

/// <summary>Open: waiting to be fetched and closed by the mailbox owner. Closed: the owner acknowledged it (XTA close).</summary>
public enum XtaMessageStatus
{
    Open,
    Closed,
}

/// <summary>
/// The metadata of one message, modelled on XTA 2's MessageMetaData: who sent it to whom (mailbox identifiers), the
/// service and business scenario it belongs to, the XÖV message type code, and what the content is.
/// </summary>
/// <param name="MessageId">Unique per author; a second send with the same id is the same message.</param>
/// <param name="Author">The sender's mailbox identifier (authenticated by the service).</param>
/// <param name="Reader">The destination mailbox identifier.</param>
/// <param name="Service">The XTA service, e.g. "urn:integrationhub:xta:service:wohngeld".</param>
/// <param name="BusinessScenario">e.g. "WOHNGELD_ANTRAG".</param>
/// <param name="MessageType">The XÖV message type code, e.g. "fall.uebergabe.0001", or "anlage" for an evidence message.</param>
/// <param name="Created">When the author created it.</param>
/// <param name="RelatesTo">For an evidence message or an answer: the message it belongs to.</param>
/// <param name="ContentId">For an evidence message: the Content-ID the signed message's inhaltReferenz names.</param>
/// <param name="ContentType">Media type of the content.</param>
/// <param name="Size">Content length in bytes.</param>
public sealed record XtaMessageMetadata(
    string MessageId,
    string Author,
    string Reader,
    string Service,
    string BusinessScenario,
    string MessageType,
    DateTimeOffset Created,
    string? RelatesTo,
    string? ContentId,
    string ContentType,
    long Size)
{
    public const string Namespace = "urn:integrationhub:xta:1.0";
    private static readonly XNamespace Xta = Namespace;

    /// <summary>The metadata as the service lists it (XML, XTA 2 style element names).</summary>
    public XElement ToXml(XtaMessageStatus status, DateTimeOffset receivedAt) =>
        new(
            Xta + "MessageMetaData",
            new XElement(Xta + "MessageId", MessageId),
            new XElement(Xta + "Author", Author),
            new XElement(Xta + "Reader", Reader),
            new XElement(Xta + "Service", Service),
            new XElement(Xta + "BusinessScenario", BusinessScenario),
            new XElement(Xta + "MessageType", MessageType),
            new XElement(Xta + "Created", Created.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
            RelatesTo is null ? null : new XElement(Xta + "RelatesTo", RelatesTo),
            ContentId is null ? null : new XElement(Xta + "ContentId", ContentId),
            new XElement(Xta + "ContentType", ContentType),
            new XElement(Xta + "Size", Size.ToString(CultureInfo.InvariantCulture)),
            new XElement(Xta + "Status", status == XtaMessageStatus.Open ? "open" : "closed"),
            new XElement(Xta + "Received", receivedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
}

/// <summary>One message in a mailbox, as tests inspect it.</summary>
public sealed record XtaMessage(XtaMessageMetadata Metadata, byte[] Content, XtaMessageStatus Status, DateTimeOffset ReceivedAt, DateTimeOffset? ClosedAt)
{
    public string MessageId => Metadata.MessageId;
}

/// <summary>A refusal of the mailbox service: HTTP status and problem kind (urn:integrationhub:simulator:xta:{kind}).</summary>
public sealed class XtaException(int status, string kind, string title, string detail) : Exception($"{status} {kind}: {detail}")
{
    public int Status { get; } = status;
    public string Kind { get; } = kind;
    public string Title { get; } = title;
    public string Detail { get; } = detail;
}
