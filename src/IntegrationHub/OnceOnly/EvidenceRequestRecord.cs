namespace IntegrationHub.OnceOnly;

/// <summary>
/// Where an asynchronous evidence request stands: Pending (lookup due, again after an outage), Delivering (the result
/// waits for the requester's callback), Delivered, Failed (given up after Hub:OnceOnly:GiveUpAfter; the status says so).
/// </summary>
public enum EvidenceRequestStatus { Pending, Delivering, Delivered, Failed }

/// <summary>
/// One asynchronous evidence request in the ledger (table EvidenceRequests). The request (it names the person) and the
/// result are kept encrypted, and only until the callback has taken the result.
/// </summary>
public sealed class EvidenceRequestRecord
{
    public Guid Id { get; set; }
    /// <summary>The requester that asked; only it may read the status.</summary>
    public string ClientId { get; set; } = string.Empty;
    /// <summary>The municipality the request is for.</summary>
    public string Ars { get; set; } = string.Empty;
    public string EvidenceType { get; set; } = string.Empty;
    public string CallbackUrl { get; set; } = string.Empty;
    public EvidenceRequestStatus Status { get; set; }
    /// <summary>The lookup's outcome (EvidenceOutcomes) once there is a final one.</summary>
    public string? Outcome { get; set; }
    public string? ReasonCode { get; set; }
    /// <summary>Lookups made (each one is in the access protocol).</summary>
    public int Attempts { get; set; }
    public int CallbackAttempts { get; set; }
    /// <summary>The EvidenceRequest as JSON, encrypted (EvidenceProtection); removed once the request is finished.</summary>
    public string? ProtectedRequest { get; set; }
    /// <summary>The callback body, encrypted; removed once delivered.</summary>
    public string? ProtectedResult { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>When the worker takes it up (again): now, after a backoff, or a lease while an attempt is in flight.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
}
