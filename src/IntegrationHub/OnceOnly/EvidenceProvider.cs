using System.Text.Json.Nodes;
using IntegrationHub.Tenancy;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// Asks one provider (a target of Kind EvidenceProvider) for evidence; the wire format (XNachweis-style) lives in the
/// implementation. Transport failures throw (TransientDeliveryException, HttpRequestException, timeouts); a provider's
/// own "no" is an answer.
/// </summary>
public interface IEvidenceProvider
{
    Task<EvidenceAnswer> AskAsync(EvidenceRequest request, TargetOptions provider, string providerName, CancellationToken ct);
}

/// <summary>What a provider answered.</summary>
public abstract record EvidenceAnswer
{
    private EvidenceAnswer() { }

    /// <summary>The evidence: structured fields (a JSON object) and optionally a document.</summary>
    public sealed record Provided(JsonObject Data, EvidenceDocument? Document, DateTimeOffset IssuedAt, DateTimeOffset? ValidUntil) : EvidenceAnswer;

    /// <summary>The provider refused (e.g. person not found, not responsible), with its reason code and text.</summary>
    public sealed record Refused(string ReasonCode, string? Text) : EvidenceAnswer;
}

/// <summary>An evidence document (e.g. a Meldebescheinigung as PDF).</summary>
public sealed record EvidenceDocument(string MediaType, string FileName, byte[] Content);
