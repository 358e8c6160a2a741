using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.Tenancy.Onboarding;

/// <summary>A municipality file mapped and swapped into the running directory: routes, own and shared targets, grants, disabling.</summary>
public sealed class MunicipalityActivationTests
{
    private const string Dreieich = "064380003003";
    private static readonly Guid Wohngeld = Guid.Parse("3b6f2a1e-8c4d-4e7a-9f10-2d5c6b7a8e91");

    private const string File = """
        name: Stadt Dreieich
        ars: "064380003003"
        ags: "06438003"
        services:
          - leikaKey: "99107004017000"
            name: Wohngeld
            schemaUri: urn:integrationhub:xoev:wohngeld:1.0
            destination: 3b6f2a1e-8c4d-4e7a-9f10-2d5c6b7a8e91
            targets: [prosoz, marius]
        targets:
          prosoz:
            kind: Prosoz
            endpoint: https://prosoz.dreieich.example/api/
            credentials: secret:prosoz-dreieich
            options:
              resilience.maxRetries: "7"
        dms: dms
        aktenplan:
          - leikaKey: ""
            documentType: ""
            key: "50.22.01"
            akteTitle: Wohngeld
        senders:
          - clientId: efa-dreieich
            destinations: [3b6f2a1e-8c4d-4e7a-9f10-2d5c6b7a8e91]
        retention:
          payloads: 90d
        """;

    private static readonly HubOptions Hub = new()
    {
        Targets =
        {
            ["marius"] = new TargetOptions { Kind = "Marius", BaseUrl = "http://marius.test/" },
            ["dms"] = new TargetOptions { Kind = "Dms", BaseUrl = "http://dms.test/" },
        },
    };

    private static OnboardedMunicipality Map(Func<string, string?>? credentials = null)
    {
        var read = MunicipalityFileReader.Parse(File);
        read.Findings.Should().BeEmpty();
        return MunicipalityMapping.ToOnboarded(read.File!, 1, credentials ?? (_ => "callback-secret")).Municipality;
    }

    [Fact]
    public void Own_targets_get_the_municipalitys_name_shared_ones_keep_theirs()
    {
        var municipality = Map();

        municipality.Tenant.Routes.Should().ContainSingle().Which.Targets.Should().Equal($"{Dreieich}.prosoz", "marius");
        municipality.Tenant.Dms.Should().Be("dms");
        municipality.Tenant.PayloadRetention.Should().Be(TimeSpan.FromDays(90));
        var prosoz = municipality.Targets.Should().ContainSingle().Subject;
        prosoz.Name.Should().Be($"{Dreieich}.prosoz");
        prosoz.Options.Kind.Should().Be("Prosoz");
        prosoz.Options.BaseUrl.Should().Be("https://prosoz.dreieich.example/api/");
        prosoz.Options.CallbackSecret.Should().Be("callback-secret", "a Prosoz-like target's credential authenticates its callbacks");
        prosoz.Options.Resilience!.MaxRetries.Should().Be(7, "dotted option keys are nested settings");
        prosoz.Settings["Resilience:MaxRetries"].Should().Be("7");
    }

    [Fact]
    public void The_income_providers_tolerance_becomes_the_municipalitys_and_is_five_percent_without_one()
    {
        Map().Tenant.Evidence.IncomeTolerancePercent.Should().Be(5m);

        var read = MunicipalityFileReader.Parse(File + "\nevidence:\n  - type: EINKOMMEN\n    target: register\n    tolerancePercent: 2.5\n");
        read.Findings.Should().BeEmpty();
        MunicipalityMapping.ToOnboarded(read.File!, 1, _ => "callback-secret").Municipality.Tenant.Evidence.IncomeTolerancePercent.Should().Be(2.5m);
    }

    [Fact]
    public void An_unresolvable_credential_is_named_never_guessed()
    {
        var read = MunicipalityFileReader.Parse(File);
        var (municipality, unresolved) = MunicipalityMapping.ToOnboarded(read.File!, 1, _ => null);

        unresolved.Should().Equal("targets.prosoz.credentials (secret:prosoz-dreieich)");
        municipality.Targets.Single().Options.CallbackSecret.Should().BeNull();
    }

