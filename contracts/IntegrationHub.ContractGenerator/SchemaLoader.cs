using System.Xml;
using System.Xml.Schema;

namespace IntegrationHub.ContractGenerator;

/// <summary>
/// Loads schemas into a compiled <see cref="XmlSchemaSet"/> from an in-memory file map only:
/// imports and includes resolve to files of that map, never to the file system at large or the network; DTDs are prohibited.
/// </summary>
public static class SchemaLoader
{
    // A virtual folder: the resolver only hands out files of the map, nothing is read from this path.
    private static readonly Uri VirtualRoot = new("file:///integrationhub-xsd/");

    /// <summary>Loads every <c>*.xsd</c> directly inside <paramref name="xsdDirectory"/> (no subfolders).</summary>
    public static XmlSchemaSet LoadDirectory(string xsdDirectory)
    {
        if (!Directory.Exists(xsdDirectory))
        {
            throw new DirectoryNotFoundException($"XSD directory not found: {xsdDirectory}");
        }

        var files = Directory.GetFiles(xsdDirectory, "*.xsd", SearchOption.TopDirectoryOnly)
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);
        if (files.Count == 0)
        {
            throw new InvalidOperationException($"No *.xsd files in {xsdDirectory}");
        }

        return Load(files);
    }

    /// <summary>Loads schemas given as file name → text (for tests and embedded resources).</summary>
    public static XmlSchemaSet Load(IReadOnlyDictionary<string, string> schemaTexts) =>
        Load(schemaTexts.ToDictionary(kv => kv.Key, kv => System.Text.Encoding.UTF8.GetBytes(kv.Value), StringComparer.Ordinal));

    /// <summary>Loads schemas given as file name → bytes, adds all of them and compiles the set.</summary>
    public static XmlSchemaSet Load(IReadOnlyDictionary<string, byte[]> schemaFiles)
    {
        var resolver = new InMemorySchemaResolver(VirtualRoot, schemaFiles);
        var set = new XmlSchemaSet { XmlResolver = resolver };
        var errors = new List<string>();
        set.ValidationEventHandler += (_, e) => errors.Add($"{e.Severity}: {e.Message} (line {e.Exception?.LineNumber})");

        foreach (var name in schemaFiles.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            var uri = new Uri(VirtualRoot, name);
            using var stream = new MemoryStream(schemaFiles[name], writable: false);
            using var reader = XmlReader.Create(stream, SecureReaderSettings(), uri.AbsoluteUri);
            var alreadyLoaded = set.Schemas().Cast<XmlSchema>().Any(s => s.SourceUri == uri.AbsoluteUri);
            if (!alreadyLoaded)
            {
                set.Add(null, reader);
            }
        }

        set.Compile();
        if (errors.Count > 0)
        {
            throw new XmlSchemaException("Schemas do not compile:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }

        return set;
    }

    internal static XmlReaderSettings SecureReaderSettings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
    };

    private sealed class InMemorySchemaResolver(Uri root, IReadOnlyDictionary<string, byte[]> files) : XmlResolver
    {
        public override object? GetEntity(Uri absoluteUri, string? role, Type? ofObjectToReturn)
        {
            var rootText = root.AbsoluteUri;
            var text = absoluteUri.AbsoluteUri;
            if (text.StartsWith(rootText, StringComparison.Ordinal))
            {
                var name = Uri.UnescapeDataString(text[rootText.Length..]);
                if (!name.Contains('/') && files.TryGetValue(name, out var bytes))
                {
                    return new MemoryStream(bytes, writable: false);
                }
            }

            throw new XmlException($"Schema location '{absoluteUri}' is not one of the loaded schema files; only files of the schema folder are resolved.");
        }
    }
}
