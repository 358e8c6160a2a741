using System.Text.Json.Nodes;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Intake;

/// <summary>Writes the FIT-Connect event log of a case: one signed Security Event Token per event.</summary>
public sealed class CaseEventLog(KeyStore keys, IOptions<HubOptions> options)
{
    /// <summary>Adds the event to the unit of work; the unique index keeps one event per kind and submission.</summary>
    public CaseEvent Append(HubDbContext db, Submission submission, string eventUri, JsonObject payload)
    {
        var key = keys.HubSigningKey;
        var issuedAt = DateTimeOffset.UtcNow;
        var token = new SecurityEventTokenSigner(key.Rsa, key.Kid, options.Value.PublicBaseUrl)
            .Sign(eventUri, submission.Id, submission.CaseId, payload, issuedAt);
        var entry = new CaseEvent
        {
            CaseId = submission.CaseId,
            SubmissionId = submission.Id,
            EventUri = eventUri,
            Token = token,
            IssuedAt = issuedAt,
        };
        db.CaseEvents.Add(entry);
        return entry;
    }

    /// <summary>The authentication tags of the submission's encrypted parts, as FIT-Connect events carry them.</summary>
    public static JsonObject AuthenticationTags(Submission submission, IEnumerable<SubmissionAttachment> attachments) =>
        FitConnectEvents.AuthenticationTagsPayload(submission.MetadataTag!, submission.DataTag,
            attachments.ToDictionary(a => a.AttachmentId, a => a.AuthenticationTag));
}
