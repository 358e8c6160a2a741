using System.Text;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.Dms;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.UnitTests.Jose.Streaming;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.UnitTests.Adapters;

/// <summary>A simulator server whose DMS demands a bearer key, plus the hub pieces a delivery call is built from.</summary>
public sealed class DmsTargetFixture : IAsyncLifetime
{
    public const string ApiKey = "unit-test-dms-key";

    public SimulatorServer Server { get; private set; } = null!;

    public StreamingReaderFixture Hub { get; } = new();

    public DmsSimulator Dms => Server.Dms;

    public async Task InitializeAsync()
    {
        Server = await SimulatorServer.StartAsync();
        Server.Dms.ApiKey = ApiKey;
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Hub.Dispose();
    }

    /// <summary>A Wohngeld submission stored encrypted as intake keeps it, with these attachments.</summary>
    public async Task<(Submission Submission, DemoApplication Application)> StoreAsync(params byte[][] attachments)
    {
        var application = ApplicationFactory.Wohngeld(StreamingReaderFixture.Ars, StreamingReaderFixture.Plz, StreamingReaderFixture.Ort, 3, withAttachment: false) with
        {
            Attachments = attachments.Select((c, i) => new DemoAttachment(Guid.NewGuid(), $"nachweis-{i}.pdf", "application/pdf", c)).ToList(),
        };
        var submission = StreamingReaderFixture.NewSubmission(application);
        submission.SubmittedAt = new DateTimeOffset(2026, 3, 2, 9, 30, 0, TimeSpan.Zero);
        await PutAsync(SubmissionBlobs.Metadata(submission.Id), Encrypt(Encoding.UTF8.GetBytes(Hub.Sender.BuildMetadata(application).ToJsonString())));
        await PutAsync(SubmissionBlobs.Data(submission.Id), Encrypt(application.Xml));
        foreach (var a in application.Attachments)
        {
            await PutAsync(SubmissionBlobs.Attachment(submission.Id, a.AttachmentId), Encrypt(a.Content));
        }

        return (submission, application);
    }

    public string Encrypt(byte[] plaintext)
    {
        using var key = Hub.DestinationPublicKey();
        return JweEncryptor.Encrypt(plaintext, key, Hub.Keys.DestinationKey(StreamingReaderFixture.DestinationId).Kid); // the kid the destination publishes
    }

    public Task PutAsync(string blob, string compact) => Hub.Blobs.PutAsync(blob, new MemoryStream(Encoding.ASCII.GetBytes(compact)));

    /// <summary>What DeliveryRequestedConsumer builds for one step to the target "dms".</summary>
    public DeliveryCall Call(Submission submission, string step, DeliveryPayload payload, TenantOptions tenant, string kind = "Dms",
        IDictionary<string, string?>? settings = null)
    {
        var now = DateTimeOffset.UtcNow;
        var delivery = new TargetDelivery
        {
            Id = Guid.NewGuid(),
            SubmissionId = submission.Id,
            Ars = submission.Ars,
            Target = "dms",
            Step = step,
            Payload = payload.ToJson(),
            Status = DeliveryStatus.Pending,
            IdempotencyKey = TargetDelivery.IdempotencyKeyFor(submission.Id, "dms", step),
            CreatedAt = now,
            UpdatedAt = now,
        };
        var values = new Dictionary<string, string?>
        {
            ["Kind"] = kind,
            ["RepositoryId"] = DmsSimulator.DefaultRepositoryId,
            ["ApiKey"] = ApiKey,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("Hub:Targets:dms:" + v.Key, v.Value)))
            .Build();
        var options = new TargetOptions { Kind = kind, BaseUrl = new Uri(Server.BaseAddress, "dms/").ToString(), Timeout = TimeSpan.FromSeconds(10) };
        return new DeliveryCall(delivery, submission, options, tenant, configuration.GetSection("Hub:Targets:dms"), payload.Aktenzeichen,
            Hub.Reader, Hub.Blobs, Hub.Keys, 16 * 1024 * 1024);
    }

    /// <summary>The municipality with a catch-all entry, one for Wohngeld and a more specific one for Wohngeld Bescheide.</summary>
    public static TenantOptions Tenant(params AktenplanEntry[] entries) => new()
    {
        Ars = StreamingReaderFixture.Ars,
        Name = "Musterstadt",
        Dms = "dms",
        Aktenplan = entries.Length > 0
            ? [.. entries]
            :
            [
                new AktenplanEntry { Key = "00.01", AkteTitle = "Allgemeiner Schriftverkehr" },
                new AktenplanEntry { LeikaKey = DemoServices.WohngeldLeikaKey, Key = "50.22.01", AkteTitle = "Wohngeld Anträge" },
                new AktenplanEntry { LeikaKey = DemoServices.WohngeldLeikaKey, DocumentType = "Bescheid", Key = "50.22.02", AkteTitle = "Wohngeld Bescheide" },
            ],
    };

    public static DeliveryPayload Antrag(string aktenzeichen) => new()
    {
        DocumentKind = DocumentKinds.Antrag,
        Aktenzeichen = aktenzeichen,
        Procedure = "marius",
        OccurredAt = new DateTimeOffset(2026, 3, 2, 9, 30, 0, TimeSpan.Zero),
    };

    public static string NewAktenzeichen() => $"WG-2026-{Random.Shared.Next(100000, 999999)}";
}
