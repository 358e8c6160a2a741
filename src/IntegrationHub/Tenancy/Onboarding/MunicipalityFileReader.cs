using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace IntegrationHub.Tenancy.Onboarding;

/// <summary>The file as read, and what was wrong with its shape (syntax, unknown keys, wrong types).</summary>
public sealed record MunicipalityReadResult(MunicipalityFile? File, IReadOnlyList<MunicipalityFinding> Findings);

/// <summary>
/// Reads a municipality file with YamlDotNet's representation model, so every value keeps its line and column. Shape
/// problems are findings, not exceptions: yaml-syntax, unknown-key (with the nearest known key), wrong-type, missing-field.
/// </summary>
public static class MunicipalityFileReader
{
    private static readonly string[] RootKeys =
        ["name", "ars", "ags", "district", "contact", "services", "targets", "dms", "postbox", "aktenplan", "senders", "evidence", "retention", "keys"];
    private static readonly string[] ContactKeys = ["name", "email", "phone"];
    private static readonly string[] ServiceKeys = ["leikaKey", "name", "schemaUri", "destination", "targets", "checks"];
    private static readonly string[] TargetKeys = ["kind", "endpoint", "credentials", "options"];
    private static readonly string[] AktenplanKeys = ["leikaKey", "documentType", "key", "akteTitle"];
    private static readonly string[] SenderKeys = ["clientId", "destinations"];
    private static readonly string[] EvidenceKeys = ["type", "target", "legalBases", "tolerancePercent"];
    private static readonly string[] RetentionKeys = ["payloads"];
    private static readonly string[] KeysKeys = ["destinationKeyFile", "signingCertificateFile"];

    /// <summary>Reads the file; an unreadable file throws (IOException, UnauthorizedAccessException).</summary>
    public static MunicipalityReadResult ReadFile(string path) => Parse(File.ReadAllText(path), path);

    public static MunicipalityReadResult Parse(string yaml, string? sourcePath = null)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            var message = e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
            return new(null, [MunicipalityFinding.Error(new FilePosition((int)e.Start.Line, (int)e.Start.Column), "yaml-syntax",
                $"The file is not valid YAML: {message.Trim()}")]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return new(null, [MunicipalityFinding.Error(new FilePosition(1, 1), "missing-field", "The file is empty; expected a mapping with at least name, ars, ags and services.")]);

        var reader = new Reader(new MunicipalityFile { SourcePath = sourcePath });
        reader.Root(stream.Documents[0].RootNode);
        return new(reader.File, reader.Findings);
    }

    private sealed class Reader(MunicipalityFile file)
    {
        public MunicipalityFile File { get; } = file;
        public List<MunicipalityFinding> Findings { get; } = [];

        public void Root(YamlNode node)
        {
            var map = Map(node, "", "the file", RootKeys);
            if (map is null) return;
            File.Name = Required(map, "", "name") ?? "";
            File.Ars = Required(map, "", "ars") ?? "";
            File.Ags = Required(map, "", "ags") ?? "";
            File.District = Scalar(map, "", "district");
            File.Dms = Scalar(map, "", "dms");
            File.Postbox = Scalar(map, "", "postbox");
            if (map.TryGetValue("contact", out var contactNode) && Map(contactNode, "contact", "contact", ContactKeys) is { } contact)
                File.Contact = new MunicipalityContact
                {
                    Name = Scalar(contact, "contact", "name"), Email = Scalar(contact, "contact", "email"), Phone = Scalar(contact, "contact", "phone"),
                };

            if (!map.ContainsKey("services"))
                Findings.Add(MunicipalityFinding.Error(new FilePosition(1, 1), "missing-field", "The file has no services; expected a list of the services the municipality offers."));
            foreach (var (item, path) in Items(map, "", "services"))
            {
                if (Map(item, path, "a service", ServiceKeys) is not { } s) continue;
                File.Services.Add(new MunicipalityService
                {
                    LeikaKey = Required(s, path, "leikaKey") ?? "",
                    Name = Scalar(s, path, "name") ?? "",
                    SchemaUri = Required(s, path, "schemaUri") ?? "",
                    Destination = Required(s, path, "destination") ?? "",
                    Targets = Strings(s, path, "targets"),
                    Checks = Strings(s, path, "checks"),
                });
            }

            if (map.TryGetValue("targets", out var targetsNode) && Map(targetsNode, "targets", "targets", null) is { } targets)
                foreach (var (name, targetNode) in targets)
                {
                    var path = $"targets.{name}";
                    if (Map(targetNode, path, $"target '{name}'", TargetKeys) is not { } t) continue;
                    var target = new MunicipalityTarget
                    {
                        Kind = Required(t, path, "kind") ?? "",
                        Endpoint = Required(t, path, "endpoint") ?? "",
                        Credentials = Scalar(t, path, "credentials"),
                    };
                    if (t.TryGetValue("options", out var optionsNode) && Map(optionsNode, path + ".options", $"options of target '{name}'", null) is { } options)
                        foreach (var (key, _) in options)
                            if (Scalar(options, path + ".options", key) is { } value) target.Options[key] = value;
                    File.Targets[name] = target;
                }

            foreach (var (item, path) in Items(map, "", "aktenplan"))
            {
                if (Map(item, path, "an Aktenplan entry", AktenplanKeys) is not { } a) continue;
                File.Aktenplan.Add(new AktenplanEntry
                {
                    LeikaKey = Scalar(a, path, "leikaKey") ?? "",
                    DocumentType = Scalar(a, path, "documentType") ?? "",
                    Key = Required(a, path, "key") ?? "",
                    AkteTitle = Scalar(a, path, "akteTitle") ?? "",
                });
            }

            foreach (var (item, path) in Items(map, "", "senders"))
            {
                if (Map(item, path, "a sender", SenderKeys) is not { } s) continue;
                File.Senders.Add(new MunicipalitySender { ClientId = Required(s, path, "clientId") ?? "", Destinations = Strings(s, path, "destinations") });
            }

            foreach (var (item, path) in Items(map, "", "evidence"))
            {
                if (Map(item, path, "an evidence provider", EvidenceKeys) is not { } e) continue;
                File.Evidence.Add(new MunicipalityEvidence
                {
                    Type = Required(e, path, "type") ?? "", Target = Required(e, path, "target") ?? "", LegalBases = Strings(e, path, "legalBases"),
                    TolerancePercent = Scalar(e, path, "tolerancePercent"),
                });
            }

            if (map.TryGetValue("retention", out var retentionNode) && Map(retentionNode, "retention", "retention", RetentionKeys) is { } retention)
                File.Retention = new MunicipalityRetention { Payloads = Scalar(retention, "retention", "payloads") };
            if (map.TryGetValue("keys", out var keysNode) && Map(keysNode, "keys", "keys", KeysKeys) is { } keys)
                File.Keys = new MunicipalityKeys
                {
                    DestinationKeyFile = Scalar(keys, "keys", "destinationKeyFile"), SigningCertificateFile = Scalar(keys, "keys", "signingCertificateFile"),
                };
        }