    [Fact]
    public void Secret_references_resolve_only_in_the_municipalitys_own_namespace()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hub:Secrets:064380003003:prosoz-dreieich"] = "s3cr3t",
            ["Hub:Secrets:prosoz-dreieich"] = "hub-wide",
            ["Hub:Secrets:064130000000:prosoz"] = "offenbachs",
            ["Hub:Keys:MasterKey"] = "master",
        }).Build();
        var resolve = MunicipalityMapping.CredentialResolver(configuration, Dreieich);
        Environment.SetEnvironmentVariable("HUB_MUNICIPALITY_064380003003_ONBOARDING_TEST_KEY", "from-env");
        Environment.SetEnvironmentVariable("ONBOARDING_TEST_KEY", "any-variable");
        Environment.SetEnvironmentVariable("Hub__Keys__MasterKey", "master-from-env");
        try
        {
            resolve("secret:prosoz-dreieich").Should().Be("s3cr3t", "secret:NAME reads Hub:Secrets:{ARS}:NAME");
            resolve("env:HUB_MUNICIPALITY_064380003003_ONBOARDING_TEST_KEY").Should().Be("from-env");
            resolve("secret:unknown").Should().BeNull();
            resolve("vault:x").Should().BeNull();

            resolve("env:ONBOARDING_TEST_KEY").Should().BeNull("env: names need the municipality's prefix");
            resolve("env:Hub__Keys__MasterKey").Should().BeNull();
            resolve("env:HUB_MUNICIPALITY_064130000000_ONBOARDING_TEST_KEY").Should().BeNull("another municipality's prefix");
            resolve("secret:064130000000:prosoz").Should().BeNull("another municipality's secret");
            resolve("secret:../Keys/MasterKey").Should().BeNull();
            resolve("secret::Keys:MasterKey").Should().BeNull();
        }
        finally
        {
            Environment.SetEnvironmentVariable("HUB_MUNICIPALITY_064380003003_ONBOARDING_TEST_KEY", null);
            Environment.SetEnvironmentVariable("ONBOARDING_TEST_KEY", null);
            Environment.SetEnvironmentVariable("Hub__Keys__MasterKey", null);
        }
    }

    [Fact]
    public void A_stored_version_with_forbidden_references_or_reserved_options_is_mapped_without_them()
    {
        // A version applied before the namespace rule: the resolver is never asked for a reference outside it.
        var stored = File.Replace("credentials: secret:prosoz-dreieich", "credentials: env:Hub__Keys__MasterKey")
            .Replace("      resilience.maxRetries: \"7\"", "      resilience.maxRetries: \"7\"\n      callbackSecret: env:X\n      baseUrl: http://evil.example/\n      apiKey: secret:prosoz-dreieich\n      timeout: secret:prosoz-dreieich");
        var asked = new List<string>();
        var read = MunicipalityFileReader.Parse(stored);

        var (municipality, unresolved) = MunicipalityMapping.ToOnboarded(read.File!, 1, reference => { asked.Add(reference); return "00:00:09"; });

        asked.Should().Equal("secret:prosoz-dreieich");
        unresolved.Should().Equal("targets.prosoz.credentials (env:Hub__Keys__MasterKey)");
        var prosoz = municipality.Targets.Single();
        prosoz.Options.CallbackSecret.Should().BeNull("neither the forbidden reference nor the literal \"env:X\" of an option becomes the HMAC key");
        prosoz.Options.BaseUrl.Should().Be("https://prosoz.dreieich.example/api/");
        prosoz.Settings["ApiKey"].Should().BeNull();
        prosoz.Options.Timeout.Should().Be(TimeSpan.FromSeconds(9), "a reference in an option resolves like a credential");
    }

    [Fact]
    public void Activation_swaps_the_municipality_in_and_out_while_the_directory_runs()
    {
        var directory = new TenantDirectory(Options.Create(Hub));
        var changes = 0;
        directory.Changed += () => changes++;
        directory.FindDestination(Wohngeld).Should().BeNull();

        directory.Activate([Map()], new HashSet<string>());

        directory.FindDestination(Wohngeld)!.Tenant.Ars.Should().Be(Dreieich);
        directory.IsOnboarded(Dreieich).Should().BeTrue();
        directory.TargetsFor(Dreieich, "99107004017000").Should().Equal($"{Dreieich}.prosoz", "marius");
        directory.Target($"{Dreieich}.prosoz").Kind.Should().Be("Prosoz");
        directory.TargetSettings($"{Dreieich}.prosoz")["BaseUrl"].Should().Be("https://prosoz.dreieich.example/api/");
        directory.TargetsOfKind("Prosoz").Select(t => t.Name).Should().Equal($"{Dreieich}.prosoz");
        directory.SenderGrants("efa-dreieich").Should().Equal(Wohngeld);
        directory.IsDisabled(Dreieich).Should().BeFalse();

        directory.Activate([Map()], new HashSet<string> { Dreieich });
        directory.IsDisabled(Dreieich).Should().BeTrue();
        directory.FindDestination(Wohngeld).Should().NotBeNull("a disabled municipality stays known, so its work in flight completes");

        directory.Activate([], new HashSet<string>());
        directory.FindDestination(Wohngeld).Should().BeNull();
        directory.FindTarget($"{Dreieich}.prosoz").Should().BeNull();
        directory.SenderGrants("efa-dreieich").Should().BeEmpty();
        (changes, directory.Generation).Should().Be((3, 3));
    }

    [Fact]
    public void A_municipality_of_the_settings_wins_over_a_file_for_the_same_ars()
    {
        var hub = new HubOptions
        {
            Targets = Hub.Targets,
            Tenants = [new TenantOptions { Ars = Dreieich, Name = "Dreieich (settings)" }],
        };
        var directory = new TenantDirectory(Options.Create(hub));

        directory.Activate([Map()], new HashSet<string>());

        directory.FindTenant(Dreieich)!.Name.Should().Be("Dreieich (settings)");
        directory.IsOnboarded(Dreieich).Should().BeFalse();
        directory.FindDestination(Wohngeld).Should().BeNull();
    }
}
