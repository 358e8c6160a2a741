using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Contracts.Xoev.Common;
using IntegrationHub.Contracts.Xoev.Nachweis;
using IntegrationHub.Simulators.Procedures;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Evidence;

/// <summary>
/// One simulated evidence provider (a register behind <c>POST /evidence/{Name}/anfragen</c>). It answers
/// <c>nachweis.anfrage.0001</c> with <c>nachweis.antwort.0002</c> or <c>nachweis.ablehnung.0003</c> (both 200), and malformed
/// or invalid requests with RFC 7807 problems (<c>urn:integrationhub:simulator:evidence-{Name}:{kind}</c>). It checks, in this
/// order: its own evidence type (else NICHT_ZUSTAENDIG), the consent's scope (EINWILLIGUNG_FEHLT), the legal basis against
/// <see cref="AcceptedLegalBases"/> when that is not empty (KEINE_RECHTSGRUNDLAGE), then finds the person by IDNr, else by
/// name and birth date (PERSON_NICHT_GEFUNDEN, PERSON_NICHT_EINDEUTIG). A repeated anfrageId gets the first answer again.
/// </summary>
public abstract class EvidenceProvider
{
    public const int MaxRequestBytes = 256 * 1024;

    private readonly object _gate = new();
    private readonly Dictionary<Guid, (string Fingerprint, HandoverResponse Answer, string Outcome)> _answered = [];
    private readonly List<EvidenceCall> _calls = [];
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private protected EvidenceProvider(string name, string displayName, NachweisartType nachweisart, TimeProvider time, ILogger logger)
    {
        Name = name;
        DisplayName = displayName;
        Nachweisart = nachweisart;
        _time = time;
        _logger = logger;
    }

    /// <summary>The provider's id in the path and in <c>anbieter/kennung</c>, e.g. <c>melderegister</c>.</summary>
    public string Name { get; }

    /// <summary><c>anbieter/name</c>.</summary>
    public string DisplayName { get; }

    /// <summary>The only evidence type this provider delivers.</summary>
    public NachweisartType Nachweisart { get; }

    /// <summary>The name under which <c>/_faults</c> reaches this provider: <c>evidence-{Name}</c>.</summary>
    public string FaultName => "evidence-" + Name;

    public FaultInjection Faults { get; } = new();

    /// <summary>Codes of <c>rechtsgrundlage</c> this provider accepts; empty (default) = any code.</summary>
    public ISet<string> AcceptedLegalBases { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Every call that reached the handler, in order (snapshot; no personal data).</summary>
    public IReadOnlyList<EvidenceCall> Calls
    {
        get { lock (_gate) { return _calls.ToList(); } }
    }

    /// <summary>The path requests are posted to.</summary>
    public string Path => $"/evidence/{Name}/anfragen";

    /// <summary>Forgets calls and answers, restores the default register content and clears the faults.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _answered.Clear();
            _calls.Clear();
            AcceptedLegalBases.Clear();
            ResetRegister();
        }

