using System.Text.Json;
using IntegrationHub.Delivery;
using IntegrationHub.OnceOnly;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static IntegrationHub.UnitTests.OnceOnly.EvidenceSetup;

namespace IntegrationHub.UnitTests.OnceOnly;

/// <summary>One lookup end to end inside the hub: rules, provider call with timeout, cache, and exactly one protocol entry per lookup.</summary>
public sealed class EvidenceServiceTests
{
    private readonly FakeEvidenceProvider _provider = new();
    private readonly RecordingAccessProtocol _protocol = new();
    private readonly ManualTime _time = new();

    private EvidenceService Service(HubOptions? hub = null) =>
        new(new EvidenceRules(Options.Create(hub ?? Hub())), _provider, _protocol, new EvidenceCache(_time), _time, NullLogger<EvidenceService>.Instance);

    private AccessProtocolEntry SingleEntry(EvidenceRequest request)
    {
        var entry = _protocol.Entries.Should().ContainSingle().Subject;
        entry.RequestId.Should().Be(request.RequestId);
        // The protocol knows the person only by pseudonym.
        var serialized = JsonSerializer.Serialize(entry);
        serialized.Should().NotContain(Person.IdNr).And.NotContain(Person.Familienname).And.NotContain(Person.Vorname);
        entry.PersonPseudonym.Should().Be(_protocol.PseudonymOf(Person));
        return entry;
    }

    [Fact]
    public async Task Provided_evidence_is_returned_and_protocolled_with_who_asked_why_and_on_which_basis()
    {
        var request = Request();

        var result = await Service().LookupAsync(request, WohngeldOffenbach, CancellationToken.None);

        result.Outcome.Should().Be(EvidenceOutcomes.Provided);
        result.Evidence!.Data["anschrift"]!["ort"]!.GetValue<string>().Should().Be("Offenbach am Main");
        var entry = SingleEntry(request);
        entry.Should().BeEquivalentTo(new
        {
            At = _time.Now, RequesterArs = Offenbach, RequesterAuthority = "Wohngeldstelle Offenbach", RequesterProcedure = "Marius Wohngeld",
            EvidenceType = EvidenceTypes.Meldedaten, Purpose = request.Purpose, LegalBasis = WoGG, ConsentReference = (string?)null,
            Outcome = EvidenceOutcomes.Provided, ReasonCode = (string?)null, Provider = "melderegister-of",
        });
        _provider.Calls.Should().Be(1);
    }

    [Fact]
    public async Task A_refusal_by_the_rules_is_protocolled_and_the_provider_is_not_asked()
    {
        var request = Request(legalBasis: null, consent: "EINW-1", scope: [EvidenceTypes.Einkommen]);

        var result = await Service().LookupAsync(request, WohngeldOffenbach, CancellationToken.None);

        result.Should().BeEquivalentTo(new { Outcome = EvidenceOutcomes.Refused, ReasonCode = EvidenceRefusalReasons.EinwilligungFehlt, RefusedByProvider = false });
        SingleEntry(request).Should().BeEquivalentTo(new { Outcome = EvidenceOutcomes.Refused, ReasonCode = EvidenceRefusalReasons.EinwilligungFehlt, ConsentReference = "EINW-1" });
        _provider.Calls.Should().Be(0);
    }

    [Fact]
    public async Task A_refusal_across_municipalities_protocols_the_requester_that_really_asked()
    {
        var request = Request(ars: Darmstadt);

        await Service().LookupAsync(request, WohngeldOffenbach, CancellationToken.None);

        SingleEntry(request).Should().BeEquivalentTo(new { RequesterArs = Offenbach, Outcome = EvidenceOutcomes.Refused, ReasonCode = EvidenceRefusalReasons.AndereKommune, Provider = (string?)null });
    }

    [Fact]
    public async Task The_providers_refusal_is_passed_on_with_its_reason()
    {
        _provider.Behaviour = (_, _) => Task.FromResult<EvidenceAnswer>(new EvidenceAnswer.Refused("PERSON_NICHT_GEFUNDEN", "Keine Person mit diesen Merkmalen gemeldet."));
        var request = Request();

        var result = await Service().LookupAsync(request, WohngeldOffenbach, CancellationToken.None);

        result.Should().BeEquivalentTo(new { Outcome = EvidenceOutcomes.Refused, ReasonCode = "PERSON_NICHT_GEFUNDEN", RefusedByProvider = true, Provider = "melderegister-of" });
        SingleEntry(request).Should().BeEquivalentTo(new { Outcome = EvidenceOutcomes.Refused, ReasonCode = "PERSON_NICHT_GEFUNDEN", Provider = "melderegister-of" });
    }

    public static TheoryData<string> Outages => ["transient", "http", "defect"];

