using System.Xml.Linq;
using System.Xml;

namespace IntegrationHub.Contracts.Tests;

public class XoevSchemasTests
{
    [Fact]
    public void Load_returns_one_cached_compiled_set_with_all_root_elements()
    {
        var set = XoevSchemas.Load();

        set.Should().BeSameAs(XoevSchemas.Load());
        set.IsCompiled.Should().BeTrue();
        foreach (var root in XoevSchemas.RootTypes.Keys)
        {
            set.GlobalElements.Contains(root).Should().BeTrue(root.ToString());
        }

        set.Schemas().Count.Should().Be(6);
    }

    [Fact]
    public void Embedded_schemas_are_the_files_of_the_xsd_folder()
    {
        var files = Directory.GetFiles(RepoPaths.XsdDirectory, "*.xsd").Select(Path.GetFileName).Order(StringComparer.Ordinal);

        XoevSchemas.SchemaFileNames.Should().Equal(files);
        foreach (var name in XoevSchemas.SchemaFileNames)
        {
            XoevSchemas.ReadSchemaText(name).Should().Be(File.ReadAllText(Path.Combine(RepoPaths.XsdDirectory, name)));
        }
    }

    [Fact]
    public void Schema_uris_and_root_types_are_consistent()
    {
        XoevSchemas.WohngeldSchemaUri.Should().Be("urn:integrationhub:xoev:wohngeld:1.0");
        XoevSchemas.SozialhilfeSchemaUri.Should().Be("urn:integrationhub:xoev:sozialhilfe:1.0");
        XoevSchemas.FallSchemaUri.Should().Be("urn:integrationhub:xoev:fall:1.0");
        XoevSchemas.NachweisNamespace.Should().Be("urn:integrationhub:xoev:nachweis:1.0");
        XoevSchemas.SubmissionSchemaMimeType.Should().Be("application/xml");

        foreach (var (name, type) in XoevSchemas.RootTypes)
        {
            var root = (System.Xml.Serialization.XmlRootAttribute)Attribute.GetCustomAttribute(type, typeof(System.Xml.Serialization.XmlRootAttribute))!;
            new XmlQualifiedName(root.ElementName, root.Namespace).Should().Be(name);
        }
    }

    [Fact]
    public void Schemas_use_own_namespaces_only()
    {
        foreach (var name in XoevSchemas.SchemaFileNames)
        {
            var text = XoevSchemas.ReadSchemaText(name);
            var schema = System.Xml.Linq.XElement.Parse(text);
            var namespaces = schema.DescendantsAndSelf().Attributes()
                .Where(a => a.IsNamespaceDeclaration || a.Name.LocalName is "targetNamespace" or "namespace")
                .Select(a => a.Value)
                .Where(v => v != "http://www.w3.org/2001/XMLSchema");
            namespaces.Should().OnlyContain(
                v => v.StartsWith("urn:integrationhub:xoev:", StringComparison.Ordinal) || v == XoevSchemas.XmlDsigNamespace,
                $"{name} must use the hub's own namespaces");
            text.Should().NotContain("xs:anyType");
            var wildcards = schema.Descendants(System.Xml.Linq.XName.Get("any", "http://www.w3.org/2001/XMLSchema")).ToList();
            if (name == "ih-fall-1.0.xsd")
            {
                wildcards.Should().ContainSingle().Which.Attribute("namespace")!.Value.Should().Be(XoevSchemas.XmlDsigNamespace);
            }
            else
            {
                wildcards.Should().BeEmpty("xs:any is allowed only for ds:Signature");
            }
        }
    }
}
