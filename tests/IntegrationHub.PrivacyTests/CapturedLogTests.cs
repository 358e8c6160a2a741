using Xunit.Abstractions;
using System.Text;

namespace IntegrationHub.PrivacyTests;

/// <summary>
/// The proof that no personal data reaches logs, traces or metrics: the end-to-end suites (run before this one by test.sh, with
/// HUB_E2E_LOG_CAPTURE set) leave everything their hubs logged at Debug and above, and the tags of their activities and
/// metrics, in HUB_E2E_LOG_CAPTURE/&lt;profile&gt;; every line is scanned. A missing or empty capture fails: then the proof did not run.
/// </summary>
public sealed class CapturedLogTests(ITestOutputHelper output)
{
    private const int ReportedFindings = 40;

    [Fact]
    public void The_end_to_end_suites_logged_no_personal_data()
    {
        var root = Environment.GetEnvironmentVariable("HUB_E2E_LOG_CAPTURE");
        root.Should().NotBeNullOrWhiteSpace("HUB_E2E_LOG_CAPTURE names the folder the end-to-end suites captured their hubs' logs in (test.sh sets it)");
        var profiles = (Environment.GetEnvironmentVariable("HUB_LOG_SCAN_PROFILES") ?? "embedded").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        var report = new StringBuilder();
        var findings = new List<string>();
        foreach (var profile in profiles)
        {
            var folder = Path.Combine(root!, profile);
            Directory.Exists(folder).Should().BeTrue($"the end-to-end suite on the {profile} profile captures its logs in {folder}");
            var files = Directory.GetFiles(folder, "*.log").Order(StringComparer.Ordinal).ToList();
            var hubLogs = files.Where(f => !Path.GetFileName(f).StartsWith("telemetry-", StringComparison.Ordinal)).ToList();
            hubLogs.Should().NotBeEmpty($"every hub of the {profile} end-to-end suite logs into {folder}");

            long lines = 0, hubLines = 0;
            foreach (var file in files)
            {
                var number = 0;
                foreach (var line in File.ReadLines(file))
                {
                    number++;
                    lines++;
                    if (line.Contains(" IntegrationHub.", StringComparison.Ordinal)) hubLines++;
                    foreach (var finding in PersonalDataScanner.Scan(line))
                        findings.Add($"{profile}/{Path.GetFileName(file)}:{number}: {finding.Kind} {finding.Masked}");
                }
            }
            // The hub's own categories must be among them, or the capture did not see what matters.
            hubLines.Should().BeGreaterThan(0, $"the capture of the {profile} suite holds the hub's own log lines (categories IntegrationHub.*)");
            report.AppendLine($"{profile}: {lines} lines in {files.Count} files ({hubLogs.Count} fixtures' hubs), {hubLines} from the hub's own categories");
        }

        report.AppendLine($"{findings.Count} findings");
        foreach (var finding in findings.Take(ReportedFindings)) report.AppendLine(finding);
        File.WriteAllText(Path.Combine(root!, "scan-report.txt"), report.ToString());
        output.WriteLine(report.ToString());

        findings.Should().BeEmpty(
            $"no personal data may appear in logs, traces or metrics; the first {ReportedFindings} (values masked) are listed here and in {Path.Combine(root!, "scan-report.txt")}");
    }
}
