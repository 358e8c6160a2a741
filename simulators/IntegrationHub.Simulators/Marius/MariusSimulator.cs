using System.Globalization;
using System.Xml.Linq;
using IntegrationHub.Simulators.Procedures;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Marius;

/// <summary>
/// A Marius-like Wohngeld procedure: takes signed Wohngeld handovers at
/// POST /marius/api/v1/antraege and answers with a case number like "WG-2026-000001".
/// The handover core is transport-free, so a mailbox-style interface can be added beside the HTTP one.
/// </summary>
public sealed class MariusSimulator : FachverfahrenSimulator
{
    public const string SimulatorName = "marius";
    public const string Path = "/marius/api/v1/antraege";
    public const string WohngeldLeistungsart = "WOHNGELD_MIETZUSCHUSS";

    private static readonly XNamespace Wg = XoevNames.WohngeldNs;

    public MariusSimulator(SignaturePins pins, TimeProvider? time = null, ILogger<MariusSimulator>? logger = null)
        : base(SimulatorName, pins, time, logger)
    {
    }

    public override string CasesPath => Path;

    protected override (string Kennung, string Name) ReceiptAuthor => ("marius-simulator", "Marius-Simulator Wohngeld");

    protected override string FormatAktenzeichen(int number, DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"WG-{now.Year:D4}-{number:D6}");

    protected override bool TryAccept(XElement antrag, out AcceptedApplication accepted, out string refusal)
    {
        if (antrag.Name != Wg + XoevNames.WohngeldAntrag)
        {
            accepted = null!;
            refusal = $"This procedure handles {XoevNames.WohngeldAntrag} only, not {antrag.Name.LocalName}.";
            return false;
        }

        accepted = new AcceptedApplication(WohngeldLeistungsart);
        refusal = string.Empty;
        return true;
    }
}
