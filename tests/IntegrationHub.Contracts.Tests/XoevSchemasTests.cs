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

        set.Schemas().Count.Should().Be(4);
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
            text.Should().NotContainAny("xoev.de", "kosit", "xs:anyType");
            text.Split("<xs:any ").Length.Should().BeLessThanOrEqualTo(name == "ih-fall-1.0.xsd" ? 2 : 1, "xs:any is allowed only for ds:Signature");
        }
    }
}
