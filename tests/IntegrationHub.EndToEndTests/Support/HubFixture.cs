using System.Security.Cryptography;
using IntegrationHub.CaseStatus;
using IntegrationHub.Intake;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The hub with the simulators in-process on Kestrel, configured with the two demo municipalities of
/// appsettings.json. By default on the embedded default (in-memory bus, SQLite, filesystem blobs);
/// with HUB_E2E_PROFILE=servers the same suite runs on RabbitMQ + PostgreSQL + Azurite.
/// </summary>
public class HubFixture : IAsyncLifetime
{
    public const string Offenbach = "064130000000";
    public const string Darmstadt = "064110000000";
    public static readonly Guid OffenbachWohngeld = Guid.Parse("7f076675-a1c0-4408-9bcd-7aeb467f6f11");
    public static readonly Guid OffenbachSozialhilfe = Guid.Parse("cc8f952a-3e56-4e25-8484-0422819eb63f");
    public static readonly Guid DarmstadtWohngeld = Guid.Parse("1ee99b91-9d12-4c5b-8bef-40ea078102dd");
    public static readonly Guid DarmstadtSozialhilfe = Guid.Parse("0c4bde8e-d9cd-403e-af4d-4e9f3bbe4a68");

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "integrationhub-e2e-" + Guid.NewGuid().ToString("N"));

    private string? _virtualHost;
    // Every hub of this fixture logs into it too, when HUB_E2E_LOG_CAPTURE is set (the scan for personal data reads it).
    private LogCapture? _logCapture;
    /// <summary>The RabbitMQ virtual host of this fixture (servers profile only).</summary>
    public string? VirtualHost => _virtualHost;

    public static bool OnServers => Environment.GetEnvironmentVariable("HUB_E2E_PROFILE") == "servers";

    public SimulatorServer Simulators { get; private set; } = null!;
    public WebApplicationFactory<Program> Factory { get; private set; } = null!;
    public string ClientSecret { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    /// <summary>The bearer key of the DMS target; the simulated DMS is told to demand it.</summary>
    public string DmsApiKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    public const string ClientId = "efa-e2e";
    /// <summary>The secret with which the Prosoz-like procedure authenticates its status reports to the hub.</summary>
    public string ProsozCallbackSecret { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    /// <summary>A registered sender that may only submit to Darmstadt's Wohngeld destination.</summary>
    public const string NarrowClientId = "efa-darmstadt-only";

    public virtual async Task InitializeAsync()
    {
        Simulators = await SimulatorServer.StartAsync();
        Simulators.Dms.ApiKey = DmsApiKey;
        var servers = OnServers ? await TestServers.HubSettingsAsync("e2e") : [];
        _virtualHost = servers.GetValueOrDefault("ConnectionStrings:RabbitMq");
        Factory = CreateHub(servers);
        if (ListensOnRealPort)
        {
            Factory.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
            Factory.StartServer();
        }
        else _ = Factory.Server; // start the hub

        var tenants = Factory.Services.GetRequiredService<TenantDirectory>();
        var keys = Factory.Services.GetRequiredService<KeyStore>();
        foreach (var tenant in tenants.Tenants) Simulators.Pins.Pin(tenant.Ars, keys.SigningCertificate(tenant.Ars));
        var clients = Factory.Services.GetRequiredService<SenderClients>();
        clients.Register(ClientId, ClientSecret, tenants.Tenants.SelectMany(t => t.Destinations).Select(d => d.Id));
        clients.Register(NarrowClientId, ClientSecret, [DarmstadtWohngeld]);
        // The procedure reaches the hub (in-memory test server) through the factory's client.
        Simulators.Prosoz.Reports.ConfigureCallbacks(Factory.CreateClient(), new Uri(BaseAddress, "api/v1/procedures/prosoz/reports"), ProsozCallbackSecret);
    }

    /// <summary>True: the hub listens on a real 127.0.0.1 port (Kestrel), e.g. for a browser; else the in-memory test server.</summary>
    protected virtual bool ListensOnRealPort => false;

    /// <summary>Where the hub answers: its Kestrel address, or the test server's placeholder host.</summary>
    public Uri BaseAddress => ListensOnRealPort
        ? new Uri(Factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/') + "/")
        : new Uri("http://localhost/");

    /// <summary>A hub (not yet started) with every setting of this fixture: the simulators as targets, then <see cref="Settings"/>.</summary>
    protected WebApplicationFactory<Program> CreateHub(IReadOnlyDictionary<string, string?> servers)
    {
        _logCapture ??= LogCapture.Start(GetType().Name);
        return new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            _logCapture?.AddTo(web);
            foreach (var (key, value) in servers) web.UseSetting(key, value);
            web.UseSetting("Hub:DataDirectory", _dataDirectory);
            web.UseSetting("Hub:Keys:Directory", TestServers.SharedKeyDirectory);
            web.UseSetting("Hub:Keys:MasterKey", TestServers.MasterKey);
            web.UseSetting("Hub:PublicBaseUrl", "http://localhost");
            web.UseSetting("Hub:Targets:prosoz:BaseUrl", new Uri(Simulators.BaseAddress, "prosoz/").ToString());
            web.UseSetting("Hub:Targets:marius:BaseUrl", new Uri(Simulators.BaseAddress, "marius/").ToString());
            // The Marius-like procedure takes its cases from an XTA-style mailbox; the hub reads its answers there.
            foreach (var (key, value) in Simulators.Marius.HubTargetSettings("marius", Simulators.BaseAddress)) web.UseSetting(key, value);
            web.UseSetting("Hub:Targets:marius:PollInterval", "00:00:00.300");
            web.UseSetting("Hub:Targets:prosoz:CallbackSecret", ProsozCallbackSecret);
            web.UseSetting("Hub:Targets:bundid:BaseUrl", new Uri(Simulators.BaseAddress, "postbox/").ToString());
            web.UseSetting("Hub:Targets:bundid:Timeout", "00:00:10");
            web.UseSetting("Hub:Targets:bundid:IdentityProviderKey", Simulators.Postbox.IdentityProvider.PublicKeyPem);
            web.UseSetting("Hub:Targets:bundid:IdentityProviderIssuer", Simulators.Postbox.IdentityProvider.Issuer);
            web.UseSetting("Hub:Targets:dms:BaseUrl", new Uri(Simulators.BaseAddress, "dms/").ToString());
            web.UseSetting("Hub:Targets:dms:ApiKey", DmsApiKey);
            foreach (var (key, value) in Settings(Simulators)) web.UseSetting(key, value);
            web.ConfigureTestServices(services =>
            {
                // Smoke tests send through the hub's own intake: here the test server (or its Kestrel port), resolved once the hub runs.
                services.AddHttpClient(IntegrationHub.Tenancy.Onboarding.SmokeTests.SmokeTestClient.HttpClientName)
                    .ConfigureHttpClient(c => c.BaseAddress = BaseAddress)
                    .ConfigurePrimaryHttpMessageHandler(() => ListensOnRealPort ? new SocketsHttpHandler() : Factory.Server.CreateHandler());
                ConfigureServices(services);
            });
        });
    }

    /// <summary>Further hub settings (a derived fixture's targets, tenants, schedules), applied last.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) => [];

    /// <summary>Services a derived fixture puts in the hub's container (fakes of parts wired elsewhere), after the hub's own.</summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    public EfaOnlineService Sender(string clientId = ClientId) => new(Factory.CreateClient(), clientId, ClientSecret);

    /// <summary>A valid Sozialhilfe application to Darmstadt (routed to the Prosoz-like procedure), accepted for processing.</summary>
    public async Task<Guid> SubmitSozialhilfeAsync(int seed)
    {
        var outcome = await Sender().SubmitAsync(ApplicationFactory.Sozialhilfe(Darmstadt, "64283", "Darmstadt", seed: seed), DarmstadtSozialhilfe);
        outcome.SubmitStatus.Should().Be(202);
        return outcome.SubmissionId!.Value;
    }

    /// <summary>Reads until <paramref name="until"/> holds or 30 s have passed; returns the last value read.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> until)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await read();
            if (until(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(100);
        }
    }

    /// <summary>The submission's timeline from the ledger.</summary>
    public Task<CaseTimeline> TimelineAsync(Guid submissionId) => InLedgerAsync(async db => (await CaseTimeline.LoadAsync(db, submissionId))!);

    /// <summary>Waits until the submission's citizen status is <paramref name="status"/> and no delivery is pending.</summary>
    public async Task<CaseTimeline> WaitForCitizenStatusAsync(Guid submissionId, string status, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var timeline = await TimelineAsync(submissionId);
            var pending = await InLedgerAsync(db => db.Deliveries.CountAsync(d => d.SubmissionId == submissionId && d.Status == DeliveryStatus.Pending));
            if (timeline.CitizenStatus == status && pending == 0) return timeline;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Submission {submissionId} is {timeline.CitizenStatus} with {pending} pending deliveries, not {status}: {string.Join(", ", timeline.CitizenTrail)}.");
            await Task.Delay(100);
        }
    }

    /// <summary>Changes settings of the running hub, as an operator editing its configuration would (null removes one).</summary>
    public void Reconfigure(params (string Key, string? Value)[] settings)
    {
        var configuration = (IConfigurationRoot)Factory.Services.GetRequiredService<IConfiguration>();
        foreach (var (key, value) in settings) configuration[key] = value;
        configuration.Reload();
    }

    public async Task<T> InLedgerAsync<T>(Func<HubDbContext, Task<T>> query)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<HubDbContext>());
    }

    /// <summary>The name a procedure gave a reported document, decrypted (it is kept encrypted with the municipality's data key).</summary>
    public async Task<string?> DocumentNameAsync(StatusReport report)
    {
        var ars = await InLedgerAsync(db => db.Submissions.Where(s => s.Id == report.SubmissionId).Select(s => s.Ars).SingleAsync());
        IntegrationHub.Security.AtRest.AtRestProtector.IsProtectedText(report.DocumentName).Should().BeTrue("document names are encrypted at rest");
        return await Factory.Services.GetRequiredService<IntegrationHub.Security.AtRest.AtRestProtector>().UnprotectTextAsync(
            ars, report.DocumentName, ProcedureReports.DocumentNameContext(report.DocumentBlob!), default);
    }

    /// <summary>Waits until the submission is rejected, or accepted with every delivery finished (placed ones acknowledged).</summary>
    public async Task<(Submission Submission, List<TargetDelivery> Deliveries)> WaitUntilSettledAsync(Guid submissionId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var (submission, deliveries) = await InLedgerAsync(async db => (
                await db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submissionId),
                await db.Deliveries.AsNoTracking().Where(d => d.SubmissionId == submissionId).ToListAsync()));
            var settled = submission.Status == SubmissionStatus.Rejected
                || submission.Status == SubmissionStatus.Accepted && deliveries.Count > 0 && deliveries.All(d => d.Status is not (DeliveryStatus.Pending or DeliveryStatus.AwaitingAcknowledgement));
            if (settled) return (submission, deliveries);
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Submission {submissionId} did not settle: {submission.Status}, {deliveries.Count} deliveries.");
            await Task.Delay(100);
        }
    }

    public virtual async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        _logCapture?.Close();
        await Simulators.DisposeAsync();
        if (_virtualHost is not null) await TestServers.DeleteVirtualHostAsync(_virtualHost);
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class HubCollection : ICollectionFixture<HubFixture>
{
    public const string Name = "hub on the embedded default";
}
