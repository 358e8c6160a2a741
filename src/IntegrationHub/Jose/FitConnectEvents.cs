using System.Text.Json.Nodes;

namespace IntegrationHub.Jose;

/// <summary>FIT-Connect event type URIs (Security Event Tokens in the case event log) and payload builders.</summary>
public static class FitConnectEvents
{
    public const string Base = "https://schema.fitko.de/fit-connect/events/";

    /// <summary>Written by the delivery service when a sender announces a submission.</summary>
    public const string CreateSubmission = Base + "create-submission";

    /// <summary>Written by the delivery service when the sender completed the submission; carries authenticationTags.</summary>
    public const string SubmitSubmission = Base + "submit-submission";

    /// <summary>Written by the delivery service when the subscriber was notified.</summary>
    public const string NotifySubmission = Base + "notify-submission";

    /// <summary>A downstream system took the submission over for forwarding.</summary>
    public const string ForwardSubmission = Base + "forward-submission";

    /// <summary>The receiving system rejected the submission; carries problems (RFC 7807 style).</summary>
    public const string RejectSubmission = Base + "reject-submission";

    /// <summary>The receiving system accepted the submission; carries authenticationTags.</summary>
    public const string AcceptSubmission = Base + "accept-submission";

    /// <summary>Written by the delivery service when the submission was deleted.</summary>
    public const string DeleteSubmission = Base + "delete-submission";

    /// <summary>Prefix of problem type URIs used in reject-submission.</summary>
    public const string ProblemsBase = Base + "problems/";

    /// <summary>JSON schema of the SET payload, referenced by the <c>$schema</c> claim.</summary>
    public const string SetPayloadSchema = "https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json";

    /// <summary>
    /// Payload {"authenticationTags": {"metadata": .., "data": .., "attachments": {id: tag}}} with the
    /// authentication tags (5th JWE part) of the encrypted metadata, data and attachments.
    /// </summary>
    public static JsonObject AuthenticationTagsPayload(string metadataTag, string? dataTag, IReadOnlyDictionary<Guid, string>? attachmentTags)
    {
        ArgumentException.ThrowIfNullOrEmpty(metadataTag);
        var tags = new JsonObject { ["metadata"] = metadataTag };
        if (dataTag is not null)
        {
            tags["data"] = dataTag;
        }

        if (attachmentTags is not null)
        {
            var attachments = new JsonObject();
            foreach (var (id, tag) in attachmentTags.OrderBy(a => a.Key))
            {
                attachments[id.ToString("D")] = tag;
            }

            tags["attachments"] = attachments;
        }

        return new JsonObject { ["authenticationTags"] = tags };
    }

    /// <summary>Payload {"problems": [{type, title, detail, instance}]} for reject-submission.</summary>
    public static JsonObject RejectionPayload(IEnumerable<FitConnectProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var array = new JsonArray();
        foreach (var p in problems)
        {
            array.Add(new JsonObject
            {
                ["type"] = p.Type,
                ["title"] = p.Title,
                ["detail"] = p.Detail,
                ["instance"] = p.Instance,
            });
        }

        if (array.Count == 0)
        {
            throw new ArgumentException("A rejection needs at least one problem.", nameof(problems));
        }

        return new JsonObject { ["problems"] = array };
    }
}

/// <summary>One problem of a reject-submission event. Must not contain personal data.</summary>
public sealed record FitConnectProblem(string Type, string Title, string Detail, string Instance);
