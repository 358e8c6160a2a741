using System.Reflection;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using IntegrationHub.ContractGenerator;
using Gen = IntegrationHub.ContractGenerator.ContractGenerator;

namespace IntegrationHub.Contracts.Tests;

/// <summary>The generator on small inline schemas: the output is checked as text, compiled with Roslyn and round-tripped.</summary>
public class GeneratorTests
{
    private const string Xs = "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"";

    private static readonly ContractGeneratorOptions Options = new()
    {
        SourceDescription = "inline test schemas",
        NamespaceMapper = ns => ns switch
        {
            "urn:test:a" => "Test.A",
            "urn:test:b" => "Test.B",
            _ => throw new ArgumentException("unexpected namespace " + ns),
        },
    };

    private const string SequenceSchema = $$"""
        <xs:schema {{Xs}} xmlns:a="urn:test:a" targetNamespace="urn:test:a" elementFormDefault="qualified">
          <xs:element name="test.root.0001">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="name" type="xs:string"/>
                <xs:element name="alter" type="xs:int" minOccurs="0"/>
                <xs:element name="spitzname" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
                <xs:element name="geburtstag" type="xs:date"/>
                <xs:element name="zeitpunkt" type="xs:dateTime" minOccurs="0"/>
                <xs:element name="plz" type="a:PlzType"/>
                <xs:element name="farbe" type="a:FarbeType" minOccurs="0"/>
                <xs:element name="lieblingsfarbe" type="a:FarbeType" minOccurs="0" maxOccurs="3"/>
                <xs:element name="adresse">
                  <xs:complexType>
                    <xs:sequence>
                      <xs:element name="ort" type="xs:string"/>
                      <xs:element name="art">
                        <xs:simpleType>
                          <xs:restriction base="xs:string">
                            <xs:enumeration value="haupt-wohnsitz"/>
                            <xs:enumeration value="NEBEN_WOHNSITZ"/>
                          </xs:restriction>
                        </xs:simpleType>
                      </xs:element>
                    </xs:sequence>
                  </xs:complexType>
                </xs:element>
                <xs:element name="daten" type="xs:base64Binary" minOccurs="0"/>
                <xs:element name="betrag" minOccurs="0">
                  <xs:simpleType><xs:restriction base="xs:decimal"><xs:fractionDigits value="2"/></xs:restriction></xs:simpleType>
                </xs:element>
                <xs:element name="anzahl" type="xs:positiveInteger"/>
              </xs:sequence>
              <xs:attribute name="id" type="xs:int" use="required"/>
              <xs:attribute name="sprache" type="xs:string"/>
              <xs:attribute name="stufe" type="xs:int"/>
              <xs:attribute name="status" type="a:FarbeType"/>
            </xs:complexType>
          </xs:element>
          <xs:simpleType name="PlzType"><xs:restriction base="xs:string"><xs:pattern value="\d{5}"/></xs:restriction></xs:simpleType>
          <xs:simpleType name="FarbeType">
            <xs:annotation><xs:documentation>Farben &amp; Töne</xs:documentation></xs:annotation>
            <xs:restriction base="xs:string">
              <xs:enumeration value="rot"/>
              <xs:enumeration value="DUNKEL_BLAU"/>
              <xs:enumeration value="1"/>
            </xs:restriction>
          </xs:simpleType>
        </xs:schema>
        """;

    private const string ChoiceExtensionSchema = $"""
        <xs:schema {Xs} xmlns:a="urn:test:a" targetNamespace="urn:test:a" elementFormDefault="qualified">
          <xs:complexType name="BasisType">
            <xs:sequence><xs:element name="kennung" type="xs:string"/></xs:sequence>
            <xs:attribute name="version" type="xs:string" fixed="2.0"/>
          </xs:complexType>
          <xs:complexType name="AbgeleitetType">
            <xs:complexContent>
              <xs:extension base="a:BasisType">
                <xs:sequence>
                  <xs:choice>
                    <xs:element name="text" type="xs:string"/>
                    <xs:element name="zahl" type="xs:int"/>
                    <xs:element name="betrag" type="a:BetragMitWaehrungType"/>
                  </xs:choice>
                  <xs:element name="zusatz" type="xs:string" minOccurs="0"/>
                  <xs:any namespace="urn:test:ext" processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
                </xs:sequence>
                <xs:attribute name="prioritaet" type="xs:boolean"/>
              </xs:extension>
            </xs:complexContent>
          </xs:complexType>
          <xs:complexType name="BetragMitWaehrungType">
            <xs:simpleContent>
              <xs:extension base="xs:decimal"><xs:attribute name="waehrung" type="xs:string" use="required"/></xs:extension>
            </xs:simpleContent>
          </xs:complexType>
          <xs:element name="nachricht" type="a:AbgeleitetType"/>
        </xs:schema>
        """;

