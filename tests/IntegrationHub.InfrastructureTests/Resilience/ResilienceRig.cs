using System.Collections.Concurrent;
using System.Security.Cryptography;
using IntegrationHub.EndToEndTests;
using IntegrationHub.Ledger;
using IntegrationHub.Signing;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace IntegrationHub.InfrastructureTests.Resilience;

/// <summary>
/// Everything a resilience test needs: the servers (own database, virtual host, container), the
/// simulators in this process, the hub configuration shared by every hub process of the test, a
/// sender that keeps going when the hub is away, and a view on the ledger.
/// </summary>
public sealed class ResilienceRig : IAsyncDisposable
{
    public const string Offenbach = "064130000000";
    public const string Darmstadt = "064110000000";
    private static readonly (string Ars, string Plz, string Ort, Guid Wohngeld, Guid Sozialhilfe)[] Municipalities =
    [
        (Offenbach, "63065", "Offenbach am Main", Guid.Parse("7f076675-a1c0-4408-9bcd-7aeb467f6f11"), Guid.Parse("cc8f952a-3e56-4e25-8484-0422819eb63f")),
        (Darmstadt, "64283", "Darmstadt", Guid.Parse("1ee99b91-9d12-4c5b-8bef-40ea078102dd"), Guid.Parse("0c4bde8e-d9cd-403e-af4d-4e9f3bbe4a68")),
    ];
    private static readonly string SharedKeyDirectory = TestServers.SharedKeyDirectory;
    private const string ClientId = "efa-resilience";
    public string SenderClientId => ClientId;
    public string SenderSecret => _secret;

    private readonly string _secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("integrationhub-resilience-").FullName;

    private ResilienceRig(SimulatorServer simulators, Dictionary<string, string?> settings)
    {
        Simulators = simulators;
        Settings = settings;
    }

    public SimulatorServer Simulators { get; }
    public Dictionary<string, string?> Settings { get; }
    public string VirtualHost => Settings["ConnectionStrings:RabbitMq"]!;
    public string Ledger => Settings["ConnectionStrings:Ledger"]!;

