using IntegrationHub.Delivery;
using IntegrationHub.Ledger;

namespace IntegrationHub.Adapters.Prosoz;

/// <summary>Prosoz-like procedure (SGB XII, AsylbLG): the signed handover container is pushed over HTTP and creates a case.</summary>
public sealed class ProsozAdapter(HttpClient http) : ITargetAdapter
{
    public const string KindName = "Prosoz";

    public string Kind => KindName;

    public async Task<DeliveryOutcome> DeliverAsync(DeliveryCall call, CancellationToken ct)
    {
        if (call.Step != DeliverySteps.Handover) throw new PermanentDeliveryException($"{KindName} takes case handovers only, not '{call.Step}'.");
        var receipt = await QuittungHttpClient.PostAsync(http, "api/v1/faelle", await call.BuildHandoverAsync(ct), ct);
        return DeliveryOutcome.HandedOver(receipt.Aktenzeichen);
    }
}