    private const string ImportingSchema = $"""
        <xs:schema {Xs} xmlns:a="urn:test:a" xmlns:b="urn:test:b" targetNamespace="urn:test:a" elementFormDefault="qualified">
          <xs:import namespace="urn:test:b" schemaLocation="b.xsd"/>
          <xs:element name="auftrag" type="a:AuftragType"/>
          <xs:complexType name="AuftragType">
            <xs:sequence>
              <xs:element name="adresse" type="b:AdresseType"/>
              <xs:element ref="b:vermerk" minOccurs="0"/>
              <xs:element ref="b:zusatz" maxOccurs="unbounded"/>
            </xs:sequence>
          </xs:complexType>
        </xs:schema>
        """;

    private const string ImportedSchema = $"""
        <xs:schema {Xs} xmlns:b="urn:test:b" targetNamespace="urn:test:b" elementFormDefault="unqualified">
          <xs:complexType name="AdresseType">
            <xs:sequence>
              <xs:element name="strasse" type="xs:string"/>
              <xs:element name="ort" type="xs:string"/>
            </xs:sequence>
          </xs:complexType>
          <xs:complexType name="VermerkType">
            <xs:sequence><xs:element name="text" type="xs:string"/></xs:sequence>
          </xs:complexType>
          <xs:element name="vermerk" type="b:VermerkType"/>
          <xs:element name="zusatz" type="xs:string"/>
        </xs:schema>
        """;

    private sealed record Compiled(IReadOnlyDictionary<string, string> Files, Assembly Assembly, XmlSchemaSet Schemas)
    {
        public string Code => string.Join("\n", Files.Values);

        public Type Type(string name) => Assembly.GetType(name, throwOnError: true)!;
    }

    private static Compiled GenerateAndCompile(params (string Name, string Xsd)[] schemas)
    {
        var texts = schemas.ToDictionary(s => s.Name, s => s.Xsd, StringComparer.Ordinal);
        var files = Gen.Generate(texts, Options);
        return new Compiled(files, InMemoryCompiler.Compile(files), SchemaLoader.Load(texts));
    }

    /// <summary>XML → object → XML: output valid, content kept, and a second pass is identical.</summary>
    private static object RoundTrip(Compiled compiled, Type type, string xml)
    {
        XmlText.Validate(xml, compiled.Schemas).Should().BeEmpty("the test input itself must be valid");
        var value = XmlText.Deserialize(xml, type);
        var serialized = XmlText.Serialize(value, new System.Xml.Serialization.XmlSerializerNamespaces());
        XmlText.Validate(serialized, compiled.Schemas).Should().BeEmpty("serialized output must be valid:\n{0}", serialized);
        XNode.DeepEquals(Normalize(XElement.Parse(xml)), Normalize(XElement.Parse(serialized))).Should().BeTrue("content must survive:\n{0}", serialized);
        XmlText.Serialize(XmlText.Deserialize(serialized, type), new System.Xml.Serialization.XmlSerializerNamespaces()).Should().Be(serialized);
        return value;
    }

    private static XElement Normalize(XElement element) =>
        new(
            element.Name,
            element.Attributes().Where(a => !a.IsNamespaceDeclaration).OrderBy(a => a.Name.ToString(), StringComparer.Ordinal),
            element.HasElements ? element.Elements().Select(Normalize) : (object)element.Value);

    private static object? Get(object target, string property) => target.GetType().GetProperty(property)!.GetValue(target);

