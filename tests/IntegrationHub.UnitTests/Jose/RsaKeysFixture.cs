using System.Security.Cryptography;

namespace IntegrationHub.UnitTests.Jose;

/// <summary>
/// RSA-4096 keys for JOSE tests. Generation takes seconds, so the keys are created once per test run
/// (shared by every class that uses this fixture) and never disposed before the process ends.
/// </summary>
public sealed class RsaKeysFixture
{
    private static readonly Lazy<RSA> SharedRecipient = new(() => RSA.Create(4096));
    private static readonly Lazy<RSA> SharedOther = new(() => RSA.Create(4096));

    /// <summary>The hub's decryption key (private) for a destination.</summary>
    public RSA Recipient => SharedRecipient.Value;

    /// <summary>Another key of the same size, for "wrong key" tests.</summary>
    public RSA Other => SharedOther.Value;

    /// <summary>Only the public half of <see cref="Recipient"/>, as a sender would have it.</summary>
    public RSA RecipientPublicOnly()
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(Recipient.ExportParameters(false));
        return rsa;
    }
}
