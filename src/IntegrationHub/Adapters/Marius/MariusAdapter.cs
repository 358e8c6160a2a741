using IntegrationHub.Delivery;

namespace IntegrationHub.Adapters.Marius;

/// <summary>Marius-like Wohngeld procedure: takes the signed handover container and answers with its Wohngeld case number.</summary>
public sealed class MariusAdapter(HttpClient http) : ITargetAdapter
{
    public const string KindName = "Marius";

    public string Kind => KindName;

    public Task<HandoverReceipt> DeliverAsync(HandoverCall call, CancellationToken ct) =>
        QuittungHttpClient.PostAsync(http, "api/v1/antraege", call, ct);
}
