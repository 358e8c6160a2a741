using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;

namespace IntegrationHub.Adapters.Postbox;

/// <summary>A document for the citizen's postbox (the Bescheid, a Nachforderung's form), sent as an attachment.</summary>
public sealed record PostboxDocument(string FileName, string MimeType, byte[] Content);

/// <summary>What one postbox step says, independent of how it is sent.</summary>
/// <param name="SubmissionId">The application's id, which the citizen's status monitor groups statuses by.</param>
/// <param name="ReceivedAt">When the hub accepted the submission (the Eingangsbestätigung names it).</param>
public sealed record PostboxNotice(
    Guid SubmissionId,
    string ServiceName,
    string SenderName,
    DateTimeOffset ReceivedAt,
    DeliveryPayload Payload,
    PostboxDocument? Document);

/// <summary>
/// The two envelopes the ZBP takes through FIT-Connect's bridge: a message (title, content, sender, service, the
/// citizen's trust level, attachments with sha512 and length) for the steps that carry a document, and a status
/// (applicationId, status, publicServiceName, senderName, createdDate, details) for every milestone, shown in the
/// citizen's status monitor. Texts carry the case's identifiers only; the citizen's data stays in the procedure.
/// </summary>
public static class PostboxEnvelopes
{
    private static readonly TimeZoneInfo Berlin = FindBerlin();

    /// <summary>Whether the step sends a message besides its status: when it carries a document for the citizen.</summary>
    public static bool HasMessage(DeliveryPayload payload) =>
        payload.DocumentKind is DocumentKinds.Eingangsbestaetigung or DocumentKinds.Nachforderung or DocumentKinds.Bescheid;

    public static JsonObject Message(Guid messageId, Guid mailboxUuid, int trustLevel, PostboxNotice notice)
    {
        var payload = notice.Payload;
        var (title, content) = payload.DocumentKind switch
        {
            DocumentKinds.Eingangsbestaetigung => (
                $"Eingangsbestätigung: {notice.ServiceName}",
                $"Ihr Antrag „{notice.ServiceName}“ ist am {LocalTime(notice.ReceivedAt)} bei {notice.SenderName} eingegangen. "
                + $"Vorgangsnummer: {notice.SubmissionId}. Sie erhalten eine Nachricht, sobald er bearbeitet wird."),
            DocumentKinds.Nachforderung => (
                $"Nachforderung: {notice.ServiceName}",
                $"Für Ihren Antrag „{notice.ServiceName}“ (Aktenzeichen {payload.Aktenzeichen}) benötigt {notice.SenderName} weitere Unterlagen. "
                + (payload.Deadline is { } deadline ? $"Bitte reichen Sie sie bis zum {LocalDate(deadline)} ein." : "Bitte reichen Sie sie bald ein.")
                + (notice.Document is null ? "" : " Die Einzelheiten finden Sie in der Anlage.")),
            DocumentKinds.Bescheid => (
                $"Bescheid: {notice.ServiceName}",
                $"Über Ihren Antrag „{notice.ServiceName}“ (Aktenzeichen {payload.Aktenzeichen}) hat {notice.SenderName} entschieden. "
                + (notice.Document is null ? "Der Bescheid folgt auf dem Postweg." : "Den Bescheid finden Sie in der Anlage.")),
            _ => throw new ArgumentException($"Step with document kind '{payload.DocumentKind}' sends no message.", nameof(notice)),
        };
        var attachments = new JsonArray();
        if (notice.Document is { } document)
            attachments.Add(new JsonObject
            {
                ["filename"] = document.FileName,
                ["mimeType"] = document.MimeType,
                ["sha512"] = Convert.ToHexStringLower(SHA512.HashData(document.Content)),
                ["length"] = document.Content.LongLength,
                ["content"] = Convert.ToBase64String(document.Content),
            });
        return new JsonObject
        {
            ["messageId"] = messageId.ToString("D"),
            ["mailboxUuid"] = mailboxUuid.ToString("D"),
            ["title"] = title,
            ["content"] = content,
            ["sender"] = notice.SenderName,
            ["service"] = notice.ServiceName,
            ["stork_qaa_level"] = StorkQaaLevel.Name(trustLevel),
            ["attachments"] = attachments,
        };
    }

    public static JsonObject Status(Guid statusId, Guid mailboxUuid, PostboxNotice notice)
    {
        var payload = notice.Payload;
        var status = payload.Status ?? throw new ArgumentException("A postbox step needs a status.", nameof(notice));
        if (!CitizenStatus.All.Contains(status)) throw new ArgumentException($"'{status}' is not a citizen status.", nameof(notice));
        var aktenzeichen = payload.Aktenzeichen is null ? "" : $" Aktenzeichen: {payload.Aktenzeichen}.";
        var details = status switch
        {
            CitizenStatus.Submitted => $"Ihr Antrag ist eingegangen. Vorgangsnummer: {notice.SubmissionId}.",
            CitizenStatus.Received => "Ihr Antrag wurde von der zuständigen Stelle erfasst." + aktenzeichen,
            CitizenStatus.Processing => "Ihr Antrag wird bearbeitet." + aktenzeichen,
            CitizenStatus.ActionRequired => "Bitte reichen Sie Unterlagen nach"
                + (payload.Deadline is { } deadline ? $" bis zum {LocalDate(deadline)}." : ".") + aktenzeichen,
            CitizenStatus.Completed => "Über Ihren Antrag wurde entschieden." + aktenzeichen,
            _ => "Ihr Antrag wurde begonnen.",
        };
        return new JsonObject
        {
            ["statusId"] = statusId.ToString("D"),
            ["mailboxUuid"] = mailboxUuid.ToString("D"),
            ["applicationId"] = notice.SubmissionId.ToString("D"),
            ["status"] = status,
            ["publicServiceName"] = notice.ServiceName,
            ["senderName"] = notice.SenderName,
            ["createdDate"] = (payload.OccurredAt ?? notice.ReceivedAt).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["details"] = details,
        };
    }

    /// <summary>
    /// A stable message id for one call and part ("message", "status"): the same for every retry and replay of the step,
    /// so the postbox recognises a repeated call.
    /// </summary>
    public static Guid IdFor(string idempotencyKey, string part)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey + "|" + part));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom, name-based)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    private static string LocalTime(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Berlin).ToString("dd.MM.yyyy 'um' HH:mm 'Uhr'", CultureInfo.InvariantCulture);

    private static string LocalDate(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Berlin).ToString("dd.MM.yyyy", CultureInfo.InvariantCulture);

    private static TimeZoneInfo FindBerlin()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        }
        catch (TimeZoneNotFoundException)
        {
            return TimeZoneInfo.Utc; // a system without time zone data: the times stay correct, in UTC
        }
    }
}
