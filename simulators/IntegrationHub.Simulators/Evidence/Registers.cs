using System.Security.Cryptography;
using IntegrationHub.Contracts.Xoev.Common;
using IntegrationHub.Contracts.Xoev.Nachweis;
using IntegrationHub.Simulators.EfA;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Evidence;

/// <summary>
/// The Melderegister (XMeld-style): residence data (MELDEDATEN) = the person as registered, the address, the move-in date and
/// everyone else registered at the same address, plus a Meldebescheinigung as PDF.
/// </summary>
public sealed class Melderegister : EvidenceProvider
{
    public const string ProviderName = "melderegister";

    private readonly List<MeldeEintrag> _entries = [];

    internal Melderegister(TimeProvider time, ILogger logger)
        : base(ProviderName, "Melderegister Musterstadt", NachweisartType.Meldedaten, time, logger) => ResetRegister();

    /// <summary>Snapshot of the register.</summary>
    public IReadOnlyList<MeldeEintrag> Entries
    {
        get { lock (Gate) { return _entries.ToList(); } }
    }

    /// <summary>
    /// Registers a person (and the <paramref name="household"/> members) at an address from <paramref name="einzugsdatum"/>.
    /// Someone already registered moves: their earlier entry is replaced.
    /// </summary>
    public MeldeEintrag Register(RegisteredPerson person, Wohnanschrift address, DateOnly einzugsdatum, IEnumerable<RegisteredPerson>? household = null)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentNullException.ThrowIfNull(address);
        var entry = new MeldeEintrag(person, address, einzugsdatum);
        lock (Gate)
        {
            foreach (var member in new[] { person }.Concat(household ?? []))
            {
                _entries.RemoveAll(e => e.Person.IsSamePersonAs(member));
                _entries.Add(member == person ? entry : new MeldeEintrag(member, address, einzugsdatum));
            }
        }

        return entry;
    }

    /// <summary>
    /// Registers the applicant of an EfA application (<see cref="ApplicationFactory"/>) with the household members it names, at the
    /// application's address or, to make a discrepancy, at <paramref name="address"/>. The move-in date is the application's
    /// <c>bezugsdatum</c> unless given.
    /// </summary>
    public ApplicationApplicant RegisterApplicant(DemoApplication application, Wohnanschrift? address = null, DateOnly? einzugsdatum = null)
    {
        var applicant = ApplicationApplicant.Of(application);
        Register(applicant.Person, address ?? applicant.Anschrift, einzugsdatum ?? applicant.Bezugsdatum ?? new DateOnly(2020, 1, 1), applicant.Haushalt);
        return applicant;
    }

    private protected override void ResetRegister()
    {
        _entries.Clear();
        foreach (var (person, address, since) in EvidenceDefaults.Meldungen)
        {
            _entries.Add(new MeldeEintrag(person, address, since));
        }
    }

    private protected override void ClearRegister() => _entries.Clear();

    private protected override IEnumerable<RegisteredPerson> People() => _entries.Select(e => e.Person);

    private protected override (NachweisdatenType, DateTime?, DokumentType?) EvidenceOn(RegisteredPerson person, Guid anfrageId)
    {
        var entry = _entries.Single(e => e.Person == person);
        var daten = new MeldedatenType
        {
            Person = Gemeldet(person),
            Anschrift = new AnschriftType
            {
                Strasse = entry.Anschrift.Strasse,
                Hausnummer = entry.Anschrift.Hausnummer,
                Adresszusatz = entry.Anschrift.Adresszusatz,
                Postleitzahl = entry.Anschrift.Postleitzahl,
                Ort = entry.Anschrift.Ort,
                Ars = entry.Anschrift.Ars,
            },
            Einzugsdatum = entry.Einzugsdatum.ToDateTime(TimeOnly.MinValue),
        };
        daten.Mitbewohner.AddRange(_entries.Where(e => e != entry && e.Anschrift.IsSameAddressAs(entry.Anschrift)).Select(e => Gemeldet(e.Person)));

        // The certificate names no one: it stands for the document a real register would attach.
        var pdf = MinimalPdf.Create($"Meldebescheinigung (fiktives Testdokument) zu Anfrage {anfrageId}");
        var dokument = new DokumentType
        {
            Dateiname = "Meldebescheinigung.pdf",
            MimeType = "application/pdf",
            HashSha512 = Convert.ToHexStringLower(SHA512.HashData(pdf)),
            Inhalt = pdf,
        };
        return (new NachweisdatenType { Meldedaten = daten }, null, dokument);
    }

    private static GemeldetePersonType Gemeldet(RegisteredPerson p) =>
        new() { Familienname = p.Familienname, Vorname = p.Vorname, Geburtsdatum = p.Geburtsdatum.ToDateTime(TimeOnly.MinValue) };
}

/// <summary>The Ausländerbehörde (XAusländer-style): the residence permit (AUFENTHALTSTITEL) with its validity.</summary>
public sealed class Auslaenderbehoerde : EvidenceProvider
{
    public const string ProviderName = "auslaenderbehoerde";

    private readonly List<AufenthaltstitelEintrag> _entries = [];

    internal Auslaenderbehoerde(TimeProvider time, ILogger logger)
        : base(ProviderName, "Ausländerbehörde Musterstadt", NachweisartType.Aufenthaltstitel, time, logger) => ResetRegister();

    public IReadOnlyList<AufenthaltstitelEintrag> Entries
    {
        get { lock (Gate) { return _entries.ToList(); } }
    }