    [Fact]
    public void Sequence_optional_repeated_attributes_restrictions_enums_and_anonymous_types()
    {
        var compiled = GenerateAndCompile(("a.xsd", SequenceSchema));
        var code = compiled.Code;

        compiled.Files.Keys.Should().Equal("Test.A.g.cs");
        code.Should().Contain("[XmlRoot(\"test.root.0001\", Namespace = \"urn:test:a\", IsNullable = false)]")
            .And.Contain("public partial class TestRoot0001\n")
            .And.Contain("[XmlElement(\"name\", Namespace = \"urn:test:a\")]\n    public string Name { get; set; } = string.Empty;")
            .And.Contain("public int? Alter { get; set; }")
            .And.Contain("public bool AlterSpecified => Alter.HasValue;")
            .And.Contain("public global::System.Collections.Generic.List<string> Spitzname { get; set; } = new();")
            .And.Contain("[XmlElement(\"geburtstag\", Namespace = \"urn:test:a\", DataType = \"date\")]\n    public global::System.DateTime Geburtstag { get; set; }")
            .And.Contain("public global::System.DateTime? Zeitpunkt { get; set; }")
            .And.Contain("public string Plz { get; set; } = string.Empty;")
            .And.Contain("public FarbeType? Farbe { get; set; }")
            .And.Contain("public global::System.Collections.Generic.List<FarbeType> Lieblingsfarbe { get; set; } = new();")
            .And.Contain("public TestRoot0001AdresseType Adresse { get; set; } = new();")
            .And.Contain("public partial class TestRoot0001AdresseType")
            .And.Contain("public TestRoot0001AdresseArtType Art { get; set; }")
            .And.Contain("public enum TestRoot0001AdresseArtType")
            .And.Contain("[XmlEnum(\"haupt-wohnsitz\")]\n    HauptWohnsitz,")
            .And.Contain("[XmlEnum(\"NEBEN_WOHNSITZ\")]\n    NebenWohnsitz,")
            .And.Contain("public byte[]? Daten { get; set; }")
            .And.Contain("public decimal? Betrag { get; set; }")
            .And.Contain("public long Anzahl { get; set; }")
            .And.Contain("[XmlAttribute(\"id\")]\n    public int Id { get; set; }")
            .And.Contain("[XmlAttribute(\"sprache\")]\n    public string? Sprache { get; set; }")
            .And.Contain("[XmlIgnore]\n    public int? Stufe { get; set; }")
            .And.Contain("public int StufeValue { get => Stufe.GetValueOrDefault(); set => Stufe = value; }")
            .And.Contain("public FarbeType? Status { get; set; }")
            .And.Contain("[XmlType(\"FarbeType\", Namespace = \"urn:test:a\")]")
            .And.Contain("/// <summary>Farben &amp; Töne</summary>")
            .And.Contain("[XmlEnum(\"rot\")]\n    Rot,")
            .And.Contain("[XmlEnum(\"DUNKEL_BLAU\")]\n    DunkelBlau,")
            .And.Contain("[XmlEnum(\"1\")]\n    Item1,");

        var type = compiled.Type("Test.A.TestRoot0001");
        const string full = """
            <test.root.0001 xmlns="urn:test:a" id="7" sprache="de" stufe="2" status="DUNKEL_BLAU">
              <name>Erika</name><alter>60</alter><spitzname>Eri</spitzname><spitzname>Ka</spitzname>
              <geburtstag>1964-08-12</geburtstag><zeitpunkt>2025-03-14T09:26:53Z</zeitpunkt><plz>63067</plz><farbe>rot</farbe>
              <lieblingsfarbe>1</lieblingsfarbe><lieblingsfarbe>rot</lieblingsfarbe>
              <adresse><ort>Musterstadt</ort><art>haupt-wohnsitz</art></adresse>
              <daten>AAEC</daten><betrag>12.50</betrag><anzahl>3</anzahl>
            </test.root.0001>
            """;
        var value = RoundTrip(compiled, type, full);
        Get(value, "Alter").Should().Be(60);
        Get(value, "Stufe").Should().Be(2);
        ((System.Collections.IList)Get(value, "Spitzname")!).Count.Should().Be(2);
        Get(value, "Daten").Should().BeEquivalentTo(new byte[] { 0, 1, 2 });

        const string minimal = """
            <test.root.0001 xmlns="urn:test:a" id="1">
              <name>Max</name><geburtstag>2000-01-01</geburtstag><plz>12345</plz>
              <adresse><ort>Musterstadt</ort><art>NEBEN_WOHNSITZ</art></adresse><anzahl>1</anzahl>
            </test.root.0001>
            """;
        var sparse = RoundTrip(compiled, type, minimal);
        Get(sparse, "Alter").Should().BeNull();
        Get(sparse, "Stufe").Should().BeNull();
        Get(sparse, "Status").Should().BeNull();
        XmlText.Serialize(sparse).Should().NotContain("stufe").And.NotContain("status").And.NotContain("alter").And.NotContain("nil");
    }

