using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Tenancy;
using IntegrationHub.UnitTests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.Tenancy;

/// <summary>The master key must carry at least 256 bits: the key store refuses to start with a short or patterned one.</summary>
public sealed class MasterKeyStrengthTests : IDisposable
{
    private readonly TempDirectory _directory = new("master-key");

    public void Dispose() => _directory.Dispose();

    public static TheoryData<string, string> Weak() => new()
    {
        { "end-to-end-test-master-key", "not base64 or hex" },
        { "unit-test", "not base64 or hex" },
        { "correct horse battery staple, a long pass phrase of many words", "not base64 or hex" },
        { Convert.ToBase64String(Bytes(16)), "decodes to 16 bytes" },
        { Convert.ToHexString(Bytes(24)), "decodes to 24 bytes" },
        { Convert.ToBase64String(new byte[32]), "repeats a block" },
        { Convert.ToBase64String(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("geheim", 8)))), "repeats a block" },
        { Convert.ToBase64String(Bytes(40).Select(b => (byte)(b % 10)).ToArray()), "fewer than 16 distinct" },
        { Convert.ToHexString(Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray()), "simple sequence" },
    };

    // Fixed bytes that look random (a theory's data must be the same at discovery and at run).
    private static byte[] Bytes(int count) => SHA512.HashData(Encoding.ASCII.GetBytes("master-key-strength"))[..count];

    [Theory]
    [MemberData(nameof(Weak))]
    public void The_key_store_refuses_to_start_with_a_weak_master_key_and_says_why(string masterKey, string why)
    {
        var start = () => new KeyStore(Options.Create(new HubOptions { Keys = { Directory = _directory.Path, MasterKey = masterKey } }), NullLogger<KeyStore>.Instance);

        var refusal = start.Should().Throw<InvalidOperationException>().Which.Message;
        refusal.Should().Contain("Hub:Keys:MasterKey").And.Contain(why).And.Contain("openssl rand -base64 32");
        refusal.Should().NotContain(masterKey, "the message never quotes the key");
    }

    [Fact]
    public void Random_keys_of_32_bytes_or_more_are_accepted_in_base64_base64url_and_hex()
    {
        for (var i = 0; i < 200; i++)
        {
            var bytes = RandomNumberGenerator.GetBytes(32 + i % 3 * 16);
            MasterKeyStrength.Weakness(Convert.ToBase64String(bytes)).Should().BeNull();
            MasterKeyStrength.Weakness(System.Buffers.Text.Base64Url.EncodeToString(bytes)).Should().BeNull();
            MasterKeyStrength.Weakness(Convert.ToHexStringLower(bytes)).Should().BeNull();
        }
        MasterKeyStrength.Weakness(TestMasterKeys.Default).Should().BeNull();
    }

    [Fact]
    public void The_embedded_default_generates_an_acceptable_local_master_key()
    {
        new KeyStore(Options.Create(new HubOptions { Keys = { Directory = _directory.Path } }), NullLogger<KeyStore>.Instance);

        MasterKeyStrength.Weakness(File.ReadAllText(Path.Combine(_directory.Path, "master.key"))).Should().BeNull();
    }
}
