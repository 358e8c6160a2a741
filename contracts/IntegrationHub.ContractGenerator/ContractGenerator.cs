using System.Xml.Schema;

namespace IntegrationHub.ContractGenerator;

/// <summary>
/// The project's XSD → C# generator for XmlSerializer contracts.
/// Mapping: global complex type → class of the same name ([XmlType]); global element → class named after the element
/// (<c>wohngeld.antrag.0001</c> → <c>WohngeldAntrag0001</c>) with [XmlRoot], derived from the element's named type
/// (or being the anonymous type itself); xs:extension → inheritance; xs:choice → one optional property per alternative;
/// maxOccurs &gt; 1 → List&lt;T&gt; without wrapper; optional value types → T? (+ XxxSpecified so nothing is written for null);
/// enumerations → enums with [XmlEnum]; other restrictions → their built-in base type; one file per XML namespace.
/// </summary>
public static class ContractGenerator
{
    /// <summary>Generates from every *.xsd in <paramref name="xsdDirectory"/>: file name → C# source.</summary>
    public static IReadOnlyDictionary<string, string> Generate(string xsdDirectory) =>
        Generate(SchemaLoader.LoadDirectory(xsdDirectory), new ContractGeneratorOptions());

    /// <summary>Generates from schema texts (file name → XSD) with the given options.</summary>
    public static IReadOnlyDictionary<string, string> Generate(IReadOnlyDictionary<string, string> schemaTexts, ContractGeneratorOptions? options = null) =>
        Generate(SchemaLoader.Load(schemaTexts), options ?? new ContractGeneratorOptions());

    /// <summary>Generates from a schema set (compiled if needed).</summary>
    public static IReadOnlyDictionary<string, string> Generate(XmlSchemaSet schemas, ContractGeneratorOptions options)
    {
        var types = new ModelBuilder(schemas, options).Build();
        return types
            .GroupBy(t => t.CsNamespace, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(
                g => CSharpWriter.FileNameFor(g.Key),
                g => CSharpWriter.Write(g.Key, g.ToList(), options),
                StringComparer.Ordinal);
    }

    /// <summary>Writes the generated files to <paramref name="outputDirectory"/> and deletes stale *.g.cs files there.</summary>
    public static IReadOnlyList<string> WriteFiles(IReadOnlyDictionary<string, string> files, string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        foreach (var stale in Directory.GetFiles(outputDirectory, "*.g.cs").Where(f => !files.ContainsKey(Path.GetFileName(f))))
        {
            File.Delete(stale);
        }

        var written = new List<string>();
        foreach (var (name, code) in files)
        {
            var path = Path.Combine(outputDirectory, name);
            if (!File.Exists(path) || File.ReadAllText(path) != code)
            {
                File.WriteAllText(path, code, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
            }

            written.Add(path);
        }

        return written;
    }
}
