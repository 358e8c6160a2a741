using IntegrationHub.Delivery;

namespace IntegrationHub.Adapters.Marius;

/// <summary>Marius-like Wohngeld procedure: takes the signed handover container and answers with its Wohngeld case number.</summary>
public sealed class MariusAdapter : ITargetAdapter
{
    public const string KindName = "Marius";

    private readonly HttpClient _http;

    public MariusAdapter(HttpClient http)
    {
        // A fresh typed client: the target's own timeout (time without progress, see QuittungHttpClient) governs,
        // not HttpClient's 100 s for the whole call, which a large attachment on a slow line would exceed.
        http.Timeout = Timeout.InfiniteTimeSpan;
        _http = http;
    }

    public string Kind => KindName;

    public Task<HandoverReceipt> DeliverAsync(HandoverCall call, CancellationToken ct) =>
        QuittungHttpClient.PostAsync(_http, "api/v1/antraege", call, ct);
}
