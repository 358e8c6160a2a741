using IntegrationHub.UnitTests.Tenancy;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.OnceOnly;
using IntegrationHub.Security.AtRest;
using IntegrationHub.Tenancy;
using IntegrationHub.UnitTests.Security.AtRest;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.UnitTests.OnceOnly;

/// <summary>Asynchronous requests name the person: what the ledger keeps of them is encrypted under the municipality's key and bound to its row.</summary>
public sealed class EvidenceProtectionTests : IAsyncLifetime
{
    private const string Offenbach = "064130000000";
    private AtRestLedger _ledger = null!;

    public async Task InitializeAsync() => _ledger = await AtRestLedger.CreateAsync();
    public async Task DisposeAsync() => await _ledger.DisposeAsync();

    private EvidenceProtection Protection(string? masterKey = null)
    {
        var hub = _ledger.Hub(masterKey);
        return new EvidenceProtection(hub.GetRequiredService<KeyStore>(), hub.GetRequiredService<AtRestProtector>());
    }

    [Fact]
    public async Task Protected_text_round_trips_and_does_not_show_the_plaintext()
    {
        var id = Guid.NewGuid();
        var protection = Protection();

        var stored = await protection.ProtectAsync(id, Offenbach, """{"idNr":"12345678901"}""", default);

        stored.Should().NotContain("12345678901").And.StartWith(AtRestEnvelope.TextPrefix);
        (await protection.UnprotectAsync(id, Offenbach, stored, default)).Should().Be("""{"idNr":"12345678901"}""");
        (await protection.ProtectAsync(id, Offenbach, "same", default)).Should().NotBe(await protection.ProtectAsync(id, Offenbach, "same", default),
            "every encryption has its own nonce");
    }

    [Fact]
    public async Task Protected_text_moved_to_another_row_another_municipality_or_read_with_another_master_key_does_not_decrypt()
    {
        var id = Guid.NewGuid();
        var stored = await Protection().ProtectAsync(id, Offenbach, "Erika Mustermann", default);

        await FluentActions.Awaiting(() => Protection().UnprotectAsync(Guid.NewGuid(), Offenbach, stored, default)).Should().ThrowAsync<AtRestDataException>();
        await FluentActions.Awaiting(() => Protection().UnprotectAsync(id, "064110000000", stored, default)).Should().ThrowAsync<AtRestDataException>();
        await FluentActions.Awaiting(() => Protection(TestMasterKeys.Other).UnprotectAsync(id, Offenbach, stored, default)).Should().ThrowAsync<AtRestDataException>();
    }

    [Fact]
    public async Task A_row_written_before_the_per_municipality_keys_is_still_read()
    {
        var id = Guid.NewGuid();
        var key = _ledger.Hub().GetRequiredService<KeyStore>().DerivedKey("integrationhub:evidence-requests:v1");
        var data = Encoding.UTF8.GetBytes("Erika Mustermann");
        var legacy = new byte[28 + data.Length];
        RandomNumberGenerator.Fill(legacy.AsSpan(0, 12));
        using (var aes = new AesGcm(key, 16)) aes.Encrypt(legacy.AsSpan(0, 12), data, legacy.AsSpan(28), legacy.AsSpan(12, 16), id.ToByteArray());

        (await Protection().UnprotectAsync(id, Offenbach, Convert.ToBase64String(legacy), default)).Should().Be("Erika Mustermann");
    }

    [Fact]
    public void Backoff_doubles_per_attempt_up_to_the_maximum()
    {
        var options = new OnceOnlyOptions { InitialBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromSeconds(10) };

        options.BackoffAfter(1).Should().BeCloseTo(TimeSpan.FromSeconds(2.2), TimeSpan.FromSeconds(0.21));
        options.BackoffAfter(2).Should().BeCloseTo(TimeSpan.FromSeconds(4.4), TimeSpan.FromSeconds(0.41));
        options.BackoffAfter(9).Should().BeCloseTo(TimeSpan.FromSeconds(11), TimeSpan.FromSeconds(1.01));
    }
}
