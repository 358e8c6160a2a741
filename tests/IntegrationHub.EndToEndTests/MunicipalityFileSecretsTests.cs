using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators;
using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding;
using Microsoft.Extensions.DependencyInjection;
using Hubctl = IntegrationHub.Cli.Hubctl;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The onboarding hub with one more admin, who covers only two municipalities that are onboarded by file, a secret in each of two
/// municipalities' namespaces, and the simulators' host as the only host such an admin's files may use.
/// </summary>
public class MunicipalityFileSecretsFixture : OnboardingHubFixture
{
    public const string Seligenstadt = "064380012012", Hainburg = "064380013013";
    public const string ScopedAdminKey = "seligenstadt-admin-e2e-key";
    public const string SeligenstadtSecret = "seligenstadt-prosoz-callback-secret", OffenbachSecret = "offenbach-only-secret";

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) => base.Settings(simulators).Concat(new Dictionary<string, string>
    {
        ["Hub:Operations:Operators:5:Name"] = "ops-admin-seligenstadt",
        ["Hub:Operations:Operators:5:Role"] = "Admin",
        ["Hub:Operations:Operators:5:KeySha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ScopedAdminKey))),
        ["Hub:Operations:Operators:5:Municipalities:0"] = Seligenstadt,
        ["Hub:Operations:Operators:5:Municipalities:1"] = Hainburg,
        ["Hub:Onboarding:AllowedTargetHosts:0"] = simulators.BaseAddress.Host,
        [$"Hub:Secrets:{Seligenstadt}:prosoz"] = SeligenstadtSecret,
        // Another municipality's secret, and (before the namespace rule) how a file could name it: secret:064130000000:prosoz.
        [$"Hub:Secrets:{Offenbach}:prosoz"] = OffenbachSecret,
    });
}

/// <summary>
/// A municipality file cannot make the hub send a secret anywhere: credential references resolve only in the
/// municipality's namespace, a scoped admin's targets use only allowed hosts, options override no kind, address or
/// secret, and the hub reads no key files named in a file sent over the API. Each on validate, plan and apply.
/// </summary>
public sealed class MunicipalityFileSecretsTests(MunicipalityFileSecretsFixture hub) : IClassFixture<MunicipalityFileSecretsFixture>
{
    private const string Seligenstadt = MunicipalityFileSecretsFixture.Seligenstadt, Hainburg = MunicipalityFileSecretsFixture.Hainburg;
    private const string AdminKey = OnboardingHubFixture.AdminKey;

    private TenantDirectory Tenants => hub.Factory.Services.GetRequiredService<TenantDirectory>();

    /// <summary>A file whose one service goes to its own Prosoz target at <paramref name="endpoint"/>, with these credentials and option lines.</summary>
    private static string FileWithOwnTarget(string ars, string endpoint, string credentials, params string[] options)
    {
        var yaml = OnboardingHubFixture.MunicipalityFile(ars, "Stadt " + ars, (OnboardingHubFixture.Sozialhilfe, Guid.NewGuid(), "prosoz")) +
                   $"targets:\n  prosoz:\n    kind: Prosoz\n    endpoint: {endpoint}\n    credentials: {credentials}\n";
        return options.Length == 0 ? yaml : yaml + "    options:\n" + string.Concat(options.Select(o => $"      {o}\n"));
    }

    private string SimulatorProsoz => new Uri(hub.Simulators.BaseAddress, "prosoz/").ToString();

    private static int LineOf(string content, string text) =>
        content.Split('\n').ToList().FindIndex(l => l.Contains(text, StringComparison.Ordinal)) + 1;

