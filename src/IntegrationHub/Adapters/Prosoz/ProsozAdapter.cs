using IntegrationHub.Delivery;

namespace IntegrationHub.Adapters.Prosoz;

/// <summary>Prosoz-like procedure (SGB XII, AsylbLG): the signed handover container is pushed over HTTP and creates a case.</summary>
public sealed class ProsozAdapter(HttpClient http) : ITargetAdapter
{
    public const string KindName = "Prosoz";

    public string Kind => KindName;

    public Task<HandoverReceipt> DeliverAsync(HandoverCall call, CancellationToken ct) =>
        QuittungHttpClient.PostAsync(http, "api/v1/faelle", call, ct);
}
