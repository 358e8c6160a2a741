using System.Text;

namespace IntegrationHub.ContractGenerator;

/// <summary>Options for <see cref="ContractGenerator"/>.</summary>
public sealed class ContractGeneratorOptions
{
    /// <summary>Maps an XML namespace to the C# namespace that receives its types (one generated file per C# namespace).</summary>
    public Func<string, string> NamespaceMapper { get; init; } = DefaultNamespaceMapper;

    /// <summary>Where the schemas come from, written into the generated header (no paths of the build machine).</summary>
    public string SourceDescription { get; init; } = "xsd/";

    /// <summary>
    /// <c>urn:integrationhub:xoev:{area}:{version}</c> → <c>IntegrationHub.Contracts.Xoev.{Area}</c>;
    /// any other namespace → <c>IntegrationHub.Contracts.Xml.{PascalCasedSegments}</c>.
    /// </summary>
    public static string DefaultNamespaceMapper(string xmlNamespace)
    {
        const string prefix = "urn:integrationhub:xoev:";
        if (xmlNamespace.StartsWith(prefix, StringComparison.Ordinal))
        {
            var area = xmlNamespace[prefix.Length..].Split(':')[0];
            return "IntegrationHub.Contracts.Xoev." + Naming.ToPascal(area);
        }

        if (string.IsNullOrEmpty(xmlNamespace))
        {
            return "IntegrationHub.Contracts.Xml.NoNamespace";
        }

        var ignored = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "urn", "http", "https", "www" };
        var sb = new StringBuilder();
        foreach (var segment in Naming.SplitWords(xmlNamespace).Where(s => !ignored.Contains(s)))
        {
            sb.Append(Naming.ToPascal(segment));
        }

        var name = sb.Length == 0 ? "Unnamed" : sb.ToString();
        return "IntegrationHub.Contracts.Xml." + (char.IsDigit(name[0]) ? "Ns" + name : name);
    }
}