    private static async Task<JsonObject> PostAsync(HttpClient api, string path, string content, HttpStatusCode expected)
    {
        using var response = await api.PostAsJsonAsync("api/v1/operations/municipalities" + path, new { name = "municipality.yaml", content });
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static IEnumerable<(int Line, string Code)> Findings(JsonObject body) =>
        body["findings"]!.AsArray().Select(f => (f!["line"]!.GetValue<int>(), f["code"]!.GetValue<string>()));

    /// <summary>Validate and plan name the finding at its line; apply refuses with municipality-invalid and activates nothing.</summary>
    private async Task RefusedEverywhereAsync(HttpClient api, string content, int line, string code)
    {
        var ars = MunicipalityFileReader.Parse(content).File!.Ars;
        Findings(await PostAsync(api, "/validate", content, HttpStatusCode.OK)).Should().Contain((line, code));
        var plan = await PostAsync(api, "/plan", content, HttpStatusCode.OK);
        plan["valid"]!.GetValue<bool>().Should().BeFalse();
        Findings(plan).Should().Contain((line, code));

        var refused = await PostAsync(api, "/apply", content, HttpStatusCode.UnprocessableEntity);
        refused["type"]!.GetValue<string>().Should().EndWith(":municipality-invalid");
        Findings(refused).Should().Contain((line, code));
        Tenants.FindTenant(ars).Should().BeNull();
    }

    [Theory]
    [InlineData("env:Hub__Keys__MasterKey")]
    [InlineData("env:ConnectionStrings__Ledger")]
    [InlineData("secret:064130000000:prosoz")]
    public async Task A_scoped_admin_cannot_make_the_hub_send_a_secret_outside_the_municipalitys_namespace(string reference)
    {
        using var api = hub.Api(MunicipalityFileSecretsFixture.ScopedAdminKey);
        var content = FileWithOwnTarget(Hainburg, SimulatorProsoz, reference);

        await RefusedEverywhereAsync(api, content, LineOf(content, "credentials:"), "credential-reference-forbidden");

        // Offline, hubctl tenant validate says the same, with file, line and column.
        var folder = Directory.CreateTempSubdirectory("secrets-validate-").FullName;
        try
        {
            var path = Path.Combine(folder, $"{Hainburg}-hainburg.yaml");
            await File.WriteAllTextAsync(path, content);
            var (exit, output, _) = await HubctlRunner.RunAsync(hub.Factory.CreateClient(), "tenant", "validate", path);
            exit.Should().Be(Hubctl.Refused);
            output.Should().Contain($"{path}:{LineOf(content, "credentials:")}:18: error credential-reference-forbidden: targets.prosoz.credentials '{reference}'");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_reference_inside_the_namespace_resolves_to_that_municipalitys_secret()
    {
        using var api = hub.Api(MunicipalityFileSecretsFixture.ScopedAdminKey);

        var applied = await PostAsync(api, "/apply", FileWithOwnTarget(Seligenstadt, SimulatorProsoz, "secret:prosoz"), HttpStatusCode.OK);

        applied["outcome"]!.GetValue<string>().Should().Be("applied");
        Tenants.Onboarded(Seligenstadt)!.Targets.Should().ContainSingle().Which.Options.CallbackSecret.Should().Be(MunicipalityFileSecretsFixture.SeligenstadtSecret);
    }

    [Fact]
    public async Task A_scoped_admin_may_point_own_targets_only_at_allowed_hosts_an_unscoped_admin_anywhere()
    {
        var content = FileWithOwnTarget(Hainburg, "https://collector.example/prosoz/", "secret:prosoz", "testEndpoint: https://collector.example/test/");
        using var scoped = hub.Api(MunicipalityFileSecretsFixture.ScopedAdminKey);

        await RefusedEverywhereAsync(scoped, content, LineOf(content, "endpoint: https://collector"), "target-host-not-allowed");
        Findings(await PostAsync(scoped, "/validate", content, HttpStatusCode.OK)).Should().Contain((LineOf(content, "testEndpoint:"), "target-host-not-allowed"));

        using var admin = hub.Api(AdminKey);
        var plan = await PostAsync(admin, "/plan", content, HttpStatusCode.OK);
        Findings(plan).Should().BeEmpty();
        plan["valid"]!.GetValue<bool>().Should().BeTrue();
    }

    [Theory]
    [InlineData("callbackSecret: env:X")]
    [InlineData("baseUrl: https://collector.example/")]
    [InlineData("kind: Marius")]
    public async Task Options_cannot_override_the_secret_the_kind_or_the_address(string option)
    {
        // Before: callbackSecret: env:X became the literal HMAC key "env:X", readable in the file's stored versions.
        using var api = hub.Api(AdminKey);
        var content = FileWithOwnTarget(Hainburg, SimulatorProsoz, "secret:prosoz", option);

        await RefusedEverywhereAsync(api, content, LineOf(content, option), "option-reserved");
    }

    [Fact]
    public async Task A_file_sent_over_the_api_may_not_make_the_hub_read_files_of_its_machine()
    {
        using var api = hub.Api(AdminKey);
        var content = OnboardingHubFixture.MunicipalityFile(Hainburg, "Stadt Hainburg", (OnboardingHubFixture.Sozialhilfe, Guid.NewGuid(), "prosoz")) +
                      "keys:\n  destinationKeyFile: /etc/passwd\n  signingCertificateFile: ../../../../../../etc/hostname\n";

        foreach (var path in new[] { "/validate", "/plan", "/apply" })
        {
            var refused = await PostAsync(api, path, content, HttpStatusCode.UnprocessableEntity);
            refused["type"]!.GetValue<string>().Should().EndWith(":municipality-key-files-refused");
            Findings(refused).Should().BeEquivalentTo([(LineOf(content, "destinationKeyFile"), "key-file-refused"), (LineOf(content, "signingCertificateFile"), "key-file-refused")]);
            refused["detail"]!.GetValue<string>().Should().Contain("hubctl tenant validate").And.NotContain("root:");
        }
        Tenants.FindTenant(Hainburg).Should().BeNull();
    }
}
