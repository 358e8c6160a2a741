using System.Globalization;
using System.Xml.Linq;
using IntegrationHub.Contracts;
using IntegrationHub.Simulators.Procedures;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Marius;

/// <summary>
/// A Marius-like Wohngeld procedure. It takes its cases from an XTA-style mailbox (see MariusSimulator.Mailbox.cs):
/// the signed fall.uebergabe.0001 with the FIM-shaped application, plus one evidence message per attachment, and
/// answers with a signed fall.quittung.0002 carrying its case number ("WG-2026-000001") into the hub's mailbox.
/// The push endpoint POST /marius/api/v1/antraege (the original wohngeld.antrag.0001 inside) still works.
/// </summary>
public sealed partial class MariusSimulator : FachverfahrenSimulator
{
    public const string SimulatorName = "marius";
    public const string Path = "/marius/api/v1/antraege";
    public const string WohngeldLeistungsart = "WOHNGELD_MIETZUSCHUSS";

    private static readonly XNamespace Wg = XoevNames.WohngeldNs;
    private static readonly XNamespace WgFim = XoevSchemas.WohngeldFimNamespace;

    public MariusSimulator(SignaturePins pins, TimeProvider? time = null, ILogger<MariusSimulator>? logger = null)
        : base(SimulatorName, pins, time, logger)
    {
    }

    public override string CasesPath => Path;

    protected override (string Kennung, string Name) ReceiptAuthor => ("marius-simulator", "Marius-Simulator Wohngeld");

    protected override string FormatAktenzeichen(int number, DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"WG-{now.Year:D4}-{number:D6}");

    /// <summary>
    /// A Wohngeld application, original or FIM-shaped. The handover was validated against the schemas before (the FIM
    /// part against ih-wohngeld-fim-1.0.xsd), so only the kind is checked here.
    /// </summary>
    protected override bool TryAccept(XElement antrag, out AcceptedApplication accepted, out string refusal)
    {
        if (antrag.Name != Wg + XoevNames.WohngeldAntrag && antrag.Name != WgFim + XoevSchemas.WohngeldFimErstantragElement)
        {
            accepted = null!;
            refusal = $"This procedure handles Wohngeld applications only ({XoevNames.WohngeldAntrag} or {XoevSchemas.WohngeldFimErstantragElement}), not {antrag.Name.LocalName}.";
            return false;
        }

        accepted = new AcceptedApplication(WohngeldLeistungsart);
        refusal = string.Empty;
        return true;
    }
}