    [Fact]
    public void Choice_extension_simple_content_fixed_attribute_and_wildcard()
    {
        var compiled = GenerateAndCompile(("a.xsd", ChoiceExtensionSchema));
        var code = compiled.Code;

        code.Should().Contain("public partial class AbgeleitetType : BasisType")
            .And.Contain("public partial class Nachricht : AbgeleitetType")
            .And.Contain("[XmlType(AnonymousType = true, Namespace = \"urn:test:a\")]\n[XmlRoot(\"nachricht\"")
            .And.Contain("public string? Version { get; set; } = \"2.0\";")
            .And.Contain("public string? Text { get; set; }")
            .And.Contain("public int? Zahl { get; set; }")
            .And.Contain("public BetragMitWaehrungType? Betrag { get; set; }")
            .And.Contain("[XmlText]\n    public decimal Value { get; set; }")
            .And.Contain("[XmlAttribute(\"waehrung\")]\n    public string Waehrung { get; set; } = string.Empty;")
            .And.Contain("[XmlAnyElement(Namespace = \"urn:test:ext\")]\n    public global::System.Collections.Generic.List<global::System.Xml.XmlElement> Any { get; set; } = new();")
            .And.Contain("public bool? Prioritaet { get; set; }");
        code.Split("Kennung {").Length.Should().Be(2, "inherited members are declared once, in the base class");

        var type = compiled.Type("Test.A.Nachricht");
        var text = RoundTrip(compiled, type, """<nachricht xmlns="urn:test:a" version="2.0" prioritaet="true"><kennung>K1</kennung><text>Hallo</text><zusatz>z</zusatz><e:x xmlns:e="urn:test:ext">1</e:x><e:y xmlns:e="urn:test:ext"/></nachricht>""");
        Get(text, "Text").Should().Be("Hallo");
        Get(text, "Zahl").Should().BeNull();
        ((System.Collections.IList)Get(text, "Any")!).Count.Should().Be(2);

        var zahl = RoundTrip(compiled, type, """<nachricht xmlns="urn:test:a" version="2.0"><kennung>K2</kennung><zahl>42</zahl></nachricht>""");
        Get(zahl, "Zahl").Should().Be(42);
        Get(zahl, "Text").Should().BeNull();

        var betrag = RoundTrip(compiled, type, """<nachricht xmlns="urn:test:a" version="2.0"><kennung>K3</kennung><betrag waehrung="EUR">12.34</betrag></nachricht>""");
        var b = Get(betrag, "Betrag")!;
        Get(b, "Value").Should().Be(12.34m);
        Get(b, "Waehrung").Should().Be("EUR");
    }

    [Fact]
    public void Imports_across_two_files_give_one_file_per_namespace_with_qualified_references()
    {
        var compiled = GenerateAndCompile(("a.xsd", ImportingSchema), ("b.xsd", ImportedSchema));

        compiled.Files.Keys.Should().BeEquivalentTo("Test.A.g.cs", "Test.B.g.cs");
        var a = compiled.Files["Test.A.g.cs"];
        var b = compiled.Files["Test.B.g.cs"];
        a.Should().Contain("namespace Test.A;")
            .And.Contain("public global::Test.B.AdresseType Adresse { get; set; } = new();")
            .And.Contain("[XmlElement(\"vermerk\", Namespace = \"urn:test:b\")]\n    public global::Test.B.Vermerk? Vermerk { get; set; }")
            .And.Contain("[XmlElement(\"zusatz\", Namespace = \"urn:test:b\")]\n    public global::System.Collections.Generic.List<string> Zusatz { get; set; } = new();")
            .And.NotContain("class AdresseType");
        b.Should().Contain("namespace Test.B;")
            .And.Contain("[XmlElement(\"strasse\", Form = global::System.Xml.Schema.XmlSchemaForm.Unqualified)]")
            .And.Contain("public partial class Vermerk : VermerkType")
            .And.Contain("public partial class Zusatz")
            .And.Contain("[XmlText]\n    public string Value { get; set; } = string.Empty;");

        var value = RoundTrip(compiled, compiled.Type("Test.A.Auftrag"), """
            <a:auftrag xmlns:a="urn:test:a" xmlns:b="urn:test:b">
              <a:adresse><strasse>Heidestraße 17</strasse><ort>Musterstadt</ort></a:adresse>
              <b:vermerk><text>eilig</text></b:vermerk>
              <b:zusatz>eins</b:zusatz><b:zusatz>zwei</b:zusatz>
            </a:auftrag>
            """);
        ((System.Collections.IList)Get(value, "Zusatz")!).Count.Should().Be(2);
        Get(Get(value, "Adresse")!, "Ort").Should().Be("Musterstadt");
    }

