using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Intake;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.Intake;

/// <summary>Registered online services: a secret is checked against its SHA-256, never stored.</summary>
public sealed class SenderClientsTests
{
    private static readonly Guid Destination = Guid.Parse("0b5c7e0e-1f7a-4d3c-9a55-6c2f1e8d9a01");

    private static string Sha256Hex(string secret, bool upper = false)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        return upper ? hex.ToUpperInvariant() : hex;
    }

    private static SenderClients Clients(bool upperHex = false) => new(Options.Create(new HubOptions
    {
        Senders =
        [
            new SenderClientOptions { ClientId = "efa-wohngeld", SecretSha256 = Sha256Hex("geheim-1", upperHex), Destinations = [Destination] },
            new SenderClientOptions { ClientId = "efa-sozialhilfe", SecretSha256 = Sha256Hex("geheim-2", upperHex), Destinations = [] },
        ],
    }));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Right_secret_authenticates(bool upperHex)
    {
        var client = Clients(upperHex).Authenticate("efa-wohngeld", "geheim-1");

        client.Should().NotBeNull();
        client!.ClientId.Should().Be("efa-wohngeld");
        client.Destinations.Should().BeEquivalentTo([Destination]);
    }

    [Theory]
    [InlineData("efa-wohngeld", "geheim-2")]
    [InlineData("efa-wohngeld", "Geheim-1")]
    [InlineData("efa-wohngeld", "geheim-1 ")]
    [InlineData("efa-wohngeld", "")]
    [InlineData("EFA-WOHNGELD", "geheim-1")]
    [InlineData("unbekannt", "geheim-1")]
    [InlineData("", "")]
    public void Wrong_secret_or_unknown_client_gives_null(string clientId, string secret)
    {
        Clients().Authenticate(clientId, secret).Should().BeNull();
    }

    [Fact]
    public void Client_registered_at_run_time_authenticates()
    {
        var clients = Clients();
        var other = Guid.NewGuid();

        clients.Register("demo", "laufzeit-geheimnis", [other]);

        clients.Authenticate("demo", "laufzeit-geheimnis")!.Destinations.Should().BeEquivalentTo([other]);
        clients.Authenticate("demo", "falsch").Should().BeNull();
        clients.Find("demo")!.SecretSha256.Should().Equal(SenderClients.Hash("laufzeit-geheimnis"));
    }

    [Fact]
    public void Registering_again_replaces_the_secret()
    {
        var clients = Clients();

        clients.Register("efa-wohngeld", "neu", [Destination]);

        clients.Authenticate("efa-wohngeld", "geheim-1").Should().BeNull();
        clients.Authenticate("efa-wohngeld", "neu").Should().NotBeNull();
    }

    [Fact]
    public void Find_returns_known_clients_only()
    {
        var clients = Clients();

        clients.Find("efa-sozialhilfe")!.Destinations.Should().BeEmpty();
        clients.Find("unbekannt").Should().BeNull();
    }

    [Fact]
    public void Hash_is_SHA256_of_the_UTF8_secret()
    {
        SenderClients.Hash("geheim-ä").Should().Equal(SHA256.HashData(Encoding.UTF8.GetBytes("geheim-ä")));
    }
}
