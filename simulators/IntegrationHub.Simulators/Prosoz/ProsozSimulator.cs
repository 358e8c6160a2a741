using System.Globalization;
using System.Xml.Linq;
using IntegrationHub.Simulators.Procedures;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Prosoz;

/// <summary>
/// A Prosoz-like SGB XII procedure: takes signed Sozialhilfe handovers at
/// POST /prosoz/api/v1/faelle and answers with an Aktenzeichen like "50.21-SGB12-2026-000001"; keeps a chronicle of
/// each case and reports status changes and the Bescheid back to the hub (<see cref="Reports"/>).
/// </summary>
public sealed class ProsozSimulator : FachverfahrenSimulator
{
    public const string SimulatorName = "prosoz";
    public const string Path = "/prosoz/api/v1/faelle";

    private static readonly XNamespace Sh = XoevNames.SozialhilfeNs;

    public ProsozSimulator(SignaturePins pins, TimeProvider? time = null, ILogger<ProsozSimulator>? logger = null)
        : base(SimulatorName, pins, time, logger)
    {
        Reports = new ProsozCaseReports(this, Logger);
    }

    /// <summary>Each case's chronicle and the status reports (callbacks) to the hub.</summary>
    public ProsozCaseReports Reports { get; }

    public override string CasesPath => Path;

    protected override (string Kennung, string Name) ReceiptAuthor => ("prosoz-simulator", "Prosoz-Simulator Sozialhilfe (SGB XII)");

    protected override string FormatAktenzeichen(int number, DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"50.21-SGB12-{now.Year:D4}-{number:D6}");

    protected override bool TryAccept(XElement antrag, out AcceptedApplication accepted, out string refusal)
    {
        if (antrag.Name != Sh + XoevNames.SozialhilfeAntrag)
        {
            accepted = null!;
            refusal = $"This procedure handles {XoevNames.SozialhilfeAntrag} only, not {antrag.Name.LocalName}.";
            return false;
        }

        accepted = new AcceptedApplication(antrag.Element(Sh + "leistungsart")?.Value ?? "SGB_XII");
        refusal = string.Empty;
        return true;
    }
}
