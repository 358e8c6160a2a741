using System.Text;
using Xunit.Abstractions;

namespace IntegrationHub.PrivacyTests;

/// <summary>
/// The proof that no personal data reaches logs, traces or metrics: the end-to-end suites (run before this one by test.sh, with
/// HUB_E2E_LOG_CAPTURE set) leave everything their hubs logged at Debug and above, and the tags of their activities and
/// metrics, in HUB_E2E_LOG_CAPTURE/&lt;profile&gt;; every line is scanned. A missing or empty capture fails: then the proof did not run.
/// </summary>
public sealed class CapturedLogTests(ITestOutputHelper output)
{
    [Fact]
    public void The_end_to_end_suites_logged_no_personal_data()
    {
        var root = Environment.GetEnvironmentVariable("HUB_E2E_LOG_CAPTURE");
        root.Should().NotBeNullOrWhiteSpace("HUB_E2E_LOG_CAPTURE names the folder the end-to-end suites captured their hubs' logs in (test.sh sets it)");
        var profiles = (Environment.GetEnvironmentVariable("HUB_LOG_SCAN_PROFILES") ?? "embedded").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        var scan = CapturedLogScan.Run(root!, profiles);
        File.WriteAllText(Path.Combine(root!, "scan-report.txt"), scan.Report);
        output.WriteLine(scan.Report);

        scan.Problems.Should().BeEmpty("every profile's end-to-end suite must have captured its hubs' logs, or the proof did not run");
        scan.Findings.Should().BeEmpty(
            $"no personal data may appear in logs, traces or metrics (values masked; the first {CapturedLogScan.ReportedFindings} also in {Path.Combine(root!, "scan-report.txt")})");
    }

    [Fact]
    public void A_planted_leak_is_reported_with_file_line_kind_and_masked_value()
    {
        var root = Directory.CreateTempSubdirectory("privacy-scan-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "embedded"));
            File.WriteAllLines(Path.Combine(root, "embedded", "HubFixture-1.log"),
            [
                "2026-12-05T04:56:18.4678967+00:00 Information IntegrationHub.Intake | Submission created for service 99107004017000",
                "2026-12-05T04:56:19.0000000+00:00 Warning IntegrationHub.Delivery | Delivery failed for Anna Müller, IBAN DE89370400440532013000",
            ]);

            var scan = CapturedLogScan.Run(root, ["embedded"]);

            scan.Problems.Should().BeEmpty();
            scan.Findings.Should().BeEquivalentTo(
                "embedded/HubFixture-1.log:2: name An*******er",
                "embedded/HubFixture-1.log:2: IBAN DE******************00");
            scan.Report.Should().Contain("embedded: 2 lines").And.NotContain("Müller").And.NotContain("0532013000");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_missing_or_empty_capture_is_a_problem_not_a_pass()
    {
        var root = Directory.CreateTempSubdirectory("privacy-scan-").FullName;
        try
        {
            CapturedLogScan.Run(root, ["embedded"]).Problems.Should().ContainSingle().Which.Should().Contain("no capture");
            Directory.CreateDirectory(Path.Combine(root, "servers"));
            File.WriteAllText(Path.Combine(root, "servers", "telemetry-1.log"), "metric IntegrationHub hub.submissions.created | tags: ars=064110000000;\n");
            CapturedLogScan.Run(root, ["servers"]).Problems.Should().ContainSingle().Which.Should().Contain("no hub log");
            File.WriteAllText(Path.Combine(root, "servers", "HubFixture-1.log"), "2026-12-05T04:56:18Z Information Microsoft.Hosting.Lifetime | Now listening\n");
            CapturedLogScan.Run(root, ["servers"]).Problems.Should().ContainSingle().Which.Should().Contain("IntegrationHub.*");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

/// <summary>Scans the captured logs of the end-to-end suites' profiles; reports each finding as file:line: kind masked-value.</summary>
public sealed record CapturedLogScan(IReadOnlyList<string> Findings, IReadOnlyList<string> Problems, string Report)
{
    public const int ReportedFindings = 40;

    // "<time> <level> <category> | …": a line the hub's own code logged.
    private static readonly System.Text.RegularExpressions.Regex HubCategory = new(@"^\S+ \w+ IntegrationHub[.\s]");

    public static CapturedLogScan Run(string root, IEnumerable<string> profiles)
    {
        var report = new StringBuilder();
        var findings = new List<string>();
        var problems = new List<string>();
        foreach (var profile in profiles)
        {
            var folder = Path.Combine(root, profile);
            if (!Directory.Exists(folder))
            {
                problems.Add($"{profile}: no capture in {folder}");
                continue;
            }
            var files = Directory.GetFiles(folder, "*.log").Order(StringComparer.Ordinal).ToList();
            var hubLogs = files.Count(f => !Path.GetFileName(f).StartsWith("telemetry-", StringComparison.Ordinal));
            long lines = 0, hubLines = 0;
            foreach (var file in files)
            {
                var number = 0;
                foreach (var line in File.ReadLines(file))
                {
                    number++;
                    lines++;
                    if (HubCategory.IsMatch(line)) hubLines++;
                    foreach (var finding in PersonalDataScanner.Scan(line))
                        findings.Add($"{profile}/{Path.GetFileName(file)}:{number}: {finding.Kind} {finding.Masked}");
                }
            }
            if (hubLogs == 0) problems.Add($"{profile}: no hub log file in {folder}");
            // The hub's own categories must be among them, or the capture did not see what matters.
            else if (hubLines == 0) problems.Add($"{profile}: no line of the hub's own categories (IntegrationHub.*) in {folder}");
            report.AppendLine($"{profile}: {lines} lines in {files.Count} files ({hubLogs} fixtures' hubs, the rest traces and metrics), {hubLines} from the hub's own categories");
        }

        report.AppendLine($"{findings.Count} findings");
        foreach (var finding in findings.Take(ReportedFindings)) report.AppendLine(finding);
        foreach (var problem in problems) report.AppendLine("problem: " + problem);
        return new CapturedLogScan(findings, problems, report.ToString());
    }
}
