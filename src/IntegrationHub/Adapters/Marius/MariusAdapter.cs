using IntegrationHub.Delivery;
using IntegrationHub.Ledger;

namespace IntegrationHub.Adapters.Marius;

/// <summary>Marius-like Wohngeld procedure: takes the signed handover container and answers with its Wohngeld case number.</summary>
public sealed class MariusAdapter(HttpClient http) : ITargetAdapter
{
    public const string KindName = "Marius";

    public string Kind => KindName;

    public async Task<DeliveryOutcome> DeliverAsync(DeliveryCall call, CancellationToken ct)
    {
        if (call.Step != DeliverySteps.Handover) throw new PermanentDeliveryException($"{KindName} takes case handovers only, not '{call.Step}'.");
        var receipt = await QuittungHttpClient.PostAsync(http, "api/v1/antraege", await call.BuildHandoverAsync(ct), ct);
        return DeliveryOutcome.HandedOver(receipt.Aktenzeichen);
    }
}