    [Theory]
    [MemberData(nameof(Outages))]
    public async Task An_outage_is_unavailable(string kind)
    {
        _provider.Behaviour = (_, _) => throw (kind switch
        {
            "transient" => new TransientDeliveryException("503 from the Melderegister"),
            "http" => new HttpRequestException("connection refused"),
            _ => (Exception)new InvalidOperationException("unparseable answer"),
        });
        var request = Request();

        var result = await Service().LookupAsync(request, WohngeldOffenbach, CancellationToken.None);

        result.Outcome.Should().Be(EvidenceOutcomes.Unavailable);
        result.Evidence.Should().BeNull();
        SingleEntry(request).Should().BeEquivalentTo(new { Outcome = EvidenceOutcomes.Unavailable, Provider = "melderegister-of" });
    }

    [Fact]
    public async Task A_slow_provider_times_out_after_the_callers_timeout()
    {
        _provider.Behaviour = async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); return FakeEvidenceProvider.Meldedaten(); };
        var request = Request();
        var started = DateTime.UtcNow;

        var result = await Service().LookupAsync(request, WohngeldOffenbach, CancellationToken.None, TimeSpan.FromMilliseconds(200));

        result.Outcome.Should().Be(EvidenceOutcomes.TimedOut);
        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(4), "the caller's 200 ms beat the target's 5 s");
        SingleEntry(request).Should().BeEquivalentTo(new { Outcome = EvidenceOutcomes.TimedOut, Provider = "melderegister-of" });
    }

    [Fact]
    public async Task A_slow_provider_times_out_after_the_targets_timeout()
    {
        var hub = Hub();
        hub.Targets["melderegister-of"].Timeout = TimeSpan.FromMilliseconds(150);
        _provider.Behaviour = async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); return FakeEvidenceProvider.Meldedaten(); };

        var result = await Service(hub).LookupAsync(Request(), WohngeldOffenbach, CancellationToken.None, TimeSpan.FromSeconds(30));

        result.Outcome.Should().Be(EvidenceOutcomes.TimedOut);
    }

    [Fact]
    public async Task A_lookup_the_caller_abandons_is_protocolled_and_cancelled()
    {
        _provider.Behaviour = async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); return FakeEvidenceProvider.Meldedaten(); };
        using var abandon = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var request = Request();

        var lookup = () => Service().LookupAsync(request, WohngeldOffenbach, abandon.Token);

        await lookup.Should().ThrowAsync<OperationCanceledException>();
        SingleEntry(request).Should().BeEquivalentTo(new { Outcome = EvidenceOutcomes.TimedOut, ReasonCode = EvidenceService.ReasonAborted });
    }

    [Fact]
    public async Task Evidence_is_not_cached_by_default()
    {
        var service = Service();

        await service.LookupAsync(Request(), WohngeldOffenbach, CancellationToken.None);
        await service.LookupAsync(Request(), WohngeldOffenbach, CancellationToken.None);

        _provider.Calls.Should().Be(2);
        _protocol.Entries.Should().HaveCount(2).And.OnlyContain(e => e.Outcome == EvidenceOutcomes.Provided);
    }

    [Fact]
    public async Task With_a_cache_ttl_evidence_is_reused_for_the_same_person_until_it_expires()
    {
        var service = Service(Hub(meldedatenTtl: TimeSpan.FromMinutes(10)));

        var first = await service.LookupAsync(Request(), WohngeldOffenbach, CancellationToken.None);
        first.Evidence!.Data["einzugsdatum"] = "changed by the first caller";
        var second = await service.LookupAsync(Request(), WohngeldOffenbach, CancellationToken.None);
        await service.LookupAsync(Request(person: Person with { IdNr = "98765432109" }), WohngeldOffenbach, CancellationToken.None);
        _provider.Calls.Should().Be(2, "the second lookup of the same person came from the cache, another person's did not");
        second.Evidence!.Data["einzugsdatum"]!.GetValue<string>().Should().Be("2019-04-01");

        _time.Now += TimeSpan.FromMinutes(11);
        await service.LookupAsync(Request(), WohngeldOffenbach, CancellationToken.None);

        _provider.Calls.Should().Be(3, "the cached answer expired");
        _protocol.Entries.Should().HaveCount(4, "a lookup answered from the cache is protocolled too");
    }

    [Fact]
    public async Task Refusals_and_outages_are_never_cached()
    {
        var service = Service(Hub(meldedatenTtl: TimeSpan.FromMinutes(10)));
        _provider.Behaviour = (_, _) => throw new HttpRequestException("down");
        await service.LookupAsync(Request(), WohngeldOffenbach, CancellationToken.None);
        _provider.Behaviour = (_, _) => Task.FromResult<EvidenceAnswer>(FakeEvidenceProvider.Meldedaten());

        var result = await service.LookupAsync(Request(), WohngeldOffenbach, CancellationToken.None);

        result.Outcome.Should().Be(EvidenceOutcomes.Provided);
        _provider.Calls.Should().Be(2);
    }
}
