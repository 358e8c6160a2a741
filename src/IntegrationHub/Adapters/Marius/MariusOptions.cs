using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Delivery;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Adapters.Marius;

/// <summary>A Marius-like target's own settings (section Hub:Targets:{name}, beside Kind, BaseUrl and Timeout).</summary>
public sealed class MariusOptions
{
    /// <summary>How often the hub looks into its mailbox for acknowledgements and status reports.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    public XtaMailboxOptions Mailbox { get; set; } = new();

    public static MariusOptions From(IConfiguration targetSettings) => targetSettings.Get<MariusOptions>() ?? new MariusOptions();
}

/// <summary>Where the procedure's and the hub's XTA-style mailboxes are, and how the hub proves who it is.</summary>
public sealed class XtaMailboxOptions
{
    /// <summary>The mailbox service, e.g. "http://127.0.0.1:5090/xta/".</summary>
    public string BaseUrl { get; set; } = string.Empty;
    /// <summary>The hub's own mailbox (its XTA identifier): acknowledgements and reports arrive here.</summary>
    public string HubMailboxId { get; set; } = string.Empty;
    /// <summary>The procedure's mailbox: handovers and evidence go there.</summary>
    public string ProcedureMailboxId { get; set; } = string.Empty;
    /// <summary>The hub mailbox's key (a secret: from the environment, never in a file).</summary>
    public string? ApiKey { get; set; }
    /// <summary>
    /// The procedure's signing certificate, as PEM text or the path of a PEM file (read at every use, so a certificate
    /// the procedure publishes after the hub started is found): acknowledgements and reports must be signed with exactly it.
    /// </summary>
    public string? ProcedureCertificate { get; set; }
    public string Service { get; set; } = "urn:integrationhub:xta:service:wohngeld";
    public string BusinessScenario { get; set; } = "WOHNGELD_ANTRAG";

    public bool IsConfigured => !string.IsNullOrWhiteSpace(BaseUrl);

    /// <summary>The settings a call needs, or a <see cref="PermanentDeliveryException"/> naming what is missing.</summary>
    public void EnsureComplete(string target)
    {
        var missing = new[]
        {
            (nameof(BaseUrl), BaseUrl), (nameof(HubMailboxId), HubMailboxId), (nameof(ProcedureMailboxId), ProcedureMailboxId),
            (nameof(ApiKey), ApiKey), (nameof(ProcedureCertificate), ProcedureCertificate),
        }.Where(s => string.IsNullOrWhiteSpace(s.Item2)).Select(s => s.Item1).ToList();
        if (missing.Count > 0)
            throw new PermanentDeliveryException($"Target {target} lacks Mailbox settings: {string.Join(", ", missing)} (Hub:Targets:{target}:Mailbox).");
    }

    public X509Certificate2 PinnedProcedureCertificate()
    {
        var value = ProcedureCertificate ?? string.Empty;
        return X509Certificate2.CreateFromPem(value.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal) ? value : File.ReadAllText(value));
    }
}
