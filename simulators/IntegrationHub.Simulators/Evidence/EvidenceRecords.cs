namespace IntegrationHub.Simulators.Evidence;

/// <summary>A person as a register knows them. Without IDNr the person can be found by name and birth date only.</summary>
public sealed record RegisteredPerson(string? IdNr, string Familienname, string Vorname, DateOnly Geburtsdatum)
{
    /// <summary>Same person: same IDNr when both have one, else same name and birth date (case and surrounding blanks ignored).</summary>
    public bool IsSamePersonAs(RegisteredPerson other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return IdNr is not null && other.IdNr is not null ? IdNr == other.IdNr : Matches(other.Familienname, other.Vorname, other.Geburtsdatum);
    }

    public bool Matches(string familienname, string vorname, DateOnly geburtsdatum) =>
        Geburtsdatum == geburtsdatum && SameName(Familienname, familienname) && SameName(Vorname, vorname);

    private static bool SameName(string a, string b) => string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}

/// <summary>A residential address (Hauptwohnung).</summary>
public sealed record Wohnanschrift(string Strasse, string Hausnummer, string Postleitzahl, string Ort, string? Ars = null, string? Adresszusatz = null)
{
    /// <summary>Same dwelling: street, number, Postleitzahl and Ort (Adresszusatz and ARS are not compared).</summary>
    public bool IsSameAddressAs(Wohnanschrift other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Same(Strasse, other.Strasse) && Same(Hausnummer, other.Hausnummer) && Postleitzahl == other.Postleitzahl && Same(Ort, other.Ort);
    }

    private static bool Same(string a, string b) => string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}

/// <summary>One Melderegister entry: who lives where since when.</summary>
public sealed record MeldeEintrag(RegisteredPerson Person, Wohnanschrift Anschrift, DateOnly Einzugsdatum);

/// <summary>One residence permit at the Ausländerbehörde; no <paramref name="GueltigBis"/> = unbefristet.</summary>
public sealed record AufenthaltstitelEintrag(RegisteredPerson Person, string Titelart, DateOnly? ErteiltAm, DateOnly? GueltigBis);

/// <summary>One benefit case in another social procedure.</summary>
public sealed record LeistungsEintrag(RegisteredPerson Person, IntegrationHub.Contracts.Xoev.Nachweis.LeistungType Leistung, DateOnly Seit, string Aktenzeichen, bool Laufend);

/// <summary>One income record of the pension or employment register: an amount for a period.</summary>
public sealed record EinkommensEintrag(
    RegisteredPerson Person, decimal Betrag, DateOnly Von, DateOnly Bis, IntegrationHub.Contracts.Xoev.Common.EinkommensartType Art, string Waehrung = "EUR");

/// <summary>
/// One call a provider answered, without personal data: the request's ids, evidence type, purpose and basis
/// ("RECHTSGRUNDLAGE:code" or "EINWILLIGUNG:referenz"), and the outcome ("ANTWORT", "ABLEHNUNG:grund", or a problem kind).
/// </summary>
public sealed record EvidenceCall(
    DateTimeOffset At,
    int Status,
    string Outcome,
    Guid? AnfrageId,
    Guid? NachrichtUuid,
    string? Nachweisart,
    string? Zweck,
    string? Basis,
    string? RequesterArs,
    string? RequesterVerfahren,
    bool Repeat);
