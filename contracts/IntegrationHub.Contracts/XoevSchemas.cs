using System.Xml;
using System.Xml.Schema;
using System.Xml.Serialization;

namespace IntegrationHub.Contracts;

/// <summary>
/// The hub's XÖV-style schemas (embedded from xsd/), their namespaces, root element names and FIT-Connect schema URIs.
/// </summary>
public static class XoevSchemas
{
    public const string CommonNamespace = "urn:integrationhub:xoev:common:1.0";
    public const string WohngeldNamespace = "urn:integrationhub:xoev:wohngeld:1.0";
    public const string SozialhilfeNamespace = "urn:integrationhub:xoev:sozialhilfe:1.0";
    public const string FallNamespace = "urn:integrationhub:xoev:fall:1.0";
    /// <summary>The FIM-shaped Wohngeld application a Wohngeld procedure on the mailbox receives (ih-wohngeld-fim-1.0.xsd).</summary>
    public const string WohngeldFimNamespace = "urn:integrationhub:xoev:wohngeldfim:1.0";
    /// <summary>Evidence lookups between authorities (once-only): request, response, refusal (ih-nachweis-1.0.xsd).</summary>
    public const string NachweisNamespace = "urn:integrationhub:xoev:nachweis:1.0";
    public const string XmlDsigNamespace = "http://www.w3.org/2000/09/xmldsig#";

    /// <summary>Root element names; also the value of nachrichtenkopf/nachrichtentyp/code of each message.</summary>
    public const string WohngeldAntragElement = "wohngeld.antrag.0001";
    public const string SozialhilfeAntragElement = "sozialhilfe.antrag.0001";
    public const string FallUebergabeElement = "fall.uebergabe.0001";
    public const string FallQuittungElement = "fall.quittung.0002";
    public const string WohngeldFimErstantragElement = "wohngeldfim.erstantrag.0001";
    public const string NachweisAnfrageElement = "nachweis.anfrage.0001";
    public const string NachweisAntwortElement = "nachweis.antwort.0002";
    public const string NachweisAblehnungElement = "nachweis.ablehnung.0003";

    /// <summary>Code list of nachrichtentyp (listURI / listVersionID attributes of the code).</summary>
    public const string NachrichtentypListUri = "urn:integrationhub:xoev:codeliste:nachrichtentyp";
    public const string NachrichtentypListVersion = "1.0";

    /// <summary>FIT-Connect <c>submissionSchema.mimeType</c> for these messages.</summary>
    public const string SubmissionSchemaMimeType = "application/xml";

    /// <summary>FIT-Connect <c>submissionSchema.schemaUri</c> of a Wohngeld application (= its XML namespace).</summary>
    public const string WohngeldSchemaUri = WohngeldNamespace;

    /// <summary>FIT-Connect <c>submissionSchema.schemaUri</c> of a Sozialhilfe application (= its XML namespace).</summary>
    public const string SozialhilfeSchemaUri = SozialhilfeNamespace;

    /// <summary>Schema URI of the case handover / receipt to and from a Fachverfahren (= its XML namespace).</summary>
    public const string FallSchemaUri = FallNamespace;

    private const string ResourcePrefix = "Schemas.";

    // A virtual folder for base URIs; the resolver serves only the embedded files, nothing is read from disk or network.
    private static readonly Uri VirtualRoot = new("file:///integrationhub-embedded-xsd/");

    private static readonly Lazy<XmlSchemaSet> Cached = new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Root elements of the messages and the generated class for each.</summary>
    public static IReadOnlyDictionary<XmlQualifiedName, Type> RootTypes { get; } = new Dictionary<XmlQualifiedName, Type>
    {
        [new XmlQualifiedName(WohngeldAntragElement, WohngeldNamespace)] = typeof(Xoev.Wohngeld.WohngeldAntrag0001),
        [new XmlQualifiedName(SozialhilfeAntragElement, SozialhilfeNamespace)] = typeof(Xoev.Sozialhilfe.SozialhilfeAntrag0001),
        [new XmlQualifiedName(FallUebergabeElement, FallNamespace)] = typeof(Xoev.Fall.FallUebergabe0001),
        [new XmlQualifiedName(FallQuittungElement, FallNamespace)] = typeof(Xoev.Fall.FallQuittung0002),
        [new XmlQualifiedName(WohngeldFimErstantragElement, WohngeldFimNamespace)] = typeof(Xoev.Wohngeldfim.WohngeldfimErstantrag0001),
        [new XmlQualifiedName(NachweisAnfrageElement, NachweisNamespace)] = typeof(Xoev.Nachweis.NachweisAnfrage0001),
        [new XmlQualifiedName(NachweisAntwortElement, NachweisNamespace)] = typeof(Xoev.Nachweis.NachweisAntwort0002),
        [new XmlQualifiedName(NachweisAblehnungElement, NachweisNamespace)] = typeof(Xoev.Nachweis.NachweisAblehnung0003),
    };

    /// <summary>File names of the embedded schemas (e.g. <c>ih-common-1.0.xsd</c>).</summary>
    public static IReadOnlyList<string> SchemaFileNames { get; } = typeof(XoevSchemas).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".xsd", StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>
    /// The compiled schema set, loaded once. Use it read-only (as <see cref="XmlReaderSettings.Schemas"/>);
    /// never Add/Remove/Compile on it, it is shared.
    /// </summary>
    public static XmlSchemaSet Load() => Cached.Value;

