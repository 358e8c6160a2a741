using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Tenancy.Onboarding;

namespace IntegrationHub.UnitTests.Tenancy.Onboarding;

public sealed class MunicipalityValidatorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("onboarding-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A valid municipality; line numbers below refer to this text.</summary>
    private const string Valid = """
        name: Teststadt
        ars: "064130000000"
        ags: "06413000"
        services:
          - leikaKey: "99107004017000"
            name: Wohngeld
            schemaUri: urn:integrationhub:xoev:wohngeld:1.0
            destination: 7f076675-a1c0-4408-9bcd-7aeb467f6f11
            targets: [prosoz]
        targets:
          prosoz:
            kind: Prosoz
            endpoint: https://prosoz.example/api/
            credentials: env:HUB_MUNICIPALITY_064130000000_PROSOZ_KEY
        """;

    private static IReadOnlyList<MunicipalityFinding> Check(string yaml, MunicipalityValidationContext? context = null) =>
        MunicipalityValidator.Validate(yaml, context);

    private static MunicipalityFinding Single(IReadOnlyList<MunicipalityFinding> findings, string code)
    {
        findings.Where(f => f.Code == code).Should().ContainSingle($"expected one {code} in: {string.Join(" | ", findings)}");
        return findings.Single(f => f.Code == code);
    }

    [Fact]
    public void The_sample_file_validates_clean()
    {
        var path = Path.Combine(FindRepository(), "tenants", "064130000000-offenbach.yaml");
        var findings = MunicipalityValidator.Validate(File.ReadAllText(path), null, path);
        findings.Should().BeEmpty(string.Join(" | ", findings));
    }

    [Fact]
    public void The_base_text_is_valid() => Check(Valid).Should().BeEmpty();

    [Fact]
    public void Yaml_syntax_error_names_its_line()
    {
        var f = Single(Check("name: x\nars: \"064130000000\nags: [1, 2\n"), "yaml-syntax");
        f.Line.Should().BeGreaterThan(1);
        f.Message.Should().Contain("not valid YAML");
    }

    [Fact]
    public void Unknown_key_suggests_the_nearest_known_key()
    {
        var f = Single(Check(Valid.Replace("    schemaUri:", "    schemaUrl:")), "unknown-key");
        (f.Line, f.Column).Should().Be((7, 5));
        f.Message.Should().Contain("'schemaUrl'").And.Contain("did you mean 'schemaUri'");
    }

    [Fact]
    public void Wrong_type_is_a_finding()
    {
        var f = Single(Check(Valid.Replace("targets: [prosoz]", "targets: { a: b }")), "wrong-type");
        f.Line.Should().Be(9);
        f.Message.Should().Contain("services[0].targets is a mapping; expected a list");
    }

    [Fact]
    public void Ars_format() =>
        Single(Check(Valid.Replace("\"064130000000\"", "\"06413000000X\"")), "ars-format").Should().Match<MunicipalityFinding>(f =>
            f.Line == 2 && f.Message.Contains("expected exactly 12 digits"));

    [Fact]
    public void Ags_format() =>
        Single(Check(Valid.Replace("\"06413000\"", "\"6413000\"")), "ags-format").Should().Match<MunicipalityFinding>(f =>
            f.Line == 3 && f.Message.Contains("expected exactly 8 digits"));

    [Fact]
    public void Ars_ags_mismatch() =>
        Single(Check(Valid.Replace("\"06413000\"", "\"06411000\"")), "ars-ags-mismatch").Should().Match<MunicipalityFinding>(f =>
            f.Line == 3 && f.Message.Contains("expected '06413000'"));

    [Fact]
    public void Unknown_leika_key()
    {
        var f = Single(Check(Valid.Replace("\"99107004017000\"", "\"99999999999999\"")), "unknown-leika-key");
        f.Line.Should().Be(5);
        f.Message.Should().Contain("99999999999999").And.Contain("99107004017000 (Wohngeld)");
        Check(Valid.Replace("\"99107004017000\"", "\"99999999999999\""), new MunicipalityValidationContext { ExtraLeikaKeys = ["99999999999999"] })
            .Should().BeEmpty();
    }

    [Fact]
    public void Duplicate_destination_against_other_municipalities()
    {
        var context = new MunicipalityValidationContext
        {
            ExistingDestinations = new Dictionary<Guid, string> { [Guid.Parse("7f076675-a1c0-4408-9bcd-7aeb467f6f11")] = "064110000000" },
        };
        var f = Single(Check(Valid, context), "duplicate-destination");
        f.Line.Should().Be(8);
        f.Message.Should().Contain("already used by municipality 064110000000");
    }

    [Fact]
    public void Service_not_routed()
    {
        var f = Single(Check(Valid.Replace("    targets: [prosoz]\n", "")), "service-not-routed");
        f.Line.Should().Be(5);
        f.Message.Should().Contain("services[0]").And.Contain("has no targets");
    }

    [Fact]
    public void Unknown_target_unless_the_context_has_it()
    {
        var yaml = Valid.Replace("targets: [prosoz]", "targets: [prosoz, marius]");
        var f = Single(Check(yaml), "unknown-target");
        f.Line.Should().Be(9);
        f.Message.Should().Contain("'marius'").And.Contain("expected one of the targets: prosoz");
        Check(yaml, new MunicipalityValidationContext { ExistingTargets = new Dictionary<string, string> { ["marius"] = "Marius" } }).Should().BeEmpty();
    }

    [Fact]
    public void Target_kind_mismatch_for_the_postbox()
    {
        var f = Single(Check(Valid + "\npostbox: prosoz\n"), "target-kind-mismatch");
        f.Line.Should().Be(15);
        f.Message.Should().Contain("postbox names target 'prosoz' of kind Prosoz; expected a target of kind Postbox");
    }

    [Fact]
    public void Endpoint_invalid()
    {
        var f = Single(Check(Valid.Replace("https://prosoz.example/api/", "prosoz.example/api")), "endpoint-invalid");
        f.Line.Should().Be(13);
        f.Message.Should().Contain("targets.prosoz.endpoint").And.Contain("absolute http(s) URL");
    }

    [Fact]
    public void Secret_in_file_never_echoes_the_secret()
    {
        var f = Single(Check(Valid.Replace("env:HUB_MUNICIPALITY_064130000000_PROSOZ_KEY", "hunter2-geheim")), "secret-in-file");
        f.Line.Should().Be(14);
        f.Message.Should().Contain("targets.prosoz.credentials").And.Contain("env:").And.NotContain("hunter2");

        var option = Single(Check(Valid + "\n    options:\n      proxyPassword: s3cr3t-value\n"), "secret-in-file");
        option.Line.Should().Be(16);
        option.Message.Should().Contain("options.proxyPassword").And.NotContain("s3cr3t");
    }

    [Theory]
    [InlineData("env:Hub__Keys__MasterKey")]
    [InlineData("env:ConnectionStrings__Ledger")]
    [InlineData("env:PROSOZ_KEY")]
    [InlineData("env:HUB_MUNICIPALITY_064380003003_PROSOZ_KEY")]
    [InlineData("env:HUB_MUNICIPALITY_064130000000_")]
    [InlineData("secret:064380003003:prosoz")]
    [InlineData("secret:Hub:Keys:MasterKey")]
    [InlineData("secret:../prosoz")]
    public void A_credential_reference_outside_the_municipalitys_namespace_is_forbidden_at_its_line(string reference)
    {
        var f = Single(Check(Valid.Replace("env:HUB_MUNICIPALITY_064130000000_PROSOZ_KEY", reference)), MunicipalityCredentials.ForbiddenCode);
        (f.Line, f.Column).Should().Be((14, 18));
        f.Message.Should().Contain("targets.prosoz.credentials").And.Contain("outside municipality 064130000000")
            .And.Contain("secret:NAME (read from Hub:Secrets:064130000000:NAME) or env:HUB_MUNICIPALITY_064130000000_NAME");
    }

    [Fact]
    public void References_inside_the_namespace_pass() =>
        Check(Valid.Replace("env:HUB_MUNICIPALITY_064130000000_PROSOZ_KEY", "secret:prosoz-offenbach") +
              "\n    options:\n      resilience.maxRetries: secret:retries\n      token: env:HUB_MUNICIPALITY_064130000000_TOKEN\n").Should().BeEmpty();

    [Fact]
    public void References_in_options_follow_the_same_namespace()
    {
        var f = Single(Check(Valid + "\n    options:\n      audience: env:Hub__Keys__MasterKey\n"), MunicipalityCredentials.ForbiddenCode);
        (f.Line, f.Column).Should().Be((16, 17));
        f.Message.Should().Contain("targets.prosoz.options.audience 'env:Hub__Keys__MasterKey'");
    }

    [Theory]
    [InlineData("callbackSecret: env:HUB_MUNICIPALITY_064130000000_X")]
    [InlineData("CallbackSecret: my-hmac-key")]
    [InlineData("kind: Marius")]
    [InlineData("baseUrl: https://elsewhere.example/")]
    [InlineData("endpoint: https://elsewhere.example/")]
    [InlineData("apiKey: secret:prosoz")]
    [InlineData("mailbox.apiKey: secret:prosoz")]
    [InlineData("Mailbox.ApiKey: secret:prosoz")]
    public void Options_may_not_override_kind_address_or_a_secret(string option)
    {
        var f = Single(Check(Valid + "\n    options:\n      " + option + "\n"), "option-reserved");
        f.Line.Should().Be(16);
        f.Message.Should().Contain("would override the target's kind, address or secret");
    }

    [Fact]
    public void Options_that_the_adapter_reads_as_a_file_must_be_pem_text()
    {
        var f = Single(Check(Valid + "\n    options:\n      mailbox.procedureCertificate: /etc/shadow\n"), "option-path-refused");
        f.Line.Should().Be(16);
        Single(Check(Valid + "\n    options:\n      identityProviderKey: ../../keys/idp.pem\n"), "option-path-refused");
        Check(Valid + "\n    options:\n      identityProviderKey: |\n        -----BEGIN PUBLIC KEY-----\n        MIIB\n        -----END PUBLIC KEY-----\n").Should().BeEmpty();
    }

    [Fact]
    public void Hosts_of_own_targets_are_checked_against_the_allow_list_when_the_context_has_one()
    {
        var withMailbox = Valid + "\n    options:\n      mailbox.baseUrl: http://10.0.0.5:8080/xta/\n";
        Check(withMailbox).Should().BeEmpty("no list: any host (an unscoped admin, or offline)");
        Check(withMailbox, new MunicipalityValidationContext { AllowedTargetHosts = ["PROSOZ.example", "10.0.0.5"] }).Should().BeEmpty();
        Check(withMailbox, new MunicipalityValidationContext { AllowedTargetHosts = ["*.example", "10.0.0.5"] }).Should().BeEmpty();

        var findings = Check(withMailbox, new MunicipalityValidationContext { AllowedTargetHosts = ["procedures.example"] });
        findings.Where(f => f.Code == "target-host-not-allowed").Select(f => f.Line).Should().Equal(13, 16);
        findings.First().Message.Should().Contain("targets.prosoz.endpoint points at host prosoz.example").And.Contain("Hub:Onboarding:AllowedTargetHosts: procedures.example");
        Check(Valid, new MunicipalityValidationContext { AllowedTargetHosts = [] }).Should().ContainSingle(f => f.Code == "target-host-not-allowed");
        Check(Valid, new MunicipalityValidationContext { AllowedTargetHosts = ["*.prosoz.example"] }).Should().ContainSingle(f => f.Code == "target-host-not-allowed",
            "a wildcard covers the hosts below, not the domain itself");
    }

    [Fact]
    public void Aktenplan_missing_for_a_municipality_with_a_dms()
    {
        var yaml = Valid + """

              dms:
                kind: Dms
                endpoint: https://dms.example/
            dms: dms
            aktenplan:
              - leikaKey: "99107004017000"
                documentType: Antrag
                key: "50.22.01"
            """;
        var f = Single(Check(yaml), "aktenplan-missing");
        f.Line.Should().Be(20);
        f.Message.Should().Contain("type Bescheid").And.Contain("99107004017000");
        Check(yaml.Replace("documentType: Antrag", "documentType: \"\"")).Should().BeEmpty();
    }

    [Fact]
    public void Sender_destination_unknown()
    {
        var f = Single(Check(Valid + "\nsenders:\n  - clientId: efa-wohngeld\n    destinations: [0c4bde8e-d9cd-403e-af4d-4e9f3bbe4a68]\n"), "sender-destination-unknown");
        f.Line.Should().Be(17);
        f.Message.Should().Contain("0c4bde8e-d9cd-403e-af4d-4e9f3bbe4a68").And.Contain("not a destination of this municipality");
    }

    [Fact]
    public void Evidence_type_unknown()
    {
        var yaml = Valid.Replace("    targets: [prosoz]", "    targets: [prosoz]\n    checks: [MELDEDATEN, STEUERDATEN]");
        var f = Single(Check(yaml), "evidence-type-unknown");
        f.Line.Should().Be(10);
        f.Message.Should().Contain("'STEUERDATEN'").And.Contain("MELDEDATEN, AUFENTHALTSTITEL, LEISTUNGSBEZUG, EINKOMMEN");
    }

    [Fact]
    public void Evidence_provider_must_be_of_kind_EvidenceProvider()
    {
        var f = Single(Check(Valid + "\nevidence:\n  - type: MELDEDATEN\n    target: prosoz\n"), "target-kind-mismatch");
        f.Line.Should().Be(17);
        f.Message.Should().Contain("EvidenceProvider");
    }

    [Fact]
    public void Income_tolerance_is_a_percentage_on_the_income_provider_only()
    {
        const string provider = "\nevidence:\n  - type: EINKOMMEN\n    target: register\n    tolerancePercent: {0}\n";
        Check(Valid + string.Format(provider, "2.5")).Should().NotContain(f => f.Code == "evidence-tolerance-invalid");

        var tooLarge = Single(Check(Valid + string.Format(provider, "150")), "evidence-tolerance-invalid");
        tooLarge.Line.Should().Be(18);
        tooLarge.Message.Should().Contain("'150'").And.Contain("from 0 to 100");
        Single(Check(Valid + string.Format(provider, "viel")), "evidence-tolerance-invalid");
        Single(Check(Valid + string.Format(provider, "5").Replace("EINKOMMEN", "MELDEDATEN")), "evidence-tolerance-invalid")
            .Message.Should().Contain("only for type EINKOMMEN");
    }

    [Fact]
    public void Retention_invalid()
    {
        var f = Single(Check(Valid + "\nretention:\n  payloads: half a year\n"), "retention-invalid");
        f.Line.Should().Be(16);
        f.Message.Should().Contain("'half a year'").And.Contain("180d");
        Check(Valid + "\nretention:\n  payloads: 180.00:00:00\n").Should().BeEmpty();
    }

    [Fact]
    public void Certificate_expired()
    {
        WriteCertificate("signing.pem", DateTimeOffset.UtcNow.AddDays(-10));
        var f = Single(CheckKeys("signingCertificateFile: signing.pem"), "certificate-expired");
        f.Severity.Should().Be(FindingSeverity.Error);
        f.Line.Should().Be(16);
        f.Message.Should().Contain("'signing.pem' expired on");
    }

    [Fact]
    public void Certificate_expiring_is_a_warning_within_the_configured_days()
    {
        WriteCertificate("signing.pem", DateTimeOffset.UtcNow.AddDays(20));
        var f = Single(CheckKeys("signingCertificateFile: signing.pem"), "certificate-expiring");
        f.Severity.Should().Be(FindingSeverity.Warning);
        f.Message.Should().Contain("within 30 days");
        CheckKeys("signingCertificateFile: signing.pem", expiryWarningDays: 10).Should().BeEmpty();
    }

    [Fact]
    public void Certificate_missing_and_invalid()
    {
        Single(CheckKeys("signingCertificateFile: nowhere.pem"), "certificate-missing").Message.Should().Contain("does not exist");
        File.WriteAllText(Path.Combine(_folder, "garbage.pem"), "not a certificate");
        Single(CheckKeys("signingCertificateFile: garbage.pem"), "certificate-invalid").Message.Should().Contain("not an X.509 certificate in PEM");
    }

    [Fact]
    public void Destination_key_of_2048_bits_is_too_small()
    {
        using (var small = RSA.Create(2048)) File.WriteAllText(Path.Combine(_folder, "small.pem"), small.ExportSubjectPublicKeyInfoPem());
        var f = Single(CheckKeys("destinationKeyFile: small.pem"), "destination-key-too-small");
        f.Line.Should().Be(16);
        f.Message.Should().Contain("2048 bits").And.Contain("at least 4096");
    }

    [Fact]
    public void Destination_key_of_4096_bits_passes_and_a_non_rsa_key_does_not()
    {
        using (var rsa = RSA.Create(4096)) File.WriteAllText(Path.Combine(_folder, "dest.pem"), rsa.ExportSubjectPublicKeyInfoPem());
        CheckKeys("destinationKeyFile: dest.pem").Should().BeEmpty();
        using (var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256)) File.WriteAllText(Path.Combine(_folder, "ec.pem"), ec.ExportSubjectPublicKeyInfoPem());
        Single(CheckKeys("destinationKeyFile: ec.pem"), "destination-key-invalid").Message.Should().Contain("not an RSA key");
    }

    [Fact]
    public void Certificate_not_yet_valid()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Teststadt Signatur", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using (var future = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(10), DateTimeOffset.UtcNow.AddDays(400)))
            File.WriteAllText(Path.Combine(_folder, "future.pem"), future.ExportCertificatePem());
        var f = Single(CheckKeys("signingCertificateFile: future.pem"), "certificate-not-yet-valid");
        f.Line.Should().Be(16);
        f.Message.Should().Contain("is valid only from").And.Contain("expected a certificate valid now");
    }

    [Fact]
    public void Destination_key_missing() =>
        Single(CheckKeys("destinationKeyFile: nowhere.pem"), "destination-key-missing").Message.Should().Contain("'nowhere.pem' does not exist");

    [Fact]
    public void Duplicate_service()
    {
        var twice = Valid.Replace("targets:\n  prosoz:", "  - leikaKey: \"99107004017000\"\n    name: Wohngeld again\n" +
            "    schemaUri: urn:integrationhub:xoev:wohngeld:1.0\n    destination: 0c4bde8e-d9cd-403e-af4d-4e9f3bbe4a68\n    targets: [prosoz]\ntargets:\n  prosoz:");
        var f = Single(Check(twice), "duplicate-service");
        f.Line.Should().Be(10);
        f.Message.Should().Contain("services[1].leikaKey '99107004017000' is offered twice");
    }

    [Fact]
    public void Destination_format()
    {
        var f = Single(Check(Valid.Replace("7f076675-a1c0-4408-9bcd-7aeb467f6f11", "destination-7")), "destination-format");
        f.Line.Should().Be(8);
        f.Message.Should().Contain("'destination-7' is not a GUID");
    }

    [Fact]
    public void Target_kind_unknown()
    {
        var f = Single(Check(Valid.Replace("kind: Prosoz", "kind: Sap")), "target-kind-unknown");
        f.Line.Should().Be(12);
        f.Message.Should().Contain("'Sap' is not an adapter kind").And.Contain("Prosoz, Marius, Dms, Postbox, EvidenceProvider");
    }

    [Fact]
    public void Missing_field()
    {
        var f = Single(Check(Valid.Replace("    endpoint: https://prosoz.example/api/\n", "")), "missing-field");
        f.Line.Should().Be(12, "the target's mapping, where the key belongs");
        f.Message.Should().Be("targets.prosoz.endpoint is missing or empty; it is required.");
    }

    [Fact]
    public async Task Target_unreachable_only_when_no_server_answers()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there any more: connection refused
        var file = MunicipalityFileReader.Parse(Valid.Replace("https://prosoz.example/api/", $"http://127.0.0.1:{port}/api/")).File!;
        using var http = new HttpClient();

        var f = (await MunicipalityReachability.CheckAsync(file, http, TimeSpan.FromSeconds(5))).Should().ContainSingle().Subject;

        f.Code.Should().Be("target-unreachable");
        (f.Line, f.Severity).Should().Be((13, FindingSeverity.Error));
        f.Message.Should().Contain("targets.prosoz.endpoint").And.Contain("connection refused");
    }

    [Theory]
    [InlineData("../outside.pem")]
    [InlineData("/etc/passwd")]
    [InlineData("/dev/zero")]
    [InlineData("sub/../../outside.pem")]
    public void Key_files_are_read_only_below_the_files_folder(string path)
    {
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(_folder)!, "outside.pem"), "x");
        var f = Single(CheckKeys("destinationKeyFile: " + path), "key-file-outside-folder");
        f.Line.Should().Be(16);
        f.Message.Should().Contain("is not below the municipality file's folder");
    }

    [Fact]
    public void Key_files_reached_through_a_symbolic_link_are_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_folder, "zero.pem"), "/dev/zero");
        Directory.CreateSymbolicLink(Path.Combine(_folder, "etc"), "/etc");
        Single(CheckKeys("destinationKeyFile: zero.pem"), "key-file-outside-folder").Message.Should().Contain("symbolic link");
        Single(CheckKeys("signingCertificateFile: etc/hostname"), "key-file-outside-folder").Message.Should().Contain("symbolic link");
    }

    [Fact]
    public void Key_files_must_be_regular_non_empty_and_at_most_64_KiB()
    {
        File.WriteAllText(Path.Combine(_folder, "empty.pem"), "");
        Directory.CreateDirectory(Path.Combine(_folder, "folder.pem"));
        File.WriteAllText(Path.Combine(_folder, "huge.pem"), new string('A', MunicipalityKeyFiles.MaxBytes + 1));
        Single(CheckKeys("destinationKeyFile: empty.pem"), "key-file-not-regular");
        Single(CheckKeys("destinationKeyFile: folder.pem"), "key-file-not-regular");
        Single(CheckKeys("destinationKeyFile: huge.pem"), "key-file-too-large").Message.Should().Contain("at most 64 KiB");
    }

    private IReadOnlyList<MunicipalityFinding> CheckKeys(string line, int expiryWarningDays = 30)
    {
        var path = Path.Combine(_folder, "municipality.yaml");
        var yaml = Valid + "\nkeys:\n  " + line + "\n";
        File.WriteAllText(path, yaml);
        return MunicipalityValidator.Validate(yaml, new MunicipalityValidationContext { ExpiryWarningDays = expiryWarningDays }, path);
    }

    private void WriteCertificate(string name, DateTimeOffset notAfter)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Teststadt Signatur", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(notAfter.AddDays(-400), notAfter);
        File.WriteAllText(Path.Combine(_folder, name), certificate.ExportCertificatePem());
    }

    internal static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "IntegrationHub.sln"))) return dir.FullName;
        throw new InvalidOperationException("Repository root not found.");
    }
}
