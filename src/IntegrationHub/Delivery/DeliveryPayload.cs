using System.Text.Json;
using System.Text.Json.Serialization;

namespace IntegrationHub.Delivery;

/// <summary>
/// Parameters of a delivery step beyond the handover, stored with it as JSON (TargetDelivery.Payload). Codes,
/// identifiers and blob names only: documents stay in the blob store, personal data stays out of the ledger.
/// </summary>
public sealed record DeliveryPayload
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The citizen-facing status this step reports (CitizenStatus.*), for postbox and events.</summary>
    public string? Status { get; init; }
    /// <summary>When the milestone happened (the procedure's time for reports).</summary>
    public DateTimeOffset? OccurredAt { get; init; }
    /// <summary>The specialist procedure's case number, once known.</summary>
    public string? Aktenzeichen { get; init; }
    /// <summary>The procedure target that assigned <see cref="Aktenzeichen"/>.</summary>
    public string? Procedure { get; init; }
    /// <summary>The document this step carries: Antrag, Eingangsbestaetigung, Nachforderung, Bescheid (DocumentKinds.*).</summary>
    public string? DocumentKind { get; init; }
    /// <summary>Blob name of a document received from a procedure (Bescheid, Nachforderung); absent for the Antrag, which is rebuilt from the stored original.</summary>
    public string? DocumentBlob { get; init; }
    public string? DocumentName { get; init; }
    public string? DocumentMimeType { get; init; }
    /// <summary>A Nachforderung's deadline.</summary>
    public DateTimeOffset? Deadline { get; init; }
    /// <summary>A FIT-Connect event to send (event steps), e.g. https://schema.fitko.de/fit-connect/events/accept-submission.</summary>
    public string? EventUri { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static DeliveryPayload Parse(string? json) =>
        string.IsNullOrEmpty(json) ? new DeliveryPayload() : JsonSerializer.Deserialize<DeliveryPayload>(json, Json) ?? new DeliveryPayload();
}

/// <summary>The documents the hub files and sends to the citizen.</summary>
public static class DocumentKinds
{
    public const string Antrag = "Antrag";
    public const string Eingangsbestaetigung = "Eingangsbestaetigung";
    public const string Nachforderung = "Nachforderung";
    public const string Bescheid = "Bescheid";
}