    /// <summary>Reads the text of one embedded schema, e.g. <c>ih-wohngeld-1.0.xsd</c>.</summary>
    public static string ReadSchemaText(string fileName)
    {
        using var stream = OpenResource(fileName) ?? throw new ArgumentException($"No embedded schema '{fileName}'.", nameof(fileName));
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Reader settings that validate against <see cref="Load"/> without resolving anything external.</summary>
    public static XmlReaderSettings CreateValidatingReaderSettings()
    {
        var settings = new XmlReaderSettings
        {
            ValidationType = ValidationType.Schema,
            Schemas = Load(),
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
        };
        settings.ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings | XmlSchemaValidationFlags.ProcessIdentityConstraints;
        return settings;
    }

    /// <summary>Validates a document; an empty list means valid. An unknown root element is an error.</summary>
    public static IReadOnlyList<XoevValidationIssue> Validate(Stream xml)
    {
        var issues = new List<XoevValidationIssue>();
        var settings = CreateValidatingReaderSettings();
        settings.ValidationEventHandler += (_, e) => issues.Add(new XoevValidationIssue(
            e.Severity, e.Message, e.Exception?.LineNumber ?? 0, e.Exception?.LinePosition ?? 0));
        try
        {
            using var reader = XmlReader.Create(xml, settings);
            var rootSeen = false;
            while (reader.Read())
            {
                if (!rootSeen && reader.NodeType == XmlNodeType.Element)
                {
                    rootSeen = true;
                    if (!RootTypes.ContainsKey(new XmlQualifiedName(reader.LocalName, reader.NamespaceURI)))
                    {
                        var info = (IXmlLineInfo)reader;
                        issues.Add(new XoevValidationIssue(
                            XmlSeverityType.Error, $"Unknown root element '{{{reader.NamespaceURI}}}{reader.LocalName}'.", info.LineNumber, info.LinePosition));
                    }
                }
            }
        }
        catch (XmlException ex)
        {
            issues.Add(new XoevValidationIssue(XmlSeverityType.Error, ex.Message, ex.LineNumber, ex.LinePosition));
        }

        return issues;
    }

    /// <summary>Validates a document given as text.</summary>
    public static IReadOnlyList<XoevValidationIssue> Validate(string xml)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(xml));
        return Validate(stream);
    }

    /// <summary>Conventional prefixes for XmlSerializer output (ihc, wg, sh, fall, wgf, nw, ds).</summary>
    public static XmlSerializerNamespaces CreateSerializerNamespaces()
    {
        var namespaces = new XmlSerializerNamespaces();
        namespaces.Add("ihc", CommonNamespace);
        namespaces.Add("wg", WohngeldNamespace);
        namespaces.Add("sh", SozialhilfeNamespace);
        namespaces.Add("fall", FallNamespace);
        namespaces.Add("wgf", WohngeldFimNamespace);
        namespaces.Add("nw", NachweisNamespace);
        namespaces.Add("ds", XmlDsigNamespace);
        return namespaces;
    }

    private static XmlSchemaSet LoadEmbedded()
    {
        var set = new XmlSchemaSet { XmlResolver = new EmbeddedResolver() };
        var errors = new List<string>();
        set.ValidationEventHandler += (_, e) => errors.Add(e.Message);
        foreach (var name in SchemaFileNames)
        {
            var uri = new Uri(VirtualRoot, name).AbsoluteUri;
            if (set.Schemas().Cast<XmlSchema>().Any(s => s.SourceUri == uri))
            {
                continue; // already pulled in by an xs:import
            }

            using var stream = OpenResource(name)!;
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null }, uri);
            set.Add(null, reader);
        }

        set.Compile();
        if (errors.Count > 0 || SchemaFileNames.Count == 0)
        {
            throw new XmlSchemaException("Embedded XÖV schemas do not compile: " + string.Join("; ", errors));
        }

        return set;
    }

    private static Stream? OpenResource(string fileName) =>
        typeof(XoevSchemas).Assembly.GetManifestResourceStream(ResourcePrefix + fileName);

    private sealed class EmbeddedResolver : XmlResolver
    {
        public override object? GetEntity(Uri absoluteUri, string? role, Type? ofObjectToReturn)
        {
            var root = VirtualRoot.AbsoluteUri;
            var text = absoluteUri.AbsoluteUri;
            if (text.StartsWith(root, StringComparison.Ordinal))
            {
                var name = Uri.UnescapeDataString(text[root.Length..]);
                if (!name.Contains('/') && OpenResource(name) is { } stream)
                {
                    return stream;
                }
            }

            throw new XmlException($"'{absoluteUri}' is not an embedded schema; external schema locations are not resolved.");
        }
    }
}

/// <summary>One schema validation finding.</summary>
public sealed record XoevValidationIssue(XmlSeverityType Severity, string Message, int LineNumber, int LinePosition)
{
    public override string ToString() => $"{Severity} ({LineNumber},{LinePosition}): {Message}";
}
