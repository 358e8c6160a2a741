using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using IntegrationHub.Jose;
using IntegrationHub.Simulators.Crypto;

namespace IntegrationHub.UnitTests.Jose;

public sealed class JsonWebKeysTests(RsaKeysFixture keys) : IClassFixture<RsaKeysFixture>
{
    // RFC 7638 section 3.1 example key and its published thumbprint.
    private const string Rfc7638N =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W" +
        "-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt" +
        "-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    private const string Rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    private static JsonObject Rfc7638Jwk() => new()
    {
        ["kty"] = "RSA",
        ["n"] = Rfc7638N,
        ["e"] = "AQAB",
        ["alg"] = "RS256",
        ["kid"] = "2011-04-29",
    };

    [Fact]
    public void Thumbprint_matches_the_RFC_7638_example()
    {
        using var rsa = JsonWebKeys.FromJwk(Rfc7638Jwk());

        JsonWebKeys.Thumbprint(rsa).Should().Be(Rfc7638Thumbprint);
        JsonWebKeys.Thumbprint(Rfc7638Jwk()).Should().Be(Rfc7638Thumbprint, "optional members (alg, kid) do not count");
    }

    [Fact]
    public void Simulator_thumbprint_matches_the_RFC_7638_example()
    {
        using var rsa = Jwk.ImportPublic(Rfc7638Jwk());

        Jwk.Thumbprint(rsa).Should().Be(Rfc7638Thumbprint);
    }

    [Fact]
    public void Encryption_JWK_has_exactly_the_published_members()
    {
        var jwk = JsonWebKeys.ToPublicEncryptionJwk(keys.Recipient, "dest-enc-1");

        jwk.Select(p => p.Key).Should().BeEquivalentTo("kty", "n", "e", "alg", "use", "key_ops", "kid");
        ((string?)jwk["kty"]).Should().Be("RSA");
        ((string?)jwk["alg"]).Should().Be("RSA-OAEP-256");
        ((string?)jwk["use"]).Should().Be("enc");
        ((string?)jwk["kid"]).Should().Be("dest-enc-1");
        ((string?)jwk["e"]).Should().Be("AQAB");
        jwk["key_ops"]!.AsArray().Select(o => (string?)o).Should().Equal("wrapKey");
        Base64Url.DecodeFromChars((string)jwk["n"]!).Should().HaveCount(512).And.Equal(keys.Recipient.ExportParameters(false).Modulus);
    }

    [Fact]
    public void Signing_JWK_has_exactly_the_published_members()
    {
        var jwk = JsonWebKeys.ToPublicSigningJwk(keys.Other, "hub-sig-1");

        jwk.Select(p => p.Key).Should().BeEquivalentTo("kty", "n", "e", "alg", "use", "key_ops", "kid");
        ((string?)jwk["alg"]).Should().Be("PS512");
        ((string?)jwk["use"]).Should().Be("sig");
        jwk["key_ops"]!.AsArray().Select(o => (string?)o).Should().Equal("verify");
    }

    [Fact]
    public void Exported_JWK_imports_back_to_the_same_public_key()
    {
        var jwk = JsonWebKeys.ToPublicEncryptionJwk(keys.Recipient, "k");

        using var imported = JsonWebKeys.FromJwk(jwk);

        imported.ExportParameters(false).Modulus.Should().Equal(keys.Recipient.ExportParameters(false).Modulus);
        JsonWebKeys.Thumbprint(imported).Should().Be(JsonWebKeys.Thumbprint(keys.Recipient));
    }

    [Fact]
    public void Import_refuses_private_members_other_key_types_and_small_keys()
    {
        var withPrivate = Rfc7638Jwk();
        withPrivate["d"] = "AQAB";
        var ec = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = "AA", ["y"] = "AA" };
        using var small = RSA.Create(1024);
        var smallJwk = JsonWebKeys.ToPublicEncryptionJwk(small, "small");

        ((Action)(() => JsonWebKeys.FromJwk(withPrivate))).Should().Throw<ArgumentException>().WithMessage("*private*");
        ((Action)(() => JsonWebKeys.FromJwk(ec))).Should().Throw<ArgumentException>();
        ((Action)(() => JsonWebKeys.FromJwk(smallJwk))).Should().Throw<ArgumentException>().WithMessage("*2048*");
        ((Action)(() => JsonWebKeys.FromJwk(new JsonObject { ["kty"] = "RSA", ["n"] = "a+b", ["e"] = "AQAB" }))).Should().Throw<ArgumentException>();
    }
}
