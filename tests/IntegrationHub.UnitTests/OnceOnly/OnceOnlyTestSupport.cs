using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.OnceOnly;
using IntegrationHub.Tenancy;

namespace IntegrationHub.UnitTests.OnceOnly;

/// <summary>Two municipalities: Offenbach with Melderegister and Leistungsbezug providers, Darmstadt with a Melderegister.</summary>
internal static class EvidenceSetup
{
    public const string Offenbach = "064130000000";
    public const string Darmstadt = "064110000000";
    public const string WoGG = "§ 23 Abs. 3 WoGG";

    public static HubOptions Hub(TimeSpan? meldedatenTtl = null) => new()
    {
        Tenants =
        [
            new TenantOptions
            {
                Ars = Offenbach, Name = "Offenbach",
                Evidence = { Providers =
                [
                    new EvidenceProviderOptions { Type = EvidenceTypes.Meldedaten, Target = "melderegister-of", LegalBases = [WoGG, "§ 67a SGB X"], CacheTtl = meldedatenTtl },
                    new EvidenceProviderOptions { Type = EvidenceTypes.Leistungsbezug, Target = "prosoz-of", LegalBases = ["§ 118 SGB XII"] },
                ] },
            },
            new TenantOptions
            {
                Ars = Darmstadt, Name = "Darmstadt",
                Evidence = { Providers = [new EvidenceProviderOptions { Type = EvidenceTypes.Meldedaten, Target = "melderegister-da", LegalBases = [WoGG] }] },
            },
        ],
        Targets = new(StringComparer.OrdinalIgnoreCase)
        {
            ["melderegister-of"] = new TargetOptions { Kind = "EvidenceProvider", BaseUrl = "http://melderegister-of/", Timeout = TimeSpan.FromSeconds(5) },
            ["prosoz-of"] = new TargetOptions { Kind = "EvidenceProvider", BaseUrl = "http://prosoz-of/", Timeout = TimeSpan.FromSeconds(5) },
            ["melderegister-da"] = new TargetOptions { Kind = "EvidenceProvider", BaseUrl = "http://melderegister-da/" },
        },
        EvidenceRequesters =
        [
            new EvidenceRequesterOptions
            {
                ClientId = "wohngeld-of", SecretSha256 = Convert.ToHexString(SHA256.HashData("s3cret"u8)), Ars = Offenbach,
                Authority = "Wohngeldstelle Offenbach", Procedure = "Marius Wohngeld", EvidenceTypes = [EvidenceTypes.Meldedaten, EvidenceTypes.Einkommen],
                LegalBases = { [EvidenceTypes.Meldedaten] = [WoGG, "§ 118 SGB XII"] },
            },
        ],
    };

    /// <summary>
    /// The Wohngeld procedure of Offenbach: may ask for Meldedaten and Einkommen (Offenbach has no Einkommen provider); its legal
    /// bases for Meldedaten are the WoGG's and one the provider does not list.
    /// </summary>
    public static readonly EvidenceRequester WohngeldOffenbach =
        new("wohngeld-of", Offenbach, "Wohngeldstelle Offenbach", "Marius Wohngeld", new HashSet<string> { EvidenceTypes.Meldedaten, EvidenceTypes.Einkommen },
            new Dictionary<string, IReadOnlyList<string>> { [EvidenceTypes.Meldedaten] = [WoGG, "§ 118 SGB XII"] });

    public static readonly PersonReference Person = new("12345678901", "Mustermann", "Erika", new DateOnly(1964, 8, 12));

    public static EvidenceRequest Request(
        string evidenceType = EvidenceTypes.Meldedaten, string purpose = "Wohngeldantrag WG-2026-0042", string? legalBasis = WoGG,
        string? consent = null, IReadOnlyList<string>? scope = null, string ars = Offenbach, PersonReference? person = null) =>
        new(Guid.NewGuid(), ars, "Wohngeldstelle Offenbach", "Marius Wohngeld", evidenceType, purpose, legalBasis, consent, scope ?? [],
            person ?? Person, DateTimeOffset.UtcNow);
}

/// <summary>Records protocol entries; the pseudonym is a plain SHA-256 of the IDNr (or name and birth date).</summary>
internal sealed class RecordingAccessProtocol : IAccessProtocol
{
    public ConcurrentQueue<AccessProtocolEntry> Entries { get; } = new();

    public Task AppendAsync(AccessProtocolEntry entry, CancellationToken ct)
    {
        Entries.Enqueue(entry);
        return Task.CompletedTask;
    }

    public string PseudonymOf(PersonReference person) =>
        "psn-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(person.IdNr ?? $"{person.Familienname}|{person.Vorname}|{person.Geburtsdatum}")))[..16];
}

/// <summary>A provider whose behaviour each test sets; counts the calls.</summary>
internal sealed class FakeEvidenceProvider : IEvidenceProvider
{
    private int _calls;
    public int Calls => _calls;
    public Func<EvidenceRequest, CancellationToken, Task<EvidenceAnswer>> Behaviour { get; set; } = (_, _) => Task.FromResult<EvidenceAnswer>(Meldedaten());

    public Task<EvidenceAnswer> AskAsync(EvidenceRequest request, TargetOptions provider, string providerName, CancellationToken ct)
    {
        Interlocked.Increment(ref _calls);
        return Behaviour(request, ct);
    }

    public static EvidenceAnswer.Provided Meldedaten() => new(
        new JsonObject { ["anschrift"] = new JsonObject { ["strasse"] = "Berliner Straße", ["hausnummer"] = "100", ["postleitzahl"] = "63065", ["ort"] = "Offenbach am Main" }, ["einzugsdatum"] = "2019-04-01" },
        null, DateTimeOffset.UtcNow, null);
}

/// <summary>A clock the test moves; timers still run on the system clock.</summary>
internal sealed class ManualTime : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
    public override DateTimeOffset GetUtcNow() => Now;
}