    [Fact]
    public void Member_names_that_would_clash_are_made_unique()
    {
        var compiled = GenerateAndCompile(("a.xsd", $"""
            <xs:schema {Xs} xmlns:a="urn:test:a" targetNamespace="urn:test:a" elementFormDefault="qualified">
              <xs:complexType name="Eintrag">
                <xs:sequence>
                  <xs:element name="eintrag" type="xs:string"/>
                  <xs:element name="toString" type="xs:string"/>
                  <xs:element name="wert" type="xs:int" minOccurs="0"/>
                  <xs:element name="wertSpecified" type="xs:string"/>
                </xs:sequence>
              </xs:complexType>
              <xs:element name="eintrag" type="a:Eintrag"/>
            </xs:schema>
            """));

        compiled.Code.Should().Contain("public partial class Eintrag\n")
            .And.Contain("public partial class EintragElement : Eintrag")
            .And.Contain("public string Eintrag2 { get; set; }")
            .And.Contain("public string ToString2 { get; set; }")
            .And.Contain("public bool WertSpecified => Wert.HasValue;")
            .And.Contain("public string WertSpecified2 { get; set; }");
    }

    [Fact]
    public void Unsupported_constructs_fail_loudly()
    {
        var mixed = $"""
            <xs:schema {Xs} targetNamespace="urn:test:a" elementFormDefault="qualified">
              <xs:complexType name="TextType" mixed="true"><xs:sequence><xs:element name="b" type="xs:string"/></xs:sequence></xs:complexType>
            </xs:schema>
            """;

        var act = () => Gen.Generate(new Dictionary<string, string> { ["a.xsd"] = mixed }, Options);

        act.Should().Throw<NotSupportedException>().WithMessage("*mixed content*");
    }

    [Fact]
    public void Schema_locations_outside_the_schema_files_are_not_resolved()
    {
        var outside = Path.Combine(Path.GetTempPath(), $"ih-outside-{Guid.NewGuid():N}.xsd");
        File.WriteAllText(outside, ImportedSchema);
        try
        {
            foreach (var location in new[] { new Uri(outside).AbsoluteUri, "../b.xsd", "http://example.invalid/b.xsd" })
            {
                var importing = ImportingSchema.Replace("schemaLocation=\"b.xsd\"", $"schemaLocation=\"{location}\"", StringComparison.Ordinal);

                var act = () => SchemaLoader.Load(new Dictionary<string, string> { ["a.xsd"] = importing });

                act.Should().Throw<XmlSchemaException>(location).WithMessage("*not declared*");
            }
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public void Dtds_in_schemas_are_prohibited()
    {
        var withDtd = "<!DOCTYPE xs:schema [<!ENTITY x \"y\">]>" + ImportedSchema;

        var act = () => SchemaLoader.Load(new Dictionary<string, string> { ["b.xsd"] = withDtd });

        act.Should().Throw<XmlException>().WithMessage("*DTD*");
    }

    [Fact]
    public void Default_namespace_mapping_follows_the_agreed_names()
    {
        ContractGeneratorOptions.DefaultNamespaceMapper("urn:integrationhub:xoev:wohngeld:1.0").Should().Be("IntegrationHub.Contracts.Xoev.Wohngeld");
        ContractGeneratorOptions.DefaultNamespaceMapper("urn:integrationhub:xoev:common:1.0").Should().Be("IntegrationHub.Contracts.Xoev.Common");
        ContractGeneratorOptions.DefaultNamespaceMapper("http://example.org/foo-bar").Should().Be("IntegrationHub.Contracts.Xml.ExampleOrgFooBar");
    }
}
