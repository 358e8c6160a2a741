namespace IntegrationHub.Simulators.Dms;

/// <summary>An object of the simulated repository: an Akte, a Vorgang or a Dokument (by <see cref="Category"/>).</summary>
/// <param name="Channel">How it was created: "rest" (o2m) or "xdomea".</param>
public sealed record DmsObject(string Id, string Category, string? ParentId, IReadOnlyDictionary<string, string> Properties, DateTimeOffset CreatedAt,
    string Channel, DmsContent? Content)
{
    public string? Property(string key) => Properties.TryGetValue(key, out var value) ? value : null;
}

/// <summary>A Dokument's content as the DMS stored it: size and SHA-512 over exactly the bytes received.</summary>
/// <param name="Chunks">Chunks of the upload it came from (1 for xdomea).</param>
public sealed record DmsContent(string FileName, long SizeBytes, string Sha512, int Chunks);

/// <summary>A Vorgang with the Akte it is filed in and its Dokumente, in filing order.</summary>
public sealed record DmsFiledVorgang(DmsObject Akte, DmsObject Vorgang, IReadOnlyList<DmsObject> Dokumente);

/// <summary>One recorded call.</summary>
public sealed record DmsCall(DateTimeOffset At, string Operation, string Method, string Path, int Status, string? IdempotencyKey);

/// <summary>An xdomea message the DMS took, with what it filed; <see cref="Deliveries"/> counts how often it arrived.</summary>
public sealed record XdomeaFiling(Guid ProzessId, string AkteId, string VorgangId, IReadOnlyList<string> DokumentIds, int Deliveries);

/// <summary>The repository's categories and properties (its default source), as the simulated DMS defines them.</summary>
public static class DmsSchema
{
    public const string Akte = "akte";
    public const string Vorgang = "vorgang";
    public const string Dokument = "dokument";

    public const string FilingKey = "ablageschluessel";
    public const string AktenplanKey = "aktenplankennzeichen";
    public const string Aktenzeichen = "aktenzeichen";
    public const string Title = "titel";
    public const string DocumentType = "dokumentart";
    public const string ReceivedAt = "eingangsdatum";
    public const string SubmissionId = "submissionid";
    public const string FileName = "dateiname";

    public static readonly IReadOnlyList<string> Properties = [FilingKey, AktenplanKey, Aktenzeichen, Title, DocumentType, ReceivedAt, SubmissionId, FileName];

    /// <summary>Per category: the properties it must have and the category its parent must be (null: no parent).</summary>
    public static readonly IReadOnlyDictionary<string, (string[] Mandatory, string? Parent)> Categories = new Dictionary<string, (string[], string?)>
    {
        [Akte] = ([FilingKey, AktenplanKey, Title], null),
        [Vorgang] = ([FilingKey, AktenplanKey, Aktenzeichen], Akte),
        [Dokument] = ([FilingKey, AktenplanKey, Aktenzeichen, DocumentType, ReceivedAt, SubmissionId, FileName], Vorgang),
    };
}
