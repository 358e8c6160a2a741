using System.Xml;
using IntegrationHub.Adapters.Marius;
using IntegrationHub.Contracts;
using IntegrationHub.Signing;
using IntegrationHub.Simulators.EfA;

namespace IntegrationHub.UnitTests.Adapters;

/// <summary>The citizen's wohngeld.antrag.0001 mapped to the FIM-shaped wohngeldfim.erstantrag.0001 a Wohngeld procedure reads.</summary>
public sealed class WohngeldFimMappingTests
{
    private const string Wgf = XoevSchemas.WohngeldFimNamespace;

    [Fact]
    public void Mapped_application_validates_against_the_FIM_schema_and_carries_person_address_household_rent_and_income_under_FIM_ids()
    {
        var application = ApplicationFactory.Wohngeld("064350014014", "63067", "Musterstadt", seed: 5);
        var source = SafeXml.Load(application.Xml, long.MaxValue);

        var fim = WohngeldFimMapping.Map(source, Guid.NewGuid(), ("064350014014", "Wohngeldstelle Musterstadt"), "marius", DateTimeOffset.UtcNow);

        XoevSchemas.Validate(new MemoryStream(SafeXml.ToBytes(fim))).Should().BeEmpty();
        fim.DocumentElement!.LocalName.Should().Be("wohngeldfim.erstantrag.0001");
        var ns = Namespaces(fim);
        Value(fim, "/wgf:*/wgf:G99000010/wgf:F60000227", ns).Should().Be(Value(source, "//ihc:antragsteller/ihc:familienname", ns));
        Value(fim, "/wgf:*/wgf:G99000010/wgf:F60000228", ns).Should().Be(Value(source, "//ihc:antragsteller/ihc:vorname", ns));
        var geburtsdatum = DateTime.Parse(Value(source, "//ihc:antragsteller/ihc:geburtsdatum", ns)!, System.Globalization.CultureInfo.InvariantCulture);
        Value(fim, "/wgf:*/wgf:G99000010/wgf:G60000083/wgf:F60000233", ns).Should().Be(geburtsdatum.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Value(fim, "/wgf:*/wgf:G99000010/wgf:G60000086/wgf:F60000243", ns).Should().Be(Value(source, "//ihc:antragsteller/ihc:anschrift/ihc:strasse", ns));
        Value(fim, "/wgf:*/wgf:G99000010/wgf:G60000086/wgf:F60000246", ns).Should().Be("63067");
        Value(fim, "/wgf:*/wgf:G99000010/wgf:G60000086/wgf:F60000247", ns).Should().Be(Value(source, "//ihc:antragsteller/ihc:anschrift/ihc:ort", ns));

        var members = source.SelectNodes("//wg:haushaltsmitglieder/ihc:haushaltsmitglied", ns)!.Count;
        Value(fim, "/wgf:*/wgf:G99000020/wgf:F99000021", ns).Should().Be((members + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        fim.SelectNodes("/wgf:*/wgf:G99000020/wgf:G99000022", ns)!.Count.Should().Be(members);
        fim.SelectNodes("/wgf:*/wgf:G99000030", ns)!.Count.Should().Be(source.SelectNodes("//wg:einkommenAntragsteller", ns)!.Count);

        var rent = new[] { "kaltmiete", "nebenkosten", "heizkosten" }
            .Sum(e => decimal.Parse(Value(source, $"//wg:miete/wg:{e}", ns)!, System.Globalization.CultureInfo.InvariantCulture));
        Value(fim, "/wgf:*/wgf:G99000050/wgf:F99000051", ns).Should().Be(Value(source, "//wg:miete/wg:kaltmiete", ns));
        decimal.Parse(Value(fim, "/wgf:*/wgf:G99000050/wgf:F99000055", ns)!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(rent);
        Value(fim, "/wgf:*/wgf:G99000060/wgf:F99000062", ns).Should().Be(Value(source, "//ihc:bankverbindung/ihc:iban", ns));
    }

    [Fact]
    public void The_FIM_example_is_what_the_mapping_makes_of_the_Wohngeld_example()
    {
        var examples = Path.Combine(RepoRoot(), "xsd", "examples");
        var source = SafeXml.Load(File.ReadAllBytes(Path.Combine(examples, "wohngeld.antrag.0001.xml")), long.MaxValue);
        var expected = System.Xml.Linq.XElement.Load(Path.Combine(examples, "wohngeldfim.erstantrag.0001.xml"));

        var fim = WohngeldFimMapping.Map(source, Guid.Parse("3f6c2a1e-8d4b-4c8e-9a51-2b7d0e6f1a23"), ("064350014014", "Wohngeldstelle Musterstadt"), "marius",
            DateTimeOffset.Parse("2025-03-14T09:26:53Z", System.Globalization.CultureInfo.InvariantCulture));

        var actual = System.Xml.Linq.XElement.Parse(fim.OuterXml);
        // The header's directory codes carry no list attributes in the mapping; the data part must match exactly.
        System.Xml.Linq.XNode.DeepEquals(Data(actual), Data(expected)).Should().BeTrue(actual.ToString());
    }

    [Fact]
    public void A_Sozialhilfe_application_is_refused()
    {
        var application = ApplicationFactory.Sozialhilfe("064350014014", "63067", "Musterstadt", seed: 6);

        var act = () => WohngeldFimMapping.Map(SafeXml.Load(application.Xml, long.MaxValue), Guid.NewGuid(), ("064350014014", "x"), "marius", DateTimeOffset.UtcNow);

        act.Should().Throw<ArgumentException>().WithMessage("*wohngeld.antrag.0001*");
    }

    private static System.Xml.Linq.XElement Data(System.Xml.Linq.XElement root) =>
        new(root.Name, root.Elements().Where(e => e.Name.LocalName != "nachrichtenkopf").Select(Strip));

    private static System.Xml.Linq.XElement Strip(System.Xml.Linq.XElement e) =>
        new(e.Name, e.HasElements ? e.Elements().Select(Strip) : e.Value);

    private static XmlNamespaceManager Namespaces(XmlDocument document)
    {
        var ns = new XmlNamespaceManager(document.NameTable);
        ns.AddNamespace("wgf", Wgf);
        ns.AddNamespace("wg", XoevSchemas.WohngeldNamespace);
        ns.AddNamespace("ihc", XoevSchemas.CommonNamespace);
        return ns;
    }

    private static string? Value(XmlDocument document, string xpath, XmlNamespaceManager ns)
    {
        var local = new XmlNamespaceManager(document.NameTable);
        foreach (var prefix in new[] { "wgf", "wg", "ihc" }) local.AddNamespace(prefix, ns.LookupNamespace(prefix)!);
        return document.SelectSingleNode(xpath, local)?.InnerText;
    }

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !Directory.Exists(Path.Combine(directory.FullName, "xsd"))) directory = directory.Parent;
        return directory?.FullName ?? throw new DirectoryNotFoundException("Repository root (with xsd/) not found.");
    }
}
