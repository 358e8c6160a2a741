using IntegrationHub.Delivery;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Adapters.Dms;

/// <summary>
/// A d.3-like DMS target (section Hub:Targets:{name}, Kind "Dms"), beyond BaseUrl and Timeout: the repository, the
/// API key (a secret, from the environment), the chunk size of uploads, and the repository's own ids of the
/// categories and properties the hub files with (in d.velop terms the source categories and source properties of
/// the repository's source, usually <c>/dms/r/{repositoryId}/source</c>).
/// </summary>
public sealed class DmsTargetOptions
{
    public const int DefaultChunkSizeBytes = 4 * 1024 * 1024;

    /// <summary>The d.3 repository to file into (the {repositoryId} of /dms/r/{repositoryId}/…).</summary>
    public string RepositoryId { get; set; } = string.Empty;
    /// <summary>Sent as <c>Authorization: Bearer</c>; never in a file (environment: Hub__Targets__dms__ApiKey).</summary>
    public string? ApiKey { get; set; }
    /// <summary>Size of each chunk of a content upload to the temporary location.</summary>
    public int ChunkSizeBytes { get; set; } = DefaultChunkSizeBytes;
    /// <summary>The source whose categories and properties are used; default <c>/dms/r/{RepositoryId}/source</c>.</summary>
    public string? SourceId { get; set; }
    public DmsCategoryIds Categories { get; set; } = new();
    public DmsPropertyKeys Properties { get; set; } = new();

    public string EffectiveSourceId => string.IsNullOrWhiteSpace(SourceId) ? $"/dms/r/{RepositoryId}/source" : SourceId;

    /// <summary>Binds and checks the target's section; a target configured wrongly is a permanent problem.</summary>
    internal static DmsTargetOptions From(DeliveryCall call)
    {
        var options = call.TargetSettings.Get<DmsTargetOptions>() ?? new DmsTargetOptions();
        if (string.IsNullOrWhiteSpace(options.RepositoryId))
            throw new PermanentDeliveryException($"Target {call.Target} has no RepositoryId (Hub:Targets:{call.Target}:RepositoryId).");
        if (options.ChunkSizeBytes is < 1024 or > 64 * 1024 * 1024)
            throw new PermanentDeliveryException($"Target {call.Target}: ChunkSizeBytes must be between 1 KiB and 64 MiB.");
        return options;
    }
}

/// <summary>The repository's category ids for the three levels of the E-Akte.</summary>
public sealed class DmsCategoryIds
{
    public string Akte { get; set; } = "akte";
    public string Vorgang { get; set; } = "vorgang";
    public string Dokument { get; set; } = "dokument";
}

/// <summary>The repository's property keys the hub fills.</summary>
public sealed class DmsPropertyKeys
{
    /// <summary>
    /// The hub's own key of what it filed (e.g. "akte:{ARS}:{Aktenplan key}", "{idempotency key}#{part}"); the
    /// hub searches it before it creates anything, so a retried or replayed filing finds what it created before.
    /// Declared unique in the repository, so two hubs racing to create the same Akte cannot both succeed.
    /// </summary>
    public string FilingKey { get; set; } = "ablageschluessel";
    public string AktenplanKey { get; set; } = "aktenplankennzeichen";
    public string Aktenzeichen { get; set; } = "aktenzeichen";
    public string Title { get; set; } = "titel";
    public string DocumentType { get; set; } = "dokumentart";
    public string ReceivedAt { get; set; } = "eingangsdatum";
    public string SubmissionId { get; set; } = "submissionid";
    public string FileName { get; set; } = "dateiname";
}

/// <summary>A DMS that takes xdomea-style Geschäftsgang messages (Kind "Xdomea"), beyond BaseUrl and Timeout.</summary>
public sealed class XdomeaTargetOptions
{
    /// <summary>Sent as <c>Authorization: Bearer</c>; never in a file.</summary>
    public string? ApiKey { get; set; }
    /// <summary>Where messages are posted, relative to BaseUrl.</summary>
    public string MessagePath { get; set; } = "xdomea/nachrichten";
    /// <summary>The receiving authority's name in the Nachrichtenkopf (Empfaenger); the target's name if empty.</summary>
    public string? Recipient { get; set; }

    internal static XdomeaTargetOptions From(DeliveryCall call) => call.TargetSettings.Get<XdomeaTargetOptions>() ?? new XdomeaTargetOptions();
}
