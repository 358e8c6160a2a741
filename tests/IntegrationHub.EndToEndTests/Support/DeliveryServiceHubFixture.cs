using System.Security.Cryptography;
using IntegrationHub.Intake.Subscriber;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.DeliveryService;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The hub as subscriber of Offenbach's Sozialhilfe destination at the delivery-service simulator ("fitko"): the
/// destination is registered there with the hub's encryption key, the destination's signing key and the hub's callback
/// URL. The hub runs in a TestServer, so a small relay on Kestrel carries the simulator's callbacks to it, as the
/// network would.
/// </summary>
public class DeliveryServiceHubFixture : HubFixture
{
    public const string ServiceName = "fitko";
    public const string SubscriberClientId = "hub-subscriber";
    public const string SenderClientId = "efa-via-fitko";
    public static readonly Guid Destination = OffenbachSozialhilfe;

    public string SubscriberSecret { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
    public string CallbackSecret { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
    public string SenderSecret { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
    private WebApplication? _relay;

    /// <summary>How often the hub polls; zero: callbacks only.</summary>
    protected virtual TimeSpan PollInterval => TimeSpan.Zero;

    public DeliveryServiceSimulator DeliveryService => Simulators.DeliveryService;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var callbackUrl = await StartRelayAsync();
        var keys = Factory.Services.GetRequiredService<KeyStore>();
        var encryption = keys.DestinationKey(Destination);
        var signing = keys.DestinationSigningKey(Destination);
        DeliveryService.RegisterDestination(new DestinationRegistration(Destination,
            JsonWebKeys.ToPublicEncryptionJwk(encryption.Rsa, encryption.Kid), JsonWebKeys.ToPublicSigningJwk(signing.Rsa, signing.Kid),
            callbackUrl, CallbackSecret));
        DeliveryService.RegisterSubscriber(SubscriberClientId, SubscriberSecret, Destination);
        DeliveryService.RegisterSender(SenderClientId, SenderSecret);
    }

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
    [
        new($"Hub:DeliveryServices:{ServiceName}:BaseUrl", new Uri(simulators.BaseAddress, "fitconnect/").ToString()),
        new($"Hub:DeliveryServices:{ServiceName}:ClientId", SubscriberClientId),
        new($"Hub:DeliveryServices:{ServiceName}:ClientSecret", SubscriberSecret),
        new($"Hub:DeliveryServices:{ServiceName}:CallbackSecret", CallbackSecret),
        new($"Hub:DeliveryServices:{ServiceName}:PollInterval", PollInterval.ToString("c")),
        new($"Hub:DeliveryServices:{ServiceName}:Destinations:0", Destination.ToString()),
    ];

    /// <summary>An online service that submits to the delivery service (not to the hub).</summary>
    public EfaOnlineService SenderViaDeliveryService() =>
        new(new HttpClient { BaseAddress = new Uri(Simulators.BaseAddress, "fitconnect/") }, SenderClientId, SenderSecret);

    /// <summary>Waits until the hub has the submission in its ledger (null if it does not come within the timeout).</summary>
    public async Task<Submission?> WaitForLedgerRowAsync(Guid submissionId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var row = await InLedgerAsync(db => db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == submissionId));
            if (row is not null || DateTime.UtcNow > deadline) return row;
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Waits until the submission is accepted and its handover to the procedure is done (WaitUntilSettledAsync alone may
    /// return when the answer to the delivery service is done, before routing has added the handover).
    /// </summary>
    public async Task<(Submission Submission, List<TargetDelivery> Deliveries)> WaitUntilHandedOverAsync(Guid submissionId, string procedure)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var (submission, deliveries) = await WaitUntilSettledAsync(submissionId);
            if (submission.Status != SubmissionStatus.Accepted
                || deliveries.Any(d => d.Target == procedure && d.Step == DeliverySteps.Handover && d.Status != DeliveryStatus.Pending))
                return (submission, deliveries);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Submission {submissionId} was not handed over to {procedure}.");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the delivery service has the submission accepted or rejected.</summary>
    public async Task<SimulatedSubmission> WaitForDecisionAsync(Guid submissionId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var submission = DeliveryService.Submission(submissionId)!;
            if (submission.Status is SubmissionStates.Accepted or SubmissionStates.Rejected) return submission;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Submission {submissionId} is still {submission.Status} at the delivery service.");
            await Task.Delay(100);
        }
    }

    private async Task<Uri> StartRelayAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _relay = builder.Build();
        var hub = Factory.CreateClient();
        _relay.MapPost("/{**path}", async (HttpContext http, string path) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            using var forward = new HttpRequestMessage(HttpMethod.Post, "/" + path) { Content = new ByteArrayContent(body.ToArray()) };
            forward.Content.Headers.TryAddWithoutValidation("Content-Type", http.Request.ContentType);
            foreach (var header in new[] { "callback-authentication", "callback-timestamp" })
                if (http.Request.Headers.TryGetValue(header, out var value)) forward.Headers.TryAddWithoutValidation(header, value.ToString());
            using var answer = await hub.SendAsync(forward);
            http.Response.StatusCode = (int)answer.StatusCode;
            if (answer.Content.Headers.ContentType is { } type) http.Response.ContentType = type.ToString();
            await answer.Content.CopyToAsync(http.Response.Body);
        });
        await _relay.StartAsync();
        var address = _relay.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(new Uri(address), DeliveryServiceCallbacks.CallbackPath(ServiceName));
    }

    public override async Task DisposeAsync()
    {
        if (_relay is not null) await _relay.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>The same, but the hub polls every second and the delivery service sends no callbacks.</summary>
public sealed class PollingDeliveryServiceHubFixture : DeliveryServiceHubFixture
{
    protected override TimeSpan PollInterval => TimeSpan.FromSeconds(1);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        DeliveryService.CallbacksEnabled = false;
    }
}