    /// <summary>Records a person's residence permit (replacing an earlier one); no <paramref name="gueltigBis"/> = unbefristet.</summary>
    public AufenthaltstitelEintrag Register(RegisteredPerson person, string titelart, DateOnly? gueltigBis, DateOnly? erteiltAm = null)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentException.ThrowIfNullOrWhiteSpace(titelart);
        var entry = new AufenthaltstitelEintrag(person, titelart, erteiltAm, gueltigBis);
        lock (Gate)
        {
            _entries.RemoveAll(e => e.Person.IsSamePersonAs(person));
            _entries.Add(entry);
        }

        return entry;
    }

    private protected override void ResetRegister()
    {
        _entries.Clear();
        _entries.AddRange(EvidenceDefaults.Aufenthaltstitel);
    }

    private protected override void ClearRegister() => _entries.Clear();

    private protected override IEnumerable<RegisteredPerson> People() => _entries.Select(e => e.Person);

    private protected override (NachweisdatenType, DateTime?, DokumentType?) EvidenceOn(RegisteredPerson person, Guid anfrageId)
    {
        var entry = _entries.Single(e => e.Person == person);
        var gueltigBis = entry.GueltigBis?.ToDateTime(TimeOnly.MinValue);
        return (new NachweisdatenType
        {
            Aufenthaltstitel = new AufenthaltstitelNachweisType
            {
                Titelart = entry.Titelart,
                ErteiltAm = entry.ErteiltAm?.ToDateTime(TimeOnly.MinValue),
                GueltigBis = gueltigBis,
            },
        }, gueltigBis, null);
    }
}

/// <summary>Another social procedure (e.g. the Grundsicherung office): ongoing benefit receipt (LEISTUNGSBEZUG).</summary>
public sealed class Sozialamt : EvidenceProvider
{
    public const string ProviderName = "sozialamt";

    private readonly List<LeistungsEintrag> _entries = [];

    internal Sozialamt(TimeProvider time, ILogger logger)
        : base(ProviderName, "Sozialamt Musterstadt, Grundsicherung", NachweisartType.Leistungsbezug, time, logger) => ResetRegister();

    public IReadOnlyList<LeistungsEintrag> Entries
    {
        get { lock (Gate) { return _entries.ToList(); } }
    }

    /// <summary>Records a person's benefit case (replacing an earlier one).</summary>
    public LeistungsEintrag Register(RegisteredPerson person, LeistungType leistung, DateOnly seit, string aktenzeichen, bool laufend = true)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentException.ThrowIfNullOrWhiteSpace(aktenzeichen);
        var entry = new LeistungsEintrag(person, leistung, seit, aktenzeichen, laufend);
        lock (Gate)
        {
            _entries.RemoveAll(e => e.Person.IsSamePersonAs(person));
            _entries.Add(entry);
        }

        return entry;
    }

    private protected override void ResetRegister()
    {
        _entries.Clear();
        _entries.AddRange(EvidenceDefaults.Leistungen);
    }

    private protected override void ClearRegister() => _entries.Clear();

    private protected override IEnumerable<RegisteredPerson> People() => _entries.Select(e => e.Person);

    private protected override (NachweisdatenType, DateTime?, DokumentType?) EvidenceOn(RegisteredPerson person, Guid anfrageId)
    {
        var entry = _entries.Single(e => e.Person == person);
        return (new NachweisdatenType
        {
            Leistungsbezug = new LeistungsbezugType
            {
                Leistung = entry.Leistung,
                Seit = entry.Seit.ToDateTime(TimeOnly.MinValue),
                Aktenzeichen = entry.Aktenzeichen,
                Laufend = entry.Laufend,
            },
        }, null, null);
    }
}

/// <summary>A pension / employment register: income (EINKOMMEN) as an amount for a period.</summary>
public sealed class Rentenregister : EvidenceProvider
{
    public const string ProviderName = "rentenregister";

    private readonly List<EinkommensEintrag> _entries = [];

    internal Rentenregister(TimeProvider time, ILogger logger)
        : base(ProviderName, "Rentenversicherung (Simulator)", NachweisartType.Einkommen, time, logger) => ResetRegister();

    public IReadOnlyList<EinkommensEintrag> Entries
    {
        get { lock (Gate) { return _entries.ToList(); } }
    }

    /// <summary>Records a person's income for a period (replacing an earlier record).</summary>
    public EinkommensEintrag Register(RegisteredPerson person, decimal betrag, DateOnly von, DateOnly bis, EinkommensartType art = EinkommensartType.Rente)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentOutOfRangeException.ThrowIfNegative(betrag);
        if (bis < von) throw new ArgumentException("The period ends before it starts.", nameof(bis));
        var entry = new EinkommensEintrag(person, betrag, von, bis, art);
        lock (Gate)
        {
            _entries.RemoveAll(e => e.Person.IsSamePersonAs(person));
            _entries.Add(entry);
        }

        return entry;
    }

    private protected override void ResetRegister()
    {
        _entries.Clear();
        _entries.AddRange(EvidenceDefaults.Einkommen);
    }

    private protected override void ClearRegister() => _entries.Clear();

    private protected override IEnumerable<RegisteredPerson> People() => _entries.Select(e => e.Person);

    private protected override (NachweisdatenType, DateTime?, DokumentType?) EvidenceOn(RegisteredPerson person, Guid anfrageId)
    {
        var entry = _entries.Single(e => e.Person == person);
        return (new NachweisdatenType
        {
            Einkommen = new EinkommensnachweisType
            {
                Betrag = entry.Betrag,
                Waehrung = entry.Waehrung,
                Zeitraum = new ZeitraumType { Von = entry.Von.ToDateTime(TimeOnly.MinValue), Bis = entry.Bis.ToDateTime(TimeOnly.MinValue) },
                Art = entry.Art,
            },
        }, null, null);
    }
}
