using System.Globalization;
using System.Xml;
using IntegrationHub.Contracts;
using IntegrationHub.Ledger;
using IntegrationHub.Signing;
using IntegrationHub.Validation;

namespace IntegrationHub.Delivery;

/// <summary>
/// Builds the fall.uebergabe.0001 a specialist procedure receives: the application exactly as the
/// citizen sent it (imported node by node, not re-serialised), the case data and, per attachment, its
/// metadata and SHA-512. The attachment bytes are not in the XML (XFall-style container): each travels as its
/// own part of the multipart/related request, named by <c>inhaltReferenz</c> = <c>cid:{anlageId}</c>, and is bound
/// to the signature through the signed hash and size, which the receiver checks.
/// </summary>
public static class CaseHandover
{
    /// <summary>Content-ID of the container's root part, the signed XML (the <c>start</c> parameter names it).</summary>
    public const string RootContentId = "<handover>";

    private const string FallNamespace = XoevSchemas.FallNamespace;
    private const string CommonNamespace = XoevSchemas.CommonNamespace;
    private const string MessageType = XoevSchemas.FallUebergabeElement;

    /// <summary>The <c>inhaltReferenz</c> of an attachment (RFC 2392 cid URL).</summary>
    public static string ContentReference(Guid attachmentId) => "cid:" + attachmentId.ToString("D");

    /// <summary>The Content-ID header of the part that carries an attachment; <see cref="ContentReference"/> names it.</summary>
    public static string ContentId(Guid attachmentId) => "<" + attachmentId.ToString("D") + ">";

    /// <param name="messageId">Stable per delivery, so a retry sends the same message.</param>
    /// <param name="attachments">Verified attachments; only their metadata goes into the XML.</param>
    /// <param name="checks">What the hub found checking the application against registers (once-only); none by default.</param>
    public static XmlDocument Build(Guid messageId, Submission submission, XmlDocument application, IReadOnlyList<VerifiedAttachment> attachments,
        string target, string municipalityName, DateTimeOffset createdAt, IReadOnlyList<OnceOnly.Checks.ApplicationCheck>? checks = null)
    {
        var doc = new XmlDocument { XmlResolver = null, PreserveWhitespace = false };
        var root = doc.CreateElement("fall", MessageType, FallNamespace);
        root.SetAttribute("xmlns:ihc", CommonNamespace);
        doc.AppendChild(root);

        var kopf = Append(root, "nachrichtenkopf", FallNamespace);
        Text(kopf, "nachrichtUUID", CommonNamespace, messageId.ToString());
        var typ = Append(kopf, "nachrichtentyp", CommonNamespace);
        typ.SetAttribute("listURI", "urn:integrationhub:codeliste:nachrichtentyp");
        typ.SetAttribute("listVersionID", "1.0");
        Text(typ, "code", CommonNamespace, MessageType);
        Text(kopf, "erstellungszeitpunkt", CommonNamespace, Timestamp(createdAt));
        Authority(Append(kopf, "autor", CommonNamespace), "ARS", submission.Ars, municipalityName);
        Authority(Append(kopf, "leser", CommonNamespace), "FACHVERFAHREN", target, target);

        var fall = Append(root, "fall", FallNamespace);
        Text(fall, "submissionId", FallNamespace, submission.Id.ToString());
        Text(fall, "caseId", FallNamespace, submission.CaseId.ToString());
        Text(fall, "eingangszeitpunkt", FallNamespace, Timestamp(submission.SubmittedAt ?? submission.CreatedAt));
        Text(fall, "leikaSchluessel", FallNamespace, submission.LeikaKey);
        Text(fall, "ars", FallNamespace, submission.Ars);
        Text(fall, "zielsystem", FallNamespace, target);

        Append(root, "antrag", FallNamespace).AppendChild(doc.ImportNode(application.DocumentElement!, deep: true));

        var anlagen = Append(root, "anlagen", FallNamespace);
        foreach (var a in attachments)
        {
            var anlage = Append(anlagen, "anlage", FallNamespace);
            Text(anlage, "anlageId", FallNamespace, a.AttachmentId.ToString());
            Text(anlage, "dateiname", FallNamespace, a.FileName);
            Text(anlage, "mimeType", FallNamespace, a.MimeType);
            Text(anlage, "hashSha512", FallNamespace, a.Sha512);
            Text(anlage, "groesseBytes", FallNamespace, a.SizeBytes.ToString(CultureInfo.InvariantCulture));
            Text(anlage, "inhaltReferenz", FallNamespace, ContentReference(a.AttachmentId));
        }
        if (checks is { Count: > 0 })
        {
            var pruefungen = Append(root, "pruefungen", FallNamespace);
            foreach (var check in checks)
            {
                var pruefung = Append(pruefungen, "pruefung", FallNamespace);
                Text(pruefung, "nachweisart", FallNamespace, check.EvidenceType);
                Text(pruefung, "ergebnis", FallNamespace, check.Outcome);
                foreach (var field in check.Discrepancies) Text(pruefung, "abweichung", FallNamespace, field);
                if (check.ReasonCode is { } reason) Text(pruefung, "grund", FallNamespace, reason);
                if (check.Provider is { } provider) Text(pruefung, "anbieter", FallNamespace, provider);
            }
        }
        // Sign what travels: a DOM built in memory canonicalises differently from its serialised
        // form (namespace declarations), so the receiver would see a broken digest.
        return SafeXml.Load(SafeXml.ToBytes(doc), long.MaxValue);
    }

    private static void Authority(XmlElement parent, string directory, string id, string name)
    {
        Text(Append(parent, "verzeichnisdienst", CommonNamespace), "code", CommonNamespace, directory);
        Text(parent, "kennung", CommonNamespace, id);
        Text(parent, "name", CommonNamespace, name);
    }

    private static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static XmlElement Append(XmlElement parent, string name, string ns)
    {
        var prefix = ns == CommonNamespace ? "ihc" : "fall";
        var element = parent.OwnerDocument.CreateElement(prefix, name, ns);
        parent.AppendChild(element);
        return element;
    }

    private static void Text(XmlElement parent, string name, string ns, string value) => Append(parent, name, ns).InnerText = value;
}