        /// <summary>A mapping's entries by key (recording each value's position); unknown keys are findings.</summary>
        private Dictionary<string, YamlNode>? Map(YamlNode node, string path, string what, string[]? known)
        {
            if (node is not YamlMappingNode mapping)
            {
                Wrong(node, path, what, "a mapping (key: value lines)");
                return null;
            }
            var result = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                var at = Position(keyNode);
                var childPath = Join(path, key);
                if (known is not null && !known.Contains(key, StringComparer.Ordinal))
                {
                    var suggestion = Nearest(key, known);
                    Findings.Add(MunicipalityFinding.Error(at, "unknown-key", suggestion is null
                        ? $"Unknown key '{key}' in {what}; expected one of: {string.Join(", ", known)}."
                        : $"Unknown key '{key}' in {what}; did you mean '{suggestion}'?"));
                    continue;
                }
                File.Positions.TryAdd(childPath, Position(value is YamlScalarNode { Value: null or "" } ? keyNode : value));
                result[key] = value;
            }
            File.Positions.TryAdd(path, Position(node));
            return result;
        }

        private IEnumerable<(YamlNode Item, string Path)> Items(Dictionary<string, YamlNode> map, string path, string key)
        {
            if (!map.TryGetValue(key, out var node) || node is YamlScalarNode { Value: null or "" }) yield break;
            if (node is not YamlSequenceNode sequence)
            {
                Wrong(node, Join(path, key), key, "a list (lines starting with '- ')");
                yield break;
            }
            for (var i = 0; i < sequence.Children.Count; i++)
            {
                var itemPath = $"{Join(path, key)}[{i}]";
                File.Positions.TryAdd(itemPath, Position(sequence.Children[i]));
                yield return (sequence.Children[i], itemPath);
            }
        }

        private string? Scalar(Dictionary<string, YamlNode> map, string path, string key)
        {
            if (!map.TryGetValue(key, out var node)) return null;
            if (node is YamlScalarNode scalar) return string.IsNullOrEmpty(scalar.Value) ? null : scalar.Value;
            Wrong(node, Join(path, key), key, "a single value");
            return null;
        }

        private string? Required(Dictionary<string, YamlNode> map, string path, string key)
        {
            var value = Scalar(map, path, key);
            if (value is null && (!map.TryGetValue(key, out var node) || node is YamlScalarNode))
                Findings.Add(MunicipalityFinding.Error(File.At(Join(path, key), path), "missing-field",
                    $"{Join(path, key)} is missing or empty; it is required."));
            return value;
        }

        private List<string> Strings(Dictionary<string, YamlNode> map, string path, string key)
        {
            var list = new List<string>();
            foreach (var (item, itemPath) in Items(map, path, key))
                if (item is YamlScalarNode { Value: { Length: > 0 } value }) list.Add(value);
                else Wrong(item, itemPath, key, "a single value per list item");
            return list;
        }

        private void Wrong(YamlNode node, string path, string what, string expected)
        {
            var actual = node switch { YamlMappingNode => "a mapping", YamlSequenceNode => "a list", _ => "a single value" };
            Findings.Add(MunicipalityFinding.Error(Position(node), "wrong-type", $"{(path.Length == 0 ? what : path)} is {actual}; expected {expected}."));
        }
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static FilePosition Position(YamlNode node) => new((int)node.Start.Line, (int)node.Start.Column);

    /// <summary>The known key closest to the unknown one (case-insensitive edit distance), if close enough to be a typo.</summary>
    internal static string? Nearest(string key, IEnumerable<string> known)
    {
        var best = known.Select(k => (Key: k, Distance: Distance(key.ToLowerInvariant(), k.ToLowerInvariant()))).MinBy(x => x.Distance);
        return best.Key is not null && best.Distance <= Math.Max(2, best.Key.Length / 3) ? best.Key : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
