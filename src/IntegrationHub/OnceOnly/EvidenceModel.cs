namespace IntegrationHub.OnceOnly;

/// <summary>The kinds of evidence the hub carries between authorities (codes of nachweis.anfrage.0001/nachweisart).</summary>
public static class EvidenceTypes
{
    /// <summary>Residence data from the Melderegister (XMeld-style): current address, move-in date, household members at the address.</summary>
    public const string Meldedaten = "MELDEDATEN";
    /// <summary>Residence permit status from the Ausländerbehörde (XAusländer-style): title, valid until.</summary>
    public const string Aufenthaltstitel = "AUFENTHALTSTITEL";
    /// <summary>Ongoing benefit receipt from another social procedure: which benefit, since when, Aktenzeichen.</summary>
    public const string Leistungsbezug = "LEISTUNGSBEZUG";
    /// <summary>Income from a pension or employment register: amount, period.</summary>
    public const string Einkommen = "EINKOMMEN";

    public static readonly IReadOnlyList<string> All = [Meldedaten, Aufenthaltstitel, Leistungsbezug, Einkommen];
}

/// <summary>Whom a lookup is about: by IDNr, or by name, birth date and address.</summary>
public sealed record PersonReference(
    string? IdNr,
    string? Familienname = null,
    string? Vorname = null,
    DateOnly? Geburtsdatum = null,
    string? Strasse = null,
    string? Hausnummer = null,
    string? Postleitzahl = null,
    string? Ort = null);

/// <summary>
/// One evidence lookup as the hub handles it, whoever asked (a specialist procedure through the API, or the hub itself
/// while validating a submission). Either <see cref="LegalBasis"/> or <see cref="ConsentReference"/> with a scope that
/// includes <see cref="EvidenceType"/> must justify it.
/// </summary>
public sealed record EvidenceRequest(
    Guid RequestId,
    string RequesterArs,
    string RequesterAuthority,
    string RequesterProcedure,
    string EvidenceType,
    string Purpose,
    string? LegalBasis,
    string? ConsentReference,
    IReadOnlyList<string> ConsentScope,
    PersonReference Person,
    DateTimeOffset RequestedAt);

/// <summary>How a lookup ended, as the access protocol records it.</summary>
public static class EvidenceOutcomes
{
    public const string Provided = "PROVIDED";
    /// <summary>Refused by the hub's rules (no purpose, no basis or consent, other municipality, role) or by the provider.</summary>
    public const string Refused = "REFUSED";
    /// <summary>The provider could not be reached or answered with an error.</summary>
    public const string Unavailable = "UNAVAILABLE";
    public const string TimedOut = "TIMED_OUT";
}

/// <summary>
/// One line of the access protocol (Datenschutzcockpit-style): who asked, about whom (a pseudonym, never the IDNr or the
/// name), which evidence, why, on which basis, when, and how it ended.
/// </summary>
public sealed record AccessProtocolEntry(
    DateTimeOffset At,
    Guid RequestId,
    string RequesterArs,
    string RequesterAuthority,
    string RequesterProcedure,
    string PersonPseudonym,
    string EvidenceType,
    string Purpose,
    string? LegalBasis,
    string? ConsentReference,
    string Outcome,
    string? ReasonCode,
    string? Provider);

/// <summary>The append-only, hash-chained access protocol.</summary>
public interface IAccessProtocol
{
    /// <summary>Appends an entry (in its own transaction, chained to the previous one).</summary>
    Task AppendAsync(AccessProtocolEntry entry, CancellationToken ct);

    /// <summary>The stable pseudonym of a person in the protocol (keyed hash of the IDNr, else of name + birth date).</summary>
    string PseudonymOf(PersonReference person);
}
