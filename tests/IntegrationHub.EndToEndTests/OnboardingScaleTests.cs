using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace IntegrationHub.EndToEndTests;

/// <summary>A hub with a key folder of its own, so every municipality's keys are really generated (the settings' keys are copied in).</summary>
public sealed class OnboardingScaleFixture : OnboardingHubFixture
{
    public string KeyDirectory { get; } = Directory.CreateTempSubdirectory("integrationhub-e2e-scale-keys-").FullName;

    public override Task InitializeAsync()
    {
        var shared = TestServers.SharedKeyDirectory;
        if (Directory.Exists(shared))
            foreach (var file in Directory.EnumerateFiles(shared).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal)))
                File.Copy(file, Path.Combine(KeyDirectory, Path.GetFileName(file)));
        return base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
        base.Settings(simulators).Append(new("Hub:Keys:Directory", KeyDirectory));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        try { Directory.Delete(KeyDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Onboarding 200 municipalities from files in one run: all active and resolvable, one takes a submission; the figure is reported.</summary>
[Collection(OnboardingScaleCollection.Name)]
public sealed class OnboardingScaleTests(ITestOutputHelper output)
{
    private const int Count = 200;

    // Category Scale: ./test.sh runs it once per full run, on the servers profile (PostgreSQL, RabbitMQ), and leaves it
    // out of the embedded run (--filter Category!=Scale): it takes minutes (400 RSA keys) and the embedded profile adds nothing.
    [Fact]
    [Trait("Category", "Scale")]
    public async Task Two_hundred_municipalities_from_files_are_onboarded_in_one_batch_and_take_submissions_without_a_restart()
    {
        var hub = new OnboardingScaleFixture();
        await hub.InitializeAsync();
        try
        {
            var municipalities = Enumerable.Range(1, Count)
                .Select(i => (Ars: $"06439{i:D4}{i:D3}", Name: $"Gemeinde {i:D3}", Destination: Guid.NewGuid())).ToList();
            var files = municipalities.Select(m => new
            {
                name = $"{m.Ars}.yaml",
                content = OnboardingHubFixture.MunicipalityFile(m.Ars, m.Name, (OnboardingHubFixture.Sozialhilfe, m.Destination, "prosoz")),
            }).ToList();
            using var api = hub.Factory.CreateClient();
            api.Timeout = TimeSpan.FromMinutes(15);
            api.DefaultRequestHeaders.Add("X-Api-Key", OnboardingHubFixture.AdminKey);
            var tenants = hub.Factory.Services.GetRequiredService<TenantDirectory>();
            var generation = tenants.Generation;

            var clock = Stopwatch.StartNew();
            using var response = await api.PostAsJsonAsync("api/v1/operations/municipalities/apply-batch", new { files });
            clock.Stop();

            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.OK, text);
            var result = JsonNode.Parse(text)!;
            result["applied"]!.GetValue<int>().Should().Be(Count);
            var keySeconds = result["keySeconds"]!.GetValue<double>();
            var report = $"Onboarded {Count} municipalities from files in one batch: {clock.Elapsed.TotalSeconds:0.0} s in total, of which key generation " +
                         $"{keySeconds:0.0} s ({Count} RSA-4096 destination keys and {Count} RSA-3072 signing certificates, {Environment.ProcessorCount} in parallel); " +
                         $"profile {(HubFixture.OnServers ? "servers" : "embedded")}.";
            output.WriteLine(report);
            Console.WriteLine(report);

            // One activation for the whole batch, not one per municipality (the periodic refresh may have seen the committed
            // batch a moment before the applying request's own activation: then two); every municipality is active and its
            // destination resolves and publishes its key.
            tenants.Generation.Should().BeInRange(generation + 1, generation + 2);
            using var anonymous = hub.Factory.CreateClient();
            foreach (var m in municipalities)
            {
                tenants.FindDestination(m.Destination)?.Tenant.Ars.Should().Be(m.Ars);
                var destination = await anonymous.GetFromJsonAsync<JsonObject>($"v1/destinations/{m.Destination}");
                destination!["status"]!.GetValue<string>().Should().Be("active");
                destination["encryptionKid"]!.GetValue<string>().Should().NotBeNullOrEmpty();
            }
            var listed = await api.GetFromJsonAsync<JsonArray>("api/v1/operations/municipalities");
            listed!.Count(m => m!["source"]!.GetValue<string>() == "file" && m["version"]!.GetValue<int>() == 1 && m["state"]!.GetValue<string>() == "active")
                .Should().Be(Count);

            var chosen = municipalities[136];
            hub.PinSigningCertificate(chosen.Ars);
            var outcome = await hub.Sender().SubmitAsync(ApplicationFactory.Sozialhilfe(chosen.Ars, "65307", "Bad Schwalbach", seed: 7401), chosen.Destination);
            outcome.Accepted.Should().BeTrue(outcome.Problem?.ToJsonString());
            (await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value)).Deliveries.Should().ContainSingle()
                .Which.Status.Should().Be(IntegrationHub.Ledger.DeliveryStatus.Delivered);
        }
        finally
        {
            await hub.DisposeAsync();
        }
    }
}

/// <summary>
/// 400 RSA keys keep both cores busy for minutes and allocate as they go: the scale test runs alone, after the parallel
/// collections, so it neither slows the suites that measure time nor inflates the heap of those that measure memory.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OnboardingScaleCollection
{
    public const string Name = "onboarding at scale, alone";
}
