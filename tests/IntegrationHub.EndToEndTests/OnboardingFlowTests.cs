using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Hubctl = IntegrationHub.Cli.Hubctl;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub with one more operator: an admin who covers Offenbach only.</summary>
public class OnboardingHubFixture : HubFixture
{
    public const string AdminKey = "admin-local-only", ReaderKey = "reader-local-only", OffenbachAdminKey = "offenbach-admin-e2e-key";

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) => new Dictionary<string, string>
    {
        ["Hub:Operations:Operators:4:Name"] = "ops-admin-offenbach",
        ["Hub:Operations:Operators:4:Role"] = "Admin",
        ["Hub:Operations:Operators:4:KeySha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(OffenbachAdminKey))),
        ["Hub:Operations:Operators:4:Municipalities:0"] = Offenbach,
        // Changes other hub processes make in the ledger are picked up within a second here.
        ["Hub:Onboarding:RefreshInterval"] = "00:00:01",
    };

    public HttpClient Api(string key = AdminKey)
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    /// <summary>A municipality file with one destination per service, routed to the settings' shared targets; the E2E sender may submit.</summary>
    public static string MunicipalityFile(string ars, string name, params (string LeikaKey, Guid Destination, string Target)[] services)
    {
        var yaml = new StringBuilder($"name: {name}\nars: \"{ars}\"\nags: \"{ars[..5]}{ars[9..]}\"\nservices:\n");
        foreach (var s in services)
            yaml.Append($"  - leikaKey: \"{s.LeikaKey}\"\n    name: {(s.LeikaKey == Wohngeld ? "Wohngeld" : "Sozialhilfe")}\n" +
                        $"    schemaUri: urn:integrationhub:xoev:{(s.LeikaKey == Wohngeld ? "wohngeld" : "sozialhilfe")}:1.0\n" +
                        $"    destination: {s.Destination}\n    targets: [{s.Target}]\n");
        yaml.Append($"senders:\n  - clientId: {ClientId}\n    destinations: [{string.Join(", ", services.Select(s => s.Destination))}]\n");
        return yaml.ToString();
    }

    public const string Wohngeld = "99107004017000", Sozialhilfe = "99079005000000";

    /// <summary>The procedures pin the signing certificate the hub generated for the municipality (as a receiver does when onboarding).</summary>
    public void PinSigningCertificate(string ars) =>
        Simulators.Pins.Pin(ars, Factory.Services.GetRequiredService<KeyStore>().SigningCertificate(ars));

    /// <summary>The repository's sample file for Stadt Dreieich, admitting the E2E sender instead of the demo's.</summary>
    public static string DreieichSample() =>
        File.ReadAllText(Path.Combine(Repository(), "tenants", "064380003003-dreieich.yaml")).Replace("clientId: efa-demo", $"clientId: {ClientId}");

    public static string Repository()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "tenants", "064380003003-dreieich.yaml"))) return folder.FullName;
        throw new InvalidOperationException("The repository's tenants folder was not found.");
    }
}

/// <summary>
/// Onboarding a municipality as configuration while the hub runs: apply a file through the operations API and receive
/// its first submission without a restart; dry run; plan via hubctl; rollback; disable during traffic; the refusals.
/// </summary>
public sealed class OnboardingFlowTests(OnboardingHubFixture hub) : IClassFixture<OnboardingHubFixture>
{
    private const string Dreieich = "064380003003";
    private static readonly Guid DreieichWohngeld = Guid.Parse("3b6f2a1e-8c4d-4e7a-9f10-2d5c6b7a8e91");
    private static readonly Guid DreieichSozialhilfe = Guid.Parse("9d4e5f6a-1b2c-4d3e-8f70-a1b2c3d4e5f6");

    private TenantDirectory Tenants => hub.Factory.Services.GetRequiredService<TenantDirectory>();

