using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using IntegrationHub.Simulators.EfA;

namespace IntegrationHub.Simulators.Evidence;

/// <summary>
/// The person an EfA application (<see cref="ApplicationFactory"/>) was made for, read from its XML: the applicant, the address
/// given, the household members named and (Wohngeld) the move-in date. Lets a test register exactly that person in a register.
/// </summary>
public sealed record ApplicationApplicant(RegisteredPerson Person, Wohnanschrift Anschrift, IReadOnlyList<RegisteredPerson> Haushalt, DateOnly? Bezugsdatum)
{
    private static readonly XNamespace Ihc = ApplicationFactory.CommonNamespace;

    public static ApplicationApplicant Of(DemoApplication application)
    {
        ArgumentNullException.ThrowIfNull(application);
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var reader = XmlReader.Create(new MemoryStream(application.Xml, writable: false), settings);
        var root = XDocument.Load(reader).Root ?? throw new ArgumentException("The application has no root element.", nameof(application));
        var antragsteller = root.Element(Ihc + "antragsteller")
            ?? throw new ArgumentException($"{application.Label} has no antragsteller.", nameof(application));
        var anschrift = antragsteller.Element(Ihc + "anschrift")!;
        var haushalt = root.Elements().Where(e => e.Name.LocalName == "haushaltsmitglieder")
            .SelectMany(h => h.Elements(Ihc + "haushaltsmitglied"))
            .Select(m => ReadPerson(m.Element(Ihc + "person")!))
            .ToList();
        var bezugsdatum = root.Descendants().FirstOrDefault(e => e.Name.LocalName == "bezugsdatum")?.Value;
        return new ApplicationApplicant(
            ReadPerson(antragsteller),
            new Wohnanschrift(
                Text(anschrift, "strasse"), Text(anschrift, "hausnummer"), Text(anschrift, "postleitzahl"), Text(anschrift, "ort"),
                anschrift.Element(Ihc + "ars")?.Value, anschrift.Element(Ihc + "adresszusatz")?.Value),
            haushalt,
            bezugsdatum is null ? null : Date(bezugsdatum));
    }

    private static RegisteredPerson ReadPerson(XElement person) => new(
        person.Element(Ihc + "identifikationsnummer")?.Value,
        Text(person, "familienname"),
        Text(person, "vorname"),
        Date(Text(person, "geburtsdatum")));

    private static string Text(XElement parent, string name) =>
        parent.Element(Ihc + name)?.Value ?? throw new ArgumentException($"The application lacks {name}.");

    private static DateOnly Date(string value) => DateOnly.ParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
