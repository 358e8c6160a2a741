using IntegrationHub.Delivery;

namespace IntegrationHub.Adapters.Prosoz;

/// <summary>Prosoz-like procedure (SGB XII, AsylbLG): the signed handover container is pushed over HTTP and creates a case.</summary>
public sealed class ProsozAdapter : ITargetAdapter
{
    public const string KindName = "Prosoz";

    private readonly HttpClient _http;

    public ProsozAdapter(HttpClient http)
    {
        // A fresh typed client: the target's own timeout (time without progress, see QuittungHttpClient) governs,
        // not HttpClient's 100 s for the whole call, which a large attachment on a slow line would exceed.
        http.Timeout = Timeout.InfiniteTimeSpan;
        _http = http;
    }

    public string Kind => KindName;

    public Task<HandoverReceipt> DeliverAsync(HandoverCall call, CancellationToken ct) =>
        QuittungHttpClient.PostAsync(_http, "api/v1/faelle", call, ct);
}