    private static async Task<JsonObject> PostAsync(HttpClient api, string path, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await api.PostAsJsonAsync("api/v1/operations/municipalities" + path, body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static Task<JsonObject> ApplyAsync(HttpClient api, string content, bool dryRun = false, HttpStatusCode expected = HttpStatusCode.OK) =>
        PostAsync(api, "/apply" + (dryRun ? "?dryRun=true" : ""), new { name = "municipality.yaml", content }, expected);

    private Task<(int Exit, string Output, string Error)> HubctlAsync(params string[] args) =>
        HubctlRunner.RunAsync(hub.Factory.CreateClient(), args);

    private async Task<SubmissionOutcome> SubmitSozialhilfeAsync(string ars, Guid destination, int seed) =>
        await hub.Sender().SubmitAsync(ApplicationFactory.Sozialhilfe(ars, "63303", "Dreieich", seed: seed), destination);

    private static string ProblemType(SubmissionOutcome outcome) => outcome.Problem?["type"]?.GetValue<string>() ?? "";

    [Fact]
    public async Task A_municipality_applied_from_its_file_receives_its_first_submission_without_a_restart()
    {
        using var api = hub.Api();
        Tenants.FindDestination(DreieichSozialhilfe).Should().BeNull();
        var before = Tenants.Generation;

        var applied = await ApplyAsync(api, OnboardingHubFixture.DreieichSample());

        applied["outcome"]!.GetValue<string>().Should().Be("applied");
        applied["version"]!.GetValue<int>().Should().Be(1);
        applied["keys"]!.AsArray().Select(k => k!["kind"]!.GetValue<string>()).Should().BeEquivalentTo(["signing-certificate", "destination-key", "destination-key"]);
        Tenants.Generation.Should().BeGreaterThan(before);
        Tenants.FindDestination(DreieichSozialhilfe)!.Tenant.Ars.Should().Be(Dreieich);
        hub.PinSigningCertificate(Dreieich);

        // The first submission goes the whole way to the procedure (the settings' shared Prosoz-like target).
        var outcome = await SubmitSozialhilfeAsync(Dreieich, DreieichSozialhilfe, seed: 7301);
        outcome.Accepted.Should().BeTrue(outcome.Problem?.ToJsonString());
        var (submission, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
        submission.Status.Should().Be(SubmissionStatus.Accepted);
        deliveries.Should().ContainSingle(d => d.Target == "prosoz").Which.Status.Should().Be(DeliveryStatus.Delivered);
        hub.Simulators.Prosoz.Cases.Should().ContainSingle(c => c.SubmissionId == outcome.SubmissionId);

        // Who applied what and when: the version, the list, the audit.
        var version = await hub.InLedgerAsync(db => db.MunicipalityVersions.AsNoTracking().SingleAsync(v => v.Ars == Dreieich && v.Version == 1));
        version.AppliedBy.Should().Be("ops-admin");
        version.Action.Should().Be("apply");
        version.ContentSha256.Should().Be(applied["sha256"]!.GetValue<string>());
        (await hub.InLedgerAsync(db => db.OperatorAudit.CountAsync(a => a.Action == "municipality-apply" && a.Subject == Dreieich && a.Actor == "ops-admin"))).Should().Be(1);
        var (exit, list, _) = await HubctlAsync("tenant", "list", "--api-key", OnboardingHubFixture.ReaderKey);
        exit.Should().Be(Hubctl.Ok);
        list.Should().MatchRegex($@"{Dreieich}\s*[│|]\s*Stadt Dreieich\s*[│|]\s*file\s*[│|]\s*active\s*[│|]\s*1\s*[│|]\s*ops-admin");
        list.Should().MatchRegex($@"{HubFixture.Offenbach}\s*[│|][^\n]*[│|]\s*settings\s*[│|]\s*active");

        // The published key is the one the hub generated and keeps.
        var shown = await api.GetFromJsonAsync<JsonObject>($"api/v1/operations/municipalities/{Dreieich}");
        var kid = (await hub.Factory.CreateClient().GetFromJsonAsync<JsonObject>($"v1/destinations/{DreieichSozialhilfe}"))!["encryptionKid"]!.GetValue<string>();
        kid.Should().Be(hub.Factory.Services.GetRequiredService<KeyStore>().DestinationKey(DreieichSozialhilfe).Kid);
        shown!["destinations"]!.AsArray().Select(d => d!["encryptionKid"]!.GetValue<string>()).Should().Contain(kid);

        // Applying the same file again changes nothing.
        var again = await ApplyAsync(api, OnboardingHubFixture.DreieichSample());
        again["outcome"]!.GetValue<string>().Should().Be("unchanged");
        (await hub.InLedgerAsync(db => db.MunicipalityVersions.CountAsync(v => v.Ars == Dreieich))).Should().Be(1);
    }

    [Fact]
    public async Task A_version_another_hub_process_applied_is_picked_up_and_a_broken_stored_version_keeps_the_previous_state()
    {
        const string obertshausen = "064380011011";
        var (sozialhilfe, wohngeld) = (Guid.NewGuid(), Guid.NewGuid());
        using var api = hub.Api();
        await ApplyAsync(api, OnboardingHubFixture.MunicipalityFile(obertshausen, "Stadt Obertshausen", (OnboardingHubFixture.Sozialhilfe, sozialhilfe, "prosoz")));

        // Another hub process applies version 2 (the ledger is shared): this one follows within its refresh interval.
        var v2 = OnboardingHubFixture.MunicipalityFile(obertshausen, "Stadt Obertshausen",
            (OnboardingHubFixture.Sozialhilfe, sozialhilfe, "prosoz"), (OnboardingHubFixture.Wohngeld, wohngeld, "marius"));
        await StoreVersionAsync(obertshausen, 2, v2);
        (await HubFixture.WaitForAsync(() => Task.FromResult(Tenants.FindDestination(wohngeld)), d => d is not null)).Should().NotBeNull();
        Tenants.Onboarded(obertshausen)!.Version.Should().Be(2);

        // A version 3 that cannot be read: logged, and the municipality stays as it was.
        await StoreVersionAsync(obertshausen, 3, "name: Stadt Obertshausen\nservices: [\n");
        await hub.Factory.Services.GetRequiredService<IntegrationHub.Tenancy.Onboarding.Workflow.MunicipalityActivation>().ReloadAsync(default);
        Tenants.Onboarded(obertshausen)!.Version.Should().Be(2);
        Tenants.FindDestination(wohngeld)!.Tenant.Ars.Should().Be(obertshausen);
        Tenants.FindDestination(sozialhilfe)!.Tenant.Ars.Should().Be(obertshausen);
    }

    private Task StoreVersionAsync(string ars, int version, string content) => hub.InLedgerAsync(async db =>
    {
        var now = DateTimeOffset.UtcNow;
        db.MunicipalityVersions.Add(new IntegrationHub.Tenancy.Onboarding.MunicipalityVersion
        {
            Ars = ars, Version = version, Content = content, ContentSha256 = IntegrationHub.Tenancy.Onboarding.Workflow.MunicipalityRegistry.Sha256(content),
            Action = "apply", AppliedBy = "ops-admin-elsewhere", AppliedAt = now,
        });
        var row = await db.Municipalities.SingleAsync(m => m.Ars == ars);
        row.ActiveVersion = version;
        row.UpdatedAt = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        return await db.SaveChangesAsync();
    });

    [Fact]
    public async Task A_dry_run_generates_the_keys_but_stores_and_activates_nothing()
    {
        const string langen = "064380006006";
        var destination = Guid.NewGuid();
        using var api = hub.Api();

        var result = await ApplyAsync(api, OnboardingHubFixture.MunicipalityFile(langen, "Stadt Langen", (OnboardingHubFixture.Sozialhilfe, destination, "prosoz")), dryRun: true);

        result["outcome"]!.GetValue<string>().Should().Be("dry-run");
        result["changes"]!.AsArray().Should().NotBeEmpty();
        result["keys"]!.AsArray().Select(k => k!["id"]!.GetValue<string>()).Should().Contain(destination.ToString());
        Tenants.FindTenant(langen).Should().BeNull();
        (await hub.Factory.CreateClient().GetAsync($"v1/destinations/{destination}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await hub.InLedgerAsync(db => db.Municipalities.CountAsync(m => m.Ars == langen))).Should().Be(0);
        (await hub.InLedgerAsync(db => db.MunicipalityVersions.CountAsync(m => m.Ars == langen))).Should().Be(0);
    }

    [Fact]
    public async Task Hubctl_plans_a_file_as_a_diff_against_the_running_configuration()
    {
        const string egelsbach = "064380002002";
        var (wohngeld, sozialhilfe) = (Guid.NewGuid(), Guid.NewGuid());
        var folder = Directory.CreateTempSubdirectory("onboarding-plan-").FullName;
        try
        {
            var path = Path.Combine(folder, "egelsbach.yaml");
            await File.WriteAllTextAsync(path, OnboardingHubFixture.MunicipalityFile(egelsbach, "Gemeinde Egelsbach",
                (OnboardingHubFixture.Wohngeld, wohngeld, "marius"), (OnboardingHubFixture.Sozialhilfe, sozialhilfe, "prosoz")));

            var (exit, output, error) = await HubctlAsync("tenant", "plan", path, "--api-key", OnboardingHubFixture.ReaderKey);
            exit.Should().Be(Hubctl.Ok, error);
            output.Should().Contain($"{egelsbach} Gemeinde Egelsbach (new municipality)")
                .And.Contain($"+ services[{OnboardingHubFixture.Wohngeld}] Wohngeld → [marius] (destination {wohngeld})")
                .And.Contain($"* generates destination key for {sozialhilfe} (RSA-4096)")
                .And.Contain($"* generates signing certificate for {egelsbach}")
                .And.Contain("Plan: new municipality:");

            (exit, _, error) = await HubctlAsync("tenant", "apply", path, "--api-key", OnboardingHubFixture.AdminKey);
            exit.Should().Be(Hubctl.Ok, error);

            // v2: Wohngeld goes, Sozialhilfe goes to another destination.
            var moved = Guid.NewGuid();
            await File.WriteAllTextAsync(path, OnboardingHubFixture.MunicipalityFile(egelsbach, "Gemeinde Egelsbach", (OnboardingHubFixture.Sozialhilfe, moved, "prosoz")));
            (exit, output, error) = await HubctlAsync("tenant", "plan", path, "--api-key", OnboardingHubFixture.ReaderKey);
            exit.Should().Be(Hubctl.Ok, error);
            output.Should().Contain("(changes against version 1)")
                .And.Contain($"- services[{OnboardingHubFixture.Wohngeld}] Wohngeld → [marius] (destination {wohngeld})")
                .And.Contain($"~ services[{OnboardingHubFixture.Sozialhilfe}].destination: {sozialhilfe} → {moved}")
                .And.Contain($"~ senders[{HubFixture.ClientId}].destinations: ")
                .And.Contain($"* generates destination key for {moved}")
                .And.Contain("Plan: changes: 0 to add, 2 to change, 1 to remove; 1 key to generate.");
            output.Should().NotContain("+ services[");

            // Planning changes nothing.
            Tenants.FindDestination(moved).Should().BeNull();
            Tenants.FindDestination(wohngeld).Should().NotBeNull();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_rollback_applies_the_previous_version_again_and_its_destination_resolves_again()
    {
        const string neuIsenburg = "064380008008";
        var (wohngeld, sozialhilfe) = (Guid.NewGuid(), Guid.NewGuid());
        using var api = hub.Api();
        var v1 = OnboardingHubFixture.MunicipalityFile(neuIsenburg, "Stadt Neu-Isenburg",
            (OnboardingHubFixture.Wohngeld, wohngeld, "marius"), (OnboardingHubFixture.Sozialhilfe, sozialhilfe, "prosoz"));
        await ApplyAsync(api, v1);
        var v2 = await ApplyAsync(api, OnboardingHubFixture.MunicipalityFile(neuIsenburg, "Stadt Neu-Isenburg", (OnboardingHubFixture.Sozialhilfe, sozialhilfe, "prosoz")));
        v2["version"]!.GetValue<int>().Should().Be(2);
        Tenants.FindDestination(wohngeld).Should().BeNull();
        (await hub.Factory.CreateClient().GetAsync($"v1/destinations/{wohngeld}")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var (exit, output, error) = await HubctlAsync("tenant", "rollback", neuIsenburg, "--api-key", OnboardingHubFixture.AdminKey);

        exit.Should().Be(Hubctl.Ok, error);
        output.Should().Contain($"Rolled back {neuIsenburg} Stadt Neu-Isenburg: version 3").And.Contain($"+ services[{OnboardingHubFixture.Wohngeld}]");
        Tenants.FindDestination(wohngeld)!.Tenant.Ars.Should().Be(neuIsenburg);
        Tenants.Onboarded(neuIsenburg)!.Version.Should().Be(3);
        var versions = await hub.InLedgerAsync(db => db.MunicipalityVersions.AsNoTracking().Where(v => v.Ars == neuIsenburg).OrderBy(v => v.Version).ToListAsync());
        versions.Select(v => (v.Version, v.Action)).Should().Equal((1, "apply"), (2, "apply"), (3, "rollback"));
        versions[2].Content.Should().Be(v1);
        var outcome = await hub.Sender().SubmitAsync(ApplicationFactory.Wohngeld(neuIsenburg, "63263", "Neu-Isenburg", seed: 7311), wohngeld);
        outcome.SubmitStatus.Should().Be(202, outcome.Problem?.ToJsonString());

        // Each version stays readable; --to goes back to any of them.
        (exit, output, _) = await HubctlAsync("tenant", "show", neuIsenburg, "--version", "2", "--api-key", OnboardingHubFixture.ReaderKey);
        exit.Should().Be(Hubctl.Ok);
        output.Should().Contain($"# {neuIsenburg} version 2 (apply by ops-admin").And.NotContain(wohngeld.ToString());
        var to2 = await PostAsync(api, $"/{neuIsenburg}/rollback", new { toVersion = 2 });
        to2["version"]!.GetValue<int>().Should().Be(4);
        Tenants.FindDestination(wohngeld).Should().BeNull();
    }

    [Fact]
    public async Task Disabling_during_traffic_refuses_new_submissions_and_delivers_those_in_flight_then_enabling_admits_them_again()
    {
        const string muehlheim = "064380007007";
        var destination = Guid.NewGuid();
        using var api = hub.Api();
        await ApplyAsync(api, OnboardingHubFixture.MunicipalityFile(muehlheim, "Stadt Mühlheim am Main", (OnboardingHubFixture.Sozialhilfe, destination, "prosoz")));
        hub.PinSigningCertificate(muehlheim);
        hub.Simulators.Prosoz.Faults.Latency = TimeSpan.FromSeconds(2);
        try
        {
            var inFlight = new List<Guid>();
            for (var seed = 7321; seed < 7324; seed++)
            {
                var sent = await SubmitSozialhilfeAsync(muehlheim, destination, seed);
                sent.Accepted.Should().BeTrue(sent.Problem?.ToJsonString());
                inFlight.Add(sent.SubmissionId!.Value);
            }

            var (exit, output, error) = await HubctlAsync("tenant", "disable", muehlheim, "--reason", "Wartung des Fachverfahrens", "--api-key", OnboardingHubFixture.AdminKey);
            exit.Should().Be(Hubctl.Ok, error);
            output.Should().Contain($"{muehlheim} Stadt Mühlheim am Main is disabled: Wartung des Fachverfahrens");
            // The deliveries were still under way when intake stopped.
            (await hub.InLedgerAsync(db => db.Deliveries.CountAsync(d => inFlight.Contains(d.SubmissionId) && d.Status == DeliveryStatus.Delivered))).Should().BeLessThan(3);

            var refused = await SubmitSozialhilfeAsync(muehlheim, destination, 7325);
            refused.Accepted.Should().BeFalse();
            ProblemType(refused).Should().EndWith(":municipality-disabled");

            foreach (var id in inFlight)
                (await hub.WaitUntilSettledAsync(id)).Deliveries.Should().ContainSingle().Which.Status.Should().Be(DeliveryStatus.Delivered);

            (exit, _, error) = await HubctlAsync("tenant", "enable", muehlheim, "--api-key", OnboardingHubFixture.AdminKey);
            exit.Should().Be(Hubctl.Ok, error);
            var admitted = await SubmitSozialhilfeAsync(muehlheim, destination, 7326);
            admitted.Accepted.Should().BeTrue(admitted.Problem?.ToJsonString());
            (await hub.InLedgerAsync(db => db.OperatorAudit.Where(a => a.Subject == muehlheim).Select(a => a.Action).ToListAsync()))
                .Should().Contain(["municipality-apply", "municipality-disable", "municipality-enable"]);
        }
        finally
        {
            hub.Simulators.Prosoz.Faults.Latency = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task A_municipality_of_the_settings_can_be_disabled_and_enabled_but_not_applied_by_file()
    {
        using var api = hub.Api();
        var offenbachFile = await File.ReadAllTextAsync(Path.Combine(OnboardingHubFixture.Repository(), "tenants", "064130000000-offenbach.yaml"));

        var refused = await ApplyAsync(api, offenbachFile, expected: HttpStatusCode.Conflict);
        refused["type"]!.GetValue<string>().Should().EndWith(":municipality-in-settings");
        (await PostAsync(api, $"/{HubFixture.Offenbach}/rollback", new { }, HttpStatusCode.Conflict))["type"]!.GetValue<string>().Should().EndWith(":municipality-in-settings");

        try
        {
            var disabled = await PostAsync(api, $"/{HubFixture.Offenbach}/disable", new { reason = "Umstellung" });
            disabled["state"]!.GetValue<string>().Should().Be("disabled");
            Tenants.IsDisabled(HubFixture.Offenbach).Should().BeTrue();
            var outcome = await SubmitSozialhilfeAsync(HubFixture.Offenbach, HubFixture.OffenbachSozialhilfe, 7331);
            ProblemType(outcome).Should().EndWith(":municipality-disabled");
        }
        finally
        {
            (await PostAsync(api, $"/{HubFixture.Offenbach}/enable", new { }))["state"]!.GetValue<string>().Should().Be("active");
        }
        Tenants.IsDisabled(HubFixture.Offenbach).Should().BeFalse();
    }

    [Fact]
    public async Task A_file_with_errors_is_refused_with_findings_pointing_at_their_lines()
    {
        using var api = hub.Api();
        var content = OnboardingHubFixture.MunicipalityFile("064380009009", "Stadt Rödermark", (OnboardingHubFixture.Sozialhilfe, Guid.NewGuid(), "prosoz"))
            .Replace("    targets: [prosoz]", "    targets: [prozos]")
            .Replace("ags: \"06438009\"", "agss: \"06438009\"");

        var problem = await ApplyAsync(api, content, expected: HttpStatusCode.UnprocessableEntity);

        problem["type"]!.GetValue<string>().Should().EndWith(":municipality-invalid");
        var findings = problem["findings"]!.AsArray().Select(f => (Line: f!["line"]!.GetValue<int>(), Code: f["code"]!.GetValue<string>())).ToList();
        findings.Should().Contain((3, "unknown-key")).And.Contain((9, "unknown-target"));
        problem["detail"]!.GetValue<string>().Should().Contain("line 3:1 unknown-key");
        Tenants.FindTenant("064380009009").Should().BeNull();
    }

    [Fact]
    public async Task Validating_against_the_hub_knows_its_shared_targets_and_the_destinations_other_municipalities_use()
    {
        var folder = Directory.CreateTempSubdirectory("onboarding-validate-").FullName;
        try
        {
            // The Dreieich sample routes to the settings' shared targets: offline they are unknown, in the hub they are known.
            var sample = Path.Combine(folder, "064380003003-dreieich.yaml");
            await File.WriteAllTextAsync(sample, OnboardingHubFixture.DreieichSample());
            var (exit, output, _) = await HubctlAsync("tenant", "validate", sample);
            exit.Should().Be(Hubctl.Refused);
            output.Should().Contain("error unknown-target: services[0].targets[0] names target 'marius'");
            (exit, output, var error) = await HubctlAsync("tenant", "validate", sample, "--against-hub", "--api-key", OnboardingHubFixture.ReaderKey);
            exit.Should().Be(Hubctl.Ok, error + output);
            output.Should().Contain("valid, 0 errors");

            // A file that takes Offenbach's Wohngeld destination is refused with the line of that destination.
            var thief = Path.Combine(folder, "064380009010-dieburg.yaml");
            await File.WriteAllTextAsync(thief, OnboardingHubFixture.MunicipalityFile("064380009010", "Stadt Dieburg",
                (OnboardingHubFixture.Sozialhilfe, HubFixture.OffenbachWohngeld, "prosoz")));
            (exit, output, _) = await HubctlAsync("tenant", "validate", thief, "--against-hub", "--api-key", OnboardingHubFixture.ReaderKey);
            exit.Should().Be(Hubctl.Refused);
            output.Should().MatchRegex($@"064380009010-dieburg\.yaml:\d+:\d+: error duplicate-destination: services\[0\]\.destination {HubFixture.OffenbachWohngeld} is already used by municipality {HubFixture.Offenbach}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task An_operator_acts_only_on_municipalities_they_cover_and_readers_cannot_apply()
    {
        var content = OnboardingHubFixture.MunicipalityFile("064380010010", "Stadt Heusenstamm", (OnboardingHubFixture.Sozialhilfe, Guid.NewGuid(), "prosoz"));

        using var offenbachAdmin = hub.Api(OnboardingHubFixture.OffenbachAdminKey);
        (await ApplyAsync(offenbachAdmin, content, expected: HttpStatusCode.Forbidden))["type"]!.GetValue<string>().Should().EndWith(":operator-forbidden");
        (await PostAsync(offenbachAdmin, $"/{HubFixture.Darmstadt}/disable", new { reason = "x" }, HttpStatusCode.Forbidden))["type"]!.GetValue<string>()
            .Should().EndWith(":operator-forbidden");
        using var reader = hub.Api(OnboardingHubFixture.ReaderKey);
        (await ApplyAsync(reader, content, expected: HttpStatusCode.Forbidden))["type"]!.GetValue<string>().Should().EndWith(":operator-forbidden");
        Tenants.FindTenant("064380010010").Should().BeNull();
        Tenants.IsDisabled(HubFixture.Darmstadt).Should().BeFalse();
    }
}
