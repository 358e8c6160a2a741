using System.Reflection;
using System.Text;
using System.Xml;
using System.Xml.Schema;
using System.Xml.Serialization;
using IntegrationHub.Contracts;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace IntegrationHub.Contracts.Tests;

internal static class RepoPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "IntegrationHub.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("IntegrationHub.sln not found above " + AppContext.BaseDirectory);
    });

    public static string RepoRoot => Root.Value;

    public static string XsdDirectory => Path.Combine(RepoRoot, "xsd");

    public static string ExamplesDirectory => Path.Combine(RepoRoot, "xsd", "examples");

    public static string GeneratedDirectory => Path.Combine(RepoRoot, "contracts", "IntegrationHub.Contracts", "Generated");
}

internal static class XmlText
{
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public static string Serialize(object value, XmlSerializerNamespaces? namespaces = null)
    {
        var serializer = new XmlSerializer(value.GetType());
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = Utf8, Indent = true }))
        {
            serializer.Serialize(writer, value, namespaces ?? XoevSchemas.CreateSerializerNamespaces());
        }

        return Utf8.GetString(buffer.ToArray());
    }

    public static object Deserialize(string xml, Type type)
    {
        var serializer = new XmlSerializer(type);
        using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        return serializer.Deserialize(reader) ?? throw new InvalidOperationException("Deserialized to null.");
    }

    public static T Deserialize<T>(string xml) => (T)Deserialize(xml, typeof(T));

    /// <summary>Validates against an arbitrary compiled set; returns all errors and warnings.</summary>
    public static List<string> Validate(string xml, XmlSchemaSet schemas)
    {
        var issues = new List<string>();
        var settings = new XmlReaderSettings
        {
            ValidationType = ValidationType.Schema,
            Schemas = schemas,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings,
        };
        settings.ValidationEventHandler += (_, e) => issues.Add($"{e.Severity}: {e.Message}");
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        while (reader.Read())
        {
        }

        return issues;
    }
}

/// <summary>Compiles generated sources in memory with warnings treated as errors, like the real build.</summary>
internal static class InMemoryCompiler
{
    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray());

    public static Assembly Compile(IReadOnlyDictionary<string, string> sources)
    {
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Value, new CSharpParseOptions(LanguageVersion.Latest), path: s.Key));
        var compilation = CSharpCompilation.Create(
            "Generated" + Guid.NewGuid().ToString("N"),
            trees,
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
        var problems = result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();
        problems.Should().BeEmpty("generated code must compile without warnings:\n" + string.Join("\n", sources.Values));
        result.Success.Should().BeTrue();
        return Assembly.Load(pe.ToArray());
    }
}