    public static async Task<ResilienceRig> StartAsync(string prefix, IDictionary<string, string?>? overrides = null)
    {
        var simulators = await SimulatorServer.StartAsync();
        var settings = await TestServers.HubSettingsAsync(prefix);
        var rig = new ResilienceRig(simulators, settings);
        settings["Hub:DataDirectory"] = rig._dataDirectory;
        settings["Hub:Keys:Directory"] = SharedKeyDirectory;
        settings["Hub:Keys:MasterKey"] = TestServers.MasterKey;
        settings["Hub:Targets:prosoz:BaseUrl"] = new Uri(simulators.BaseAddress, "prosoz/").ToString();
        settings["Hub:Targets:marius:BaseUrl"] = new Uri(simulators.BaseAddress, "marius/").ToString();
        foreach (var (key, value) in simulators.Marius.HubTargetSettings("marius", simulators.BaseAddress)) settings[key] = value;
        settings["Hub:Targets:marius:PollInterval"] = "00:00:01";
        // The DMS and the postbox of the demo municipalities: the hub process makes every call of a case.
        settings["Hub:Targets:dms:BaseUrl"] = new Uri(simulators.BaseAddress, "dms/").ToString();
        settings["Hub:Targets:dms:ApiKey"] = simulators.Dms.ApiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        settings["Hub:Targets:bundid:BaseUrl"] = new Uri(simulators.BaseAddress, "postbox/").ToString();
        settings["Hub:Targets:bundid:IdentityProviderKey"] = simulators.Postbox.IdentityProvider.PublicKeyPem;
        settings["Hub:Targets:bundid:IdentityProviderIssuer"] = simulators.Postbox.IdentityProvider.Issuer;
        settings["Hub:Senders:0:ClientId"] = ClientId;
        settings["Hub:Senders:0:SecretSha256"] = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(rig._secret)));
        for (var i = 0; i < Municipalities.Length; i++)
        {
            settings[$"Hub:Senders:0:Destinations:{2 * i}"] = Municipalities[i].Wohngeld.ToString();
            settings[$"Hub:Senders:0:Destinations:{2 * i + 1}"] = Municipalities[i].Sozialhilfe.ToString();
        }
        // Hundreds of submissions by one client within a minute: above the default per-client rate limit (600/min).
        settings["Hub:Limits:RateLimit:PermitLimit"] = "100000";
        settings["Hub:Outbox:SweepInterval"] = "00:00:02";
        settings["Hub:Outbox:StaleAfter"] = "00:00:15";
        settings["Hub:Delivery:InitialBackoff"] = "00:00:01";
        settings["Hub:RabbitMq:ProbeInterval"] = "00:00:03";
        settings["Hub:RabbitMq:StuckAfter"] = "00:00:15";
        settings["Hub:Delivery:MaxBackoff"] = "00:00:05";
        settings["Serilog:MinimumLevel:Default"] = "Information";
        settings["Serilog:MinimumLevel:Override:IntegrationHub.Outbox"] = "Debug";
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;
        return rig;
    }

    public HubProcess NewHub(string name, int? port = null) => new(name, Settings, port);

    /// <summary>Pins the municipalities' signing certificates the hub published in its key folder.</summary>
    public void PinSigningCertificates()
    {
        foreach (var m in Municipalities)
            Simulators.Pins.Pin(m.Ars, SigningCertificates.ImportPublicPem(File.ReadAllText(Path.Combine(SharedKeyDirectory, $"signing-{m.Ars}.crt.pem"))));
    }

    public static (DemoApplication Application, Guid Destination) Application(int i)
    {
        var m = Municipalities[i % Municipalities.Length];
        var withAttachment = i % 10 == 0;
        return (i / 2) % 2 == 0
            ? (ApplicationFactory.Wohngeld(m.Ars, m.Plz, m.Ort, 10_000 + i, withAttachment: withAttachment), m.Wohngeld)
            : (ApplicationFactory.Sozialhilfe(m.Ars, m.Plz, m.Ort, 10_000 + i, withAttachment: withAttachment), m.Sozialhilfe);
    }

    /// <summary>
    /// Submits applications 0..count-1 with several workers, like online services do: when the hub does
    /// not confirm a submission (202), the sender starts it again. Returns the confirmed submission ids.
    /// </summary>
    public async Task<ConcurrentBag<Guid>> SubmitAsync(int count, Func<int, HubProcess> hubFor, int workers = 6,
        Func<int, Task>? afterConfirmed = null, TimeSpan? giveUpAfter = null)
    {
        var confirmed = new ConcurrentBag<Guid>();
        var next = -1;
        var deadline = DateTime.UtcNow + (giveUpAfter ?? TimeSpan.FromMinutes(5));
        var senders = new ConcurrentDictionary<Uri, EfaOnlineService>();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var (application, destination) = Application(i);
                while (true)
                {
                    var hub = hubFor(i);
                    var sender = senders.GetOrAdd(hub.BaseAddress, address =>
                        new EfaOnlineService(new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) }, ClientId, _secret));
                    try
                    {
                        var outcome = await sender.SubmitAsync(application, destination);
                        if (outcome.SubmitStatus == 202)
                        {
                            confirmed.Add(outcome.SubmissionId!.Value);
                            if (afterConfirmed is not null) await afterConfirmed(confirmed.Count);
                            break;
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { }
                    if (DateTime.UtcNow > deadline) throw new TimeoutException($"Application {i} could not be submitted in time.");
                    await Task.Delay(500);
                }
            }
        }));
        return confirmed;
    }

    public HubDbContext LedgerContext() => new(new DbContextOptionsBuilder<HubDbContext>().UseNpgsql(Ledger).Options);

    /// <summary>Waits until every submitted (not rejected) submission is handed over and has all its other calls finished.</summary>
    public async Task<(List<Submission> Submissions, List<TargetDelivery> Deliveries)> WaitUntilAllDeliveredAsync(
        IReadOnlyCollection<Guid> mustBeDelivered, TimeSpan timeout, ITestOutputHelper output, params HubProcess[] hubs)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var db = LedgerContext();
            var submissions = await db.Submissions.AsNoTracking().Where(s => s.Status != SubmissionStatus.Incomplete).ToListAsync();
            var deliveries = await db.Deliveries.AsNoTracking().ToListAsync();
            var delivered = deliveries.GroupBy(d => d.SubmissionId)
                .Where(g => g.Any(d => d.Step == DeliverySteps.Handover && d.Status == DeliveryStatus.Delivered) && g.All(d => d.IsFinal))
                .Select(g => g.Key).ToHashSet();
            var open = submissions.Count(s => s.Status != SubmissionStatus.Rejected && !delivered.Contains(s.Id));
            if (open == 0 && mustBeDelivered.All(delivered.Contains)) return (submissions, deliveries);
            if (DateTime.UtcNow > deadline)
            {
                output.WriteLine($"Still open: {open} of {submissions.Count}; by status: " +
                    string.Join(", ", submissions.GroupBy(s => s.Status).Select(g => $"{g.Key}={g.Count()}")) +
                    "; routed: " + submissions.Count(s => s.RoutedAt != null) + "; deliveries by status: " +
                    string.Join(", ", deliveries.GroupBy(d => d.Status).Select(g => $"{g.Key}={g.Count()}")) +
                    "; faults: " + string.Join(", ", submissions.Where(s => s.ProcessingFault != null).Select(s => s.ProcessingFault).Distinct()));
                using (var management = TestServers.Management())
                {
                    var vhost = Uri.EscapeDataString(new Uri(VirtualHost).AbsolutePath.TrimStart('/'));
                    var queues = System.Text.Json.Nodes.JsonNode.Parse(await management.GetStringAsync($"api/queues/{vhost}"))!.AsArray();
                    output.WriteLine("queues: " + string.Join("; ", queues.Select(q =>
                        $"{q!["name"]} messages={q["messages"]} consumers={q["consumers"]} state={q["state"]}")));
                }
                foreach (var hub in hubs)
                {
                    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                    var health = await http.GetAsync(new Uri(hub.BaseAddress, "health/ready"));
                    var log = Path.Combine(Path.GetTempPath(), $"integrationhub-{hub.Name}-{Guid.NewGuid():N}.log");
                    await File.WriteAllLinesAsync(log, hub.Output);
                    output.WriteLine($"--- {hub.Name} ({(int)health.StatusCode} {await health.Content.ReadAsStringAsync()}), whole log in {log}:\n{hub.Tail(60)}");
                }
                throw new TimeoutException($"{open} submissions were not delivered within {timeout}.");
            }
            await Task.Delay(1000);
        }
    }

    /// <summary>The ledger and the simulators agree: one case per submission, with the ledger's Aktenzeichen, and every call made once.</summary>
    public void AssertExactlyOnce(List<Submission> submissions, List<TargetDelivery> deliveries, IEnumerable<Guid> confirmed)
    {
        var accepted = submissions.Where(s => s.Status == SubmissionStatus.Accepted).ToList();
        accepted.Should().HaveCountGreaterThanOrEqualTo(confirmed.Count());
        var cases = Simulators.Prosoz.Cases.Concat(Simulators.Marius.Cases).ToList();
        cases.GroupBy(c => c.SubmissionId).Where(g => g.Count() > 1).Should().BeEmpty("no submission may create a second case");
        cases.Should().HaveCount(accepted.Count, "every accepted submission created exactly one case");
        deliveries.Should().OnlyContain(d => d.Status == DeliveryStatus.Delivered);
        foreach (var d in deliveries.Where(d => d.Step == DeliverySteps.Handover))
            cases.Single(c => c.SubmissionId == d.SubmissionId).Aktenzeichen.Should().Be(d.Aktenzeichen);
        deliveries.GroupBy(d => (d.SubmissionId, d.Target, d.Step)).Should().OnlyContain(g => g.Count() == 1);
    }

    public async ValueTask DisposeAsync()
    {
        await Simulators.DisposeAsync();
        await TestServers.DeleteVirtualHostAsync(VirtualHost);
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}
