using System.Xml;

namespace IntegrationHub.Contracts.Tests;

public class ExampleTests
{
    public static TheoryData<string> ExampleFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(RepoPaths.ExamplesDirectory, "*.xml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void There_is_an_example_for_every_root_message()
    {
        var names = Directory.GetFiles(RepoPaths.ExamplesDirectory, "*.xml").Select(Path.GetFileNameWithoutExtension);

        names.Should().BeEquivalentTo(XoevSchemas.RootTypes.Keys.Select(k => k.Name));
    }

    [Theory]
    [MemberData(nameof(ExampleFiles))]
    public void Example_validates_deserializes_and_reserializes_valid(string fileName)
    {
        var xml = File.ReadAllText(Path.Combine(RepoPaths.ExamplesDirectory, fileName));

        XoevSchemas.Validate(xml).Should().BeEmpty();

        var root = System.Xml.Linq.XElement.Parse(xml);
        var type = XoevSchemas.RootTypes[new XmlQualifiedName(root.Name.LocalName, root.Name.NamespaceName)];
        var message = XmlText.Deserialize(xml, type);
        message.Should().BeOfType(type);

        // nachrichtentyp/code carries the message name.
        var kopf = (Xoev.Common.NachrichtenkopfType)type.GetProperty("Nachrichtenkopf")!.GetValue(message)!;
        kopf.Nachrichtentyp.Code.Should().Be(root.Name.LocalName);

        var again = XmlText.Serialize(message);
        XoevSchemas.Validate(again).Should().BeEmpty();
        System.Xml.Linq.XNode.DeepEquals(Normalize(root), Normalize(System.Xml.Linq.XElement.Parse(again)))
            .Should().BeTrue("re-serializing the example must keep its content:\n{0}", again);
    }

    [Fact]
    public void Wohngeld_example_carries_the_expected_values()
    {
        var xml = File.ReadAllText(Path.Combine(RepoPaths.ExamplesDirectory, "wohngeld.antrag.0001.xml"));

        var antrag = XmlText.Deserialize<Xoev.Wohngeld.WohngeldAntrag0001>(xml);

        antrag.Antragsteller.Vorname.Should().Be("Erika");
        antrag.Antragsteller.Familienname.Should().Be("Mustermann");
        antrag.Antragsteller.Anschrift.Ars.Should().Be("064350014014");
        antrag.Antragsteller.Geschlecht.Should().Be(Xoev.Common.GeschlechtType.W);
        antrag.Wohnung.WohnflaecheQm.Should().Be(78.5m);
        antrag.Haushaltsmitglieder.Haushaltsmitglied.Should().HaveCount(2);
        antrag.Version.Should().Be("1.0");
    }

    /// <summary>
    /// Drops comments, whitespace text and namespace declarations (prefix choice is not content).
    /// xs:dateTime values compare as instants: DateTime keeps the instant but not the original offset.
    /// </summary>
    private static System.Xml.Linq.XElement Normalize(System.Xml.Linq.XElement element) =>
        new(
            element.Name,
            element.Attributes().Where(a => !a.IsNamespaceDeclaration).OrderBy(a => a.Name.ToString(), StringComparer.Ordinal),
            element.HasElements
                ? element.Elements().Select(Normalize)
                : (object)NormalizeValue(element.Value));

    private static string NormalizeValue(string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value, @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
            ? XmlConvert.ToDateTimeOffset(value).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)
            : value;
}