        Faults.Reset();
    }

    /// <summary>Empties the register (keeps calls and answers).</summary>
    public void Clear()
    {
        lock (_gate) { ClearRegister(); }
    }

    /// <summary>The lock that guards the register content of the derived classes.</summary>
    private protected object Gate => _gate;

    private protected abstract void ResetRegister();

    private protected abstract void ClearRegister();

    /// <summary>The people this register knows (called under <see cref="Gate"/>).</summary>
    private protected abstract IEnumerable<RegisteredPerson> People();

    /// <summary>The evidence on a person found in <see cref="People"/> (called under <see cref="Gate"/>).</summary>
    private protected abstract (NachweisdatenType Daten, DateTime? GueltigBis, DokumentType? Dokument) EvidenceOn(RegisteredPerson person, Guid anfrageId);

    /// <summary>Handles one HTTP request body (after the faults were applied).</summary>
    internal async Task<HandoverResponse> ReceiveAsync(string? contentType, long? contentLength, Stream body, CancellationToken ct)
    {
        var latency = Faults.Latency;
        if (latency > TimeSpan.Zero)
        {
            // Wall-clock on purpose: latency is for the caller's real timeouts, even when Time is a fake clock.
            await Task.Delay(latency, ct).ConfigureAwait(false);
        }

        if (Faults.TryConsumeFailure(out var faultStatus))
        {
            return Finish(Problem(faultStatus, "fault-injected", "Injected fault", "The simulator was told to fail this call."), "fault-injected", null, false);
        }

        if (!IsXml(contentType))
        {
            return Finish(Problem(415, "unsupported-media-type", "Unsupported media type", "Send nachweis.anfrage.0001 as application/xml."), "unsupported-media-type", null, false);
        }

        var bytes = contentLength > MaxRequestBytes ? null : await ReadLimitedAsync(body, ct).ConfigureAwait(false);
        if (bytes is null)
        {
            return Finish(Problem(413, "payload-too-large", "Request too large", $"A request has at most {MaxRequestBytes} bytes."), "payload-too-large", null, false);
        }

        var parsed = NachweisXml.ReadAnfrage(bytes);
        if (parsed.Anfrage is not { } anfrage)
        {
            var problem = parsed.Problem!;
            return Finish(Problem(problem.Status, problem.Kind, problem.Title, problem.Detail, problem.Errors), problem.Kind, null, false);
        }

        var anfrageId = Guid.Parse(anfrage.AnfrageId);
        var fingerprint = Fingerprint(anfrage);
        lock (_gate)
        {
            if (_answered.TryGetValue(anfrageId, out var earlier))
            {
                if (earlier.Fingerprint != fingerprint)
                {
                    return Finish(
                        Problem(409, "anfrage-id-reused", "anfrageId reused", $"anfrageId {anfrageId} was already used for a different request."),
                        "anfrage-id-reused", anfrage, false);
                }

                return Finish(earlier.Answer, earlier.Outcome, anfrage, true);
            }

            var (answer, outcome) = Decide(anfrage, anfrageId);
            _answered[anfrageId] = (fingerprint, answer, outcome);
            return Finish(answer, outcome, anfrage, false);
        }
    }

    private (HandoverResponse Answer, string Outcome) Decide(NachweisAnfrage0001 anfrage, Guid anfrageId)
    {
        if (anfrage.Nachweisart != Nachweisart)
        {
            return Refuse(anfrage, AblehnungsgrundType.NichtZustaendig, $"{DisplayName} liefert nur {NachweisXml.Code(Nachweisart)}.");
        }

        if (anfrage.Einwilligung is { } einwilligung && !einwilligung.Umfang.Contains(anfrage.Nachweisart))
        {
            return Refuse(anfrage, AblehnungsgrundType.EinwilligungFehlt, "Der Umfang der Einwilligung umfasst diese Nachweisart nicht.");
        }

        if (anfrage.Rechtsgrundlage is { } grundlage && AcceptedLegalBases.Count > 0 && !AcceptedLegalBases.Contains(grundlage.Code))
        {
            return Refuse(anfrage, AblehnungsgrundType.KeineRechtsgrundlage, $"Die Rechtsgrundlage {grundlage.Code} erlaubt diesen Abruf nicht.");
        }

        var matches = Match(anfrage.Person).ToList();
        if (matches.Count == 0)
        {
            return Refuse(anfrage, AblehnungsgrundType.PersonNichtGefunden, "Keine Person mit diesen Angaben.");
        }

        if (matches.Count > 1)
        {
            return Refuse(anfrage, AblehnungsgrundType.PersonNichtEindeutig, "Die Angaben passen auf mehrere Personen; bitte mit Identifikationsnummer anfragen.");
        }

        var (daten, gueltigBis, dokument) = EvidenceOn(matches[0], anfrageId);
        var now = _time.GetUtcNow().UtcDateTime;
        var antwort = new NachweisAntwort0002
        {
            Nachrichtenkopf = NachweisXml.Kopf(Contracts.XoevSchemas.NachweisAntwortElement, now, Name, DisplayName, anfrage.Nachrichtenkopf.Autor),
            BezugAnfrageId = anfrage.AnfrageId,
            Anbieter = new AnbieterType { Kennung = Name, Name = DisplayName },
            Nachweisart = Nachweisart,
            AusgestelltAm = now,
            GueltigBis = gueltigBis,
            Nachweisdaten = daten,
            Dokument = dokument,
        };
        return (NachweisXml.Answer(antwort), "ANTWORT");
    }

    private IEnumerable<RegisteredPerson> Match(PersonAngabeType person)
    {
        if (person.Identifikationsnummer is { } idNr)
        {
            return People().Where(p => p.IdNr == idNr);
        }

        var daten = person.Personendaten!;
        var geburtsdatum = DateOnly.FromDateTime(daten.Geburtsdatum);
        return People().Where(p => p.Matches(daten.Familienname, daten.Vorname, geburtsdatum));
    }

    private (HandoverResponse Answer, string Outcome) Refuse(NachweisAnfrage0001 anfrage, AblehnungsgrundType grund, string text)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var ablehnung = new NachweisAblehnung0003
        {
            Nachrichtenkopf = NachweisXml.Kopf(Contracts.XoevSchemas.NachweisAblehnungElement, now, Name, DisplayName, anfrage.Nachrichtenkopf.Autor),
            BezugAnfrageId = anfrage.AnfrageId,
            Anbieter = new AnbieterType { Kennung = Name, Name = DisplayName },
            Grund = grund,
            Text = text,
            AbgelehntAm = now,
        };
        return (NachweisXml.Answer(ablehnung), "ABLEHNUNG:" + NachweisXml.Code(grund));
    }

    private HandoverResponse Finish(HandoverResponse answer, string outcome, NachweisAnfrage0001? anfrage, bool repeat)
    {
        var call = new EvidenceCall(
            _time.GetUtcNow(),
            answer.StatusCode,
            outcome,
            anfrage is null ? null : Guid.Parse(anfrage.AnfrageId),
            anfrage is null ? null : Guid.Parse(anfrage.Nachrichtenkopf.NachrichtUUID),
            anfrage is null ? null : NachweisXml.Code(anfrage.Nachweisart),
            anfrage?.Zweck.Code,
            anfrage is null ? null : Basis(anfrage),
            anfrage?.AnfragendeStelle.Ars,
            anfrage?.AnfragendeStelle.Verfahren,
            repeat);
        lock (_gate) { _calls.Add(call); }

        // Ids, codes and outcome only: the request names a person.
        _logger.LogInformation(
            "Evidence provider {Provider}: anfrage {AnfrageId} {Nachweisart} -> {Status} {Outcome}{Repeat}",
            Name, call.AnfrageId, call.Nachweisart, call.Status, outcome, repeat ? " (repeat)" : string.Empty);
        return answer;
    }

    private static string Basis(NachweisAnfrage0001 anfrage) =>
        anfrage.Rechtsgrundlage is { } r ? "RECHTSGRUNDLAGE:" + r.Code : "EINWILLIGUNG:" + anfrage.Einwilligung!.Referenz;

    /// <summary>What makes two requests the same request: everything but the message header and the request time (a retry renews those).</summary>
    private static string Fingerprint(NachweisAnfrage0001 anfrage)
    {
        var p = anfrage.Person;
        var text = string.Join(
            "\u001f",
            anfrage.AnfragendeStelle.Ars, anfrage.AnfragendeStelle.Behoerde, anfrage.AnfragendeStelle.Verfahren, anfrage.Zweck.Code, anfrage.Zweck.Text,
            Basis(anfrage), string.Join(",", anfrage.Einwilligung?.Umfang.Select(NachweisXml.Code) ?? []), anfrage.Rechtsgrundlage?.Text ?? string.Empty,
            p.Identifikationsnummer ?? string.Empty, p.Personendaten?.Familienname ?? string.Empty, p.Personendaten?.Vorname ?? string.Empty,
            p.Personendaten?.Geburtsdatum.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? string.Empty,
            p.Personendaten is { } d ? $"{d.Anschrift.Strasse}|{d.Anschrift.Hausnummer}|{d.Anschrift.Postleitzahl}|{d.Anschrift.Ort}" : string.Empty,
            NachweisXml.Code(anfrage.Nachweisart));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private HandoverResponse Problem(int status, string kind, string title, string detail, System.Text.Json.Nodes.JsonArray? errors = null) =>
        HandoverResponse.Problem(FaultName, status, kind, title, detail, errors);

    private static bool IsXml(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType is { } type
        && (type.Equals("application/xml", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/xml", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+xml", StringComparison.OrdinalIgnoreCase));

    private static async Task<byte[]?> ReadLimitedAsync(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxRequestBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
