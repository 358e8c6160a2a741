using IntegrationHub.Contracts.Xoev.Common;
using IntegrationHub.Contracts.Xoev.Nachweis;

namespace IntegrationHub.Simulators.Evidence;

/// <summary>
/// The registers' deterministic default content (fictitious people in Musterstadt, ARS 064350014014), restored by Reset.
/// Erika and Max Mustermann live together with their daughter Lena; Aylin Demir holds a residence permit; Horst Beispiel
/// receives Grundsicherung and a pension.
/// </summary>
public static class EvidenceDefaults
{
    public const string Ars = "064350014014";

    public static readonly RegisteredPerson ErikaMustermann = new("65929970489", "Mustermann", "Erika", new DateOnly(1964, 8, 12));
    public static readonly RegisteredPerson MaxMustermann = new("81872495633", "Mustermann", "Max", new DateOnly(1962, 1, 25));
    public static readonly RegisteredPerson LenaMustermann = new(null, "Mustermann", "Lena", new DateOnly(2009, 5, 3));
    public static readonly RegisteredPerson AylinDemir = new("47036892816", "Demir", "Aylin", new DateOnly(1990, 11, 23));
    public static readonly RegisteredPerson HorstBeispiel = new("29517634802", "Beispiel", "Horst", new DateOnly(1951, 2, 14));

    public static readonly Wohnanschrift Heidestrasse17 = new("Heidestraße", "17", "63067", "Musterstadt", Ars);
    public static readonly Wohnanschrift AmMarkt3 = new("Am Markt", "3", "63067", "Musterstadt", Ars, "2. OG");
    public static readonly Wohnanschrift Lindenweg8 = new("Lindenweg", "8", "63067", "Musterstadt", Ars);

    internal static readonly IReadOnlyList<(RegisteredPerson Person, Wohnanschrift Anschrift, DateOnly Seit)> Meldungen =
    [
        (ErikaMustermann, Heidestrasse17, new DateOnly(2019, 4, 1)),
        (MaxMustermann, Heidestrasse17, new DateOnly(2019, 4, 1)),
        (LenaMustermann, Heidestrasse17, new DateOnly(2019, 4, 1)),
        (AylinDemir, AmMarkt3, new DateOnly(2022, 9, 15)),
        (HorstBeispiel, Lindenweg8, new DateOnly(1988, 6, 1)),
    ];

    internal static readonly IReadOnlyList<AufenthaltstitelEintrag> Aufenthaltstitel =
    [
        new(AylinDemir, "Aufenthaltserlaubnis (§ 25 Abs. 2 AufenthG)", new DateOnly(2023, 2, 1), new DateOnly(2027, 1, 31)),
    ];

    internal static readonly IReadOnlyList<LeistungsEintrag> Leistungen =
    [
        new(HorstBeispiel, LeistungType.SgbXiiGrundsicherung, new DateOnly(2024, 7, 1), "50.2-GS-2024-0815", true),
    ];

    internal static readonly IReadOnlyList<EinkommensEintrag> Einkommen =
    [
        new(HorstBeispiel, 612.40m, new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 31), EinkommensartType.Rente),
        new(MaxMustermann, 1134.50m, new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 31), EinkommensartType.Rente),
    ];
}
