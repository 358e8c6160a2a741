namespace IntegrationHub.Security;

/// <summary>Hub:Security: hub-wide security switches.</summary>
public sealed class HubSecurityOptions
{
    /// <summary>
    /// Whether a value at rest without the envelope (failed-message columns, document names, documents) is read as
    /// plaintext written before the envelope existed. Unset: allowed only on a ledger that predates the envelope
    /// (see <see cref="AtRest.LegacyPlaintextPolicy"/>); false refuses such values, true reads them.
    /// </summary>
    public bool? AllowLegacyPlaintext { get; set; }
}
