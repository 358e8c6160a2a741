using System.Xml.Linq;

namespace IntegrationHub.Simulators.Procedures;

/// <summary>Namespaces and element names of the handover and receipt (xsd/ih-fall-1.0.xsd).</summary>
internal static class XoevNames
{
    public const string CommonNs = "urn:integrationhub:xoev:common:1.0";
    public const string FallNs = "urn:integrationhub:xoev:fall:1.0";
    public const string WohngeldNs = "urn:integrationhub:xoev:wohngeld:1.0";
    public const string SozialhilfeNs = "urn:integrationhub:xoev:sozialhilfe:1.0";
    public const string XmlDsigNs = "http://www.w3.org/2000/09/xmldsig#";

    public const string FallUebergabe = "fall.uebergabe.0001";
    public const string FallQuittung = "fall.quittung.0002";
    public const string WohngeldAntrag = "wohngeld.antrag.0001";
    public const string SozialhilfeAntrag = "sozialhilfe.antrag.0001";

    public const string NachrichtentypList = "urn:integrationhub:xoev:codeliste:nachrichtentyp";
    public const string VerzeichnisdienstList = "urn:integrationhub:xoev:codeliste:verzeichnisdienst";

    public static readonly XNamespace Ihc = CommonNs;
    public static readonly XNamespace Fall = FallNs;
}
