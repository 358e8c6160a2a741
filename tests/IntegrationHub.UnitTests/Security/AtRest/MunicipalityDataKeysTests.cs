using IntegrationHub.UnitTests.Tenancy;
using IntegrationHub.Security.AtRest;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.UnitTests.Security.AtRest;

/// <summary>One data key per municipality, made once however many hub processes ask at once, kept only wrapped.</summary>
public sealed class MunicipalityDataKeysTests : IAsyncLifetime
{
    private const string Offenbach = "064130000000";
    private AtRestLedger _ledger = null!;

    public async Task InitializeAsync() => _ledger = await AtRestLedger.CreateAsync();
    public async Task DisposeAsync() => await _ledger.DisposeAsync();

    [Fact]
    public async Task Hub_processes_racing_for_a_municipalitys_first_key_end_with_one_key()
    {
        var processes = Enumerable.Range(0, 4).Select(_ => _ledger.Hub().GetRequiredService<MunicipalityDataKeys>()).ToList();

        var keys = await Task.WhenAll(processes.SelectMany(p => Enumerable.Range(0, 3).Select(_ => Task.Run(() => p.CurrentAsync(Offenbach, default)))));

        keys.Select(k => Convert.ToHexString(k.Key)).Distinct().Should().ContainSingle("every process must encrypt with the same key");
        keys.Should().OnlyContain(k => k.Ars == Offenbach && k.Version == 1 && k.Key.Length == 32);
        (await _ledger.RowsAsync()).Should().ContainSingle(r => r.Ars == Offenbach);
    }

    [Fact]
    public async Task The_ledger_keeps_the_key_only_wrapped_and_another_master_key_cannot_unwrap_it()
    {
        var key = await _ledger.Hub().GetRequiredService<MunicipalityDataKeys>().CurrentAsync(Offenbach, default);

        var row = (await _ledger.RowsAsync()).Single(r => r.Ars == Offenbach);
        var wrapped = Convert.FromBase64String(row.WrappedKey);
        wrapped.Should().HaveCount(12 + 16 + 32);
        Convert.ToHexString(wrapped).Should().NotContain(Convert.ToHexString(key.Key));
        (await _ledger.Hub().GetRequiredService<MunicipalityDataKeys>().GetAsync(Offenbach, 1, default)).Key.Should().Equal(key.Key,
            "another process with the same master key unwraps it");

        var otherMaster = _ledger.Hub(TestMasterKeys.Other).GetRequiredService<MunicipalityDataKeys>();
        (await FluentActions.Awaiting(() => otherMaster.GetAsync(Offenbach, 1, default)).Should().ThrowAsync<AtRestDataException>())
            .Which.Message.Should().Contain("does not unwrap");
    }

    [Fact]
    public async Task Municipalities_have_their_own_keys_and_data_without_one_uses_the_hub_wide_key()
    {
        var keys = _ledger.Hub().GetRequiredService<MunicipalityDataKeys>();

        var offenbach = await keys.CurrentAsync(Offenbach, default);
        var darmstadt = await keys.CurrentAsync("064110000000", default);
        var none = await keys.CurrentAsync(null, default);

        darmstadt.Key.Should().NotEqual(offenbach.Key);
        none.Ars.Should().Be(MunicipalityDataKeys.HubWideArs);
        (await keys.CurrentAsync("not an ARS!", default)).Key.Should().Equal(none.Key);
        (await _ledger.RowsAsync()).Select(r => r.Ars).Should().BeEquivalentTo([Offenbach, "064110000000", MunicipalityDataKeys.HubWideArs]);
    }
}
