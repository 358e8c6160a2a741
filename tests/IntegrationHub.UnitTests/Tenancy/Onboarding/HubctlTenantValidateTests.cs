using System.Text.Json.Nodes;
using IntegrationHub.Cli;
using Spectre.Console;

namespace IntegrationHub.UnitTests.Tenancy.Onboarding;

/// <summary>hubctl tenant validate in-process: output format, --json, exit codes; no hub involved.</summary>
public sealed class HubctlTenantValidateTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("onboarding-cli-").FullName;
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Task<int> RunAsync(params string[] args)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(_output),
        });
        console.Profile.Width = 250;
        return new Hubctl(console, _error).RunAsync(args);
    }

    [Fact]
    public async Task The_sample_is_valid_exit_0()
    {
        var path = Path.Combine(MunicipalityValidatorTests.FindRepository(), "tenants", "064130000000-offenbach.yaml");
        (await RunAsync("tenant", "validate", path)).Should().Be(Hubctl.Ok, _output + _error.ToString());
        _output.ToString().Should().Contain($"{path}: valid, 0 errors, 0 warnings.");
    }

    [Fact]
    public async Task Errors_print_file_line_column_code_and_exit_1()
    {
        var path = Path.Combine(_folder, "bad.yaml");
        File.WriteAllText(path, "name: X\nars: \"12345\"\nags: \"06413000\"\nservices: []\n");
        (await RunAsync("tenant", "validate", path)).Should().Be(Hubctl.Refused);
        var lines = _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.Should().Contain(l => l.StartsWith($"{path}:2:6: error ars-format: ars '12345'"));
        lines[^1].Should().Be($"{path}: invalid, 1 error, 0 warnings.");
    }

    [Fact]
    public async Task A_target_credential_naming_the_master_key_exits_1_with_credential_reference_forbidden_and_its_line()
    {
        var path = Path.Combine(_folder, "064130000000-thief.yaml");
        var sample = File.ReadAllText(Path.Combine(MunicipalityValidatorTests.FindRepository(), "tenants", "064130000000-offenbach.yaml"));
        File.WriteAllText(path, sample.Replace("credentials: env:HUB_MUNICIPALITY_064130000000_MARIUS_KEY", "credentials: env:Hub__Keys__MasterKey"));
        var line = File.ReadAllLines(path).ToList().FindIndex(l => l.Contains("env:Hub__Keys__MasterKey", StringComparison.Ordinal)) + 1;

        (await RunAsync("tenant", "validate", path)).Should().Be(Hubctl.Refused);

        _output.ToString().Should().Contain($"{path}:{line}:18: error credential-reference-forbidden: targets.marius.credentials 'env:Hub__Keys__MasterKey'")
            .And.Contain("invalid, 1 error");
    }

    [Fact]
    public async Task Json_lists_the_findings()
    {
        var path = Path.Combine(_folder, "bad.yaml");
        File.WriteAllText(path, "name: X\nars: \"12345\"\nags: \"06413000\"\nservices: []\n");
        (await RunAsync("tenant", "validate", path, "--json")).Should().Be(Hubctl.Refused);
        var body = JsonNode.Parse(_output.ToString())!;
        body["errors"]!.GetValue<int>().Should().Be(1);
        body["findings"]![0]!["code"]!.GetValue<string>().Should().Be("ars-format");
        body["findings"]![0]!["line"]!.GetValue<int>().Should().Be(2);
    }

    [Fact]
    public async Task Warnings_only_exit_0()
    {
        var path = Path.Combine(_folder, "warn.yaml");
        using (var key = System.Security.Cryptography.RSA.Create(2048))
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=x", key,
                System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(5));
            File.WriteAllText(Path.Combine(_folder, "sig.pem"), certificate.ExportCertificatePem());
        }
        File.WriteAllText(path, "name: X\nars: \"064130000000\"\nags: \"06413000\"\nservices: []\nkeys:\n  signingCertificateFile: sig.pem\n");
        (await RunAsync("tenant", "validate", path, "--expiry-warning-days", "10")).Should().Be(Hubctl.Ok, _output.ToString());
        _output.ToString().Should().Contain(":6:27: warning certificate-expiring:").And.Contain("valid, 0 errors, 1 warning.");
    }

    [Fact]
    public async Task Unreadable_file_and_usage_errors_exit_2()
    {
        (await RunAsync("tenant", "validate", Path.Combine(_folder, "missing.yaml"))).Should().Be(Hubctl.Usage);
        _error.ToString().Should().Contain("Cannot read");
        (await RunAsync("tenant", "validate")).Should().Be(Hubctl.Usage);
        (await RunAsync("tenant", "validate", "x.yaml", "--expiry-warning-days", "-1")).Should().Be(Hubctl.Usage);
    }
}
