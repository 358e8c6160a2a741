using IntegrationHub.OnceOnly;
using IntegrationHub.Tenancy;
using IntegrationHub.UnitTests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.OnceOnly;

/// <summary>Asynchronous requests name the person: what the ledger keeps of them is encrypted and bound to its row.</summary>
public sealed class EvidenceProtectionTests : IDisposable
{
    private readonly TempDirectory _directory = new("evidence-protection");

    public void Dispose() => _directory.Dispose();

    private EvidenceProtection Protection(string masterKey) =>
        new(new KeyStore(Options.Create(new HubOptions { DataDirectory = _directory.Path, Keys = { Directory = _directory.Path, MasterKey = masterKey } }),
            NullLogger<KeyStore>.Instance));

    [Fact]
    public void Protected_text_round_trips_and_does_not_show_the_plaintext()
    {
        var id = Guid.NewGuid();
        var protection = Protection("unit-test");

        var stored = protection.Protect(id, """{"idNr":"12345678901"}""");

        stored.Should().NotContain("12345678901");
        protection.Unprotect(id, stored).Should().Be("""{"idNr":"12345678901"}""");
        protection.Protect(id, "same").Should().NotBe(protection.Protect(id, "same"), "every encryption has its own nonce");
    }

    [Fact]
    public void Protected_text_moved_to_another_row_or_read_with_another_master_key_does_not_decrypt()
    {
        var id = Guid.NewGuid();
        var stored = Protection("unit-test").Protect(id, "Erika Mustermann");

        var otherRow = () => Protection("unit-test").Unprotect(Guid.NewGuid(), stored);
        var otherKey = () => Protection("another-master-key").Unprotect(id, stored);

        otherRow.Should().Throw<System.Security.Cryptography.AuthenticationTagMismatchException>();
        otherKey.Should().Throw<System.Security.Cryptography.AuthenticationTagMismatchException>();
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
