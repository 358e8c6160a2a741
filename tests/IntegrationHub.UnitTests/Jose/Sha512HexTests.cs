using System.Text;
using IntegrationHub.Jose;
using IntegrationHub.Simulators.Crypto;

namespace IntegrationHub.UnitTests.Jose;

public sealed class Sha512HexTests
{
    // FIPS 180-2, SHA-512 of "abc".
    private const string AbcHex =
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

    [Fact]
    public void Compute_matches_the_known_vector_in_lowercase()
    {
        Sha512Hex.Compute("abc"u8).Should().Be(AbcHex);
        Sha512.Hex("abc"u8).Should().Be(AbcHex);
    }

    [Fact]
    public async Task ComputeAsync_matches_Compute()
    {
        var data = Encoding.UTF8.GetBytes(new string('x', 100_000));
        await using var stream = new MemoryStream(data);

        (await Sha512Hex.ComputeAsync(stream, CancellationToken.None)).Should().Be(Sha512Hex.Compute(data));
    }

    [Fact]
    public void FixedTimeEqualsHex_ignores_case_and_rejects_any_difference()
    {
        Sha512Hex.FixedTimeEqualsHex(AbcHex, AbcHex.ToUpperInvariant()).Should().BeTrue();
        Sha512Hex.FixedTimeEqualsHex(AbcHex, AbcHex).Should().BeTrue();
        Sha512Hex.FixedTimeEqualsHex(AbcHex, AbcHex[..^1] + "e").Should().BeFalse();
        Sha512Hex.FixedTimeEqualsHex(AbcHex, AbcHex[..^1]).Should().BeFalse();
        Sha512Hex.FixedTimeEqualsHex(AbcHex, string.Empty).Should().BeFalse();
        Sha512Hex.FixedTimeEqualsHex(string.Empty, string.Empty).Should().BeFalse();
        Sha512Hex.FixedTimeEqualsHex("0g", "0G").Should().BeFalse("non-hex never matches");
        Sha512Hex.FixedTimeEqualsHex("@@", "``").Should().BeFalse("case folding must not make non-hex characters equal");
    }
}
