using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace IntegrationHub.PrivacyTests;

/// <summary>
/// No secret is in the repository: every tracked file is checked for private keys, secret values in appsettings*.json,
/// docker-compose files and municipality files. Allowed: references (<c>${VAR}</c>, <c>env:NAME</c>, <c>secret:NAME</c>), hashes of
/// the local-only operator keys the README names as such, and public development keys the README documents.
/// </summary>
public sealed partial class RepositorySecretsTests
{
    private static readonly Lazy<string> Root = new(FindRoot);

    [Fact]
    public void No_tracked_file_holds_a_private_key()
    {
        var offenders = TrackedTextFiles()
            .Where(f => PrivateKeyBlock().IsMatch(File.ReadAllText(Path.Combine(Root.Value, f))))
            .ToList();
        offenders.Should().BeEmpty("private keys are made at run time (the hub's key folder) or come from a secret store");
        TrackedFiles().Where(f => Path.GetFileName(f) is ".env" || f.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase)
                                  || f.EndsWith(".p12", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".key", StringComparison.OrdinalIgnoreCase))
            .Should().BeEmpty("environment files and key stores stay outside the repository");
    }

    [Fact]
    public void Appsettings_hold_no_secret_values()
    {
        var files = TrackedFiles().Where(f => Regex.IsMatch(Path.GetFileName(f), @"^appsettings.*\.json$", RegexOptions.IgnoreCase)).ToList();
        files.Should().NotBeEmpty();
        var localKeyHashes = LocalOnlyKeyHashes();
        var offenders = new List<string>();
        foreach (var file in files)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root.Value, file)), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            foreach (var (path, value) in Strings(json.RootElement, ""))
            {
                var name = path[(path.LastIndexOf(':') + 1)..];
                if (string.IsNullOrEmpty(value) || IsReference(value)) continue;
                if (name.EndsWith("Sha256", StringComparison.OrdinalIgnoreCase))
                {
                    if (!localKeyHashes.Contains(value)) offenders.Add($"{file}: {path} is the hash of a key the README does not name as local-only");
                }
                else if (SecretName().IsMatch(name) || Regex.IsMatch(value, @"(?i)(password|pwd|accountkey|sharedaccesssignature)=[^;$]"))
                    offenders.Add($"{file}: {path} has a value");
            }
        }
        offenders.Should().BeEmpty("secrets come from the environment or a secret store (README \"Secrets\")");
    }

    [Fact]
    public void Docker_compose_takes_every_secret_from_the_environment()
    {
        var files = TrackedFiles().Where(f => Regex.IsMatch(Path.GetFileName(f), @"^(docker-)?compose.*\.ya?ml$", RegexOptions.IgnoreCase)).ToList();
        files.Should().NotBeEmpty();
        var offenders = new List<string>();
        foreach (var file in files)
        {
            var number = 0;
            foreach (var line in File.ReadLines(Path.Combine(Root.Value, file)))
            {
                number++;
                var setting = Regex.Match(line, @"^\s*-?\s*([A-Za-z0-9_.]+)\s*[:=]\s*(\S.*)$");
                if (!setting.Success || setting.Groups[2].Value.StartsWith('#')) continue;
                var (name, value) = (setting.Groups[1].Value, setting.Groups[2].Value);
                var secret = SecretName().IsMatch(name.Replace("__", ":")[(name.Replace("__", ":").LastIndexOf(':') + 1)..])
                             || Regex.IsMatch(name, @"(?i)(PASSWORD|_PASS|SECRET|_KEY)$") && !name.EndsWith("_FILE", StringComparison.Ordinal);
                var inlinePassword = Regex.Match(value, @"(?i)(?:password=|accountkey=|sharedaccesssignature=|://[^:/@\s]+:(?=[^@\s]+@))([^;@\s]+)");
                if (secret && !value.Contains("${", StringComparison.Ordinal) && !IsFileOrPublicReference(value))
                    offenders.Add($"{file}:{number}: {name}");
                else if (inlinePassword.Success && !inlinePassword.Groups[1].Value.StartsWith("${", StringComparison.Ordinal))
                    offenders.Add($"{file}:{number}: {name} (password in a connection string)");
            }
        }
        offenders.Should().BeEmpty("compose files reference secrets as ${VARIABLE} from the environment (.env)");
    }

    [Fact]
    public void Municipality_files_reference_credentials_only()
    {
        var offenders = TrackedFiles().Where(f => f.StartsWith("tenants/", StringComparison.Ordinal) && f.EndsWith(".yaml", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(Path.Combine(Root.Value, f)).Select((line, i) => (f, i + 1, line)))
            .Where(l => Regex.Match(l.line, @"^\s*credentials:\s*(\S+)") is { Success: true } m && !IsReference(m.Groups[1].Value))
            .Select(l => $"{l.f}:{l.Item2}")
            .ToList();
        offenders.Should().BeEmpty("credentials in a municipality file are references env:NAME or secret:NAME (tenants/README.md)");
    }

    [Fact]
    public void The_checks_recognise_what_they_look_for()
    {
        PrivateKeyBlock().IsMatch("-----BEGIN " + "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n").Should().BeTrue();
        PrivateKeyBlock().IsMatch("text.Should().Contain(\"-----BEGIN ENCRYPTED PRIVATE KEY-----\")").Should().BeFalse();
        SecretName().IsMatch("MasterKey").Should().BeTrue();
        SecretName().IsMatch("CallbackSecret").Should().BeTrue();
        SecretName().IsMatch("KeySha256").Should().BeFalse();
        IsReference("env:DMS_API_KEY").Should().BeTrue();
        IsReference("hunter2").Should().BeFalse();
        LocalOnlyKeyHashes().Should().Contain(Sha256("reader-local-only"));
    }

    private static bool IsReference(string value) =>
        value.StartsWith("env:", StringComparison.Ordinal) || value.StartsWith("secret:", StringComparison.Ordinal) || value.StartsWith("${", StringComparison.Ordinal);

    // A file path (the secret is mounted) is no secret value.
    private static bool IsFileOrPublicReference(string value) => value.TrimStart('"').StartsWith('/');

    /// <summary>The SHA-256 of every key the README calls local-only ("…-local-only").</summary>
    private static HashSet<string> LocalOnlyKeyHashes() =>
        LocalOnlyKey().Matches(File.ReadAllText(Path.Combine(Root.Value, "README.md"))).Select(m => Sha256(m.Value)).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static IEnumerable<(string Path, string Value)> Strings(JsonElement element, string path) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value, path.Length == 0 ? p.Name : $"{path}:{p.Name}")),
        JsonValueKind.Array => element.EnumerateArray().SelectMany((e, i) => Strings(e, $"{path}:{i}")),
        JsonValueKind.String => [(path, element.GetString()!)],
        _ => [],
    };

    private static IEnumerable<string> TrackedTextFiles() => TrackedFiles().Where(f =>
    {
        var info = new FileInfo(Path.Combine(Root.Value, f));
        if (!info.Exists || info.Length > 4_000_000) return false;
        using var stream = info.OpenRead();
        var head = new byte[Math.Min(8000, (int)info.Length)];
        stream.ReadExactly(head);
        return !head.Contains((byte)0);
    });

    private static List<string> TrackedFiles()
    {
        var git = Process.Start(new ProcessStartInfo("git", "ls-files -z") { WorkingDirectory = Root.Value, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var listing = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        git.ExitCode.Should().Be(0, "the check reads the tracked files with git ls-files");
        return listing.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "IntegrationHub.sln"))) return dir.FullName;
        throw new InvalidOperationException("IntegrationHub.sln not found above " + AppContext.BaseDirectory);
    }

    // A PEM private key with a body (a header alone, as in an assertion, is no key).
    [GeneratedRegex(@"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:\r?\n|\\n)[A-Za-z0-9+/=]{40,}")]
    private static partial Regex PrivateKeyBlock();

    [GeneratedRegex(@"(?i)^(.*MasterKey|.*Secret|.*Password|.*ApiKey|.*AccountKey|ProtocolKey|.*PrivateKey)$")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"\b[a-z]+-local-only\b")]
    private static partial Regex LocalOnlyKey();
}
