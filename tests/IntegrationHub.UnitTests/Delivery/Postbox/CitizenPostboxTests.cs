using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Adapters.Postbox;
using IntegrationHub.Delivery;
using IntegrationHub.Jose;
using IntegrationHub.Simulators.Postbox;

namespace IntegrationHub.UnitTests.Delivery.Postbox;

public sealed class CitizenPostboxTests
{
    private static readonly BundIdIdentityProvider Idp = BundIdIdentityProvider.Shared;
    private static readonly IdentityProviderTrust Trusted = IdentityProviderTrust.FromPem(Idp.PublicKeyPem, Idp.Issuer);

    private static JsonObject Metadata(params string[] reports) => new()
    {
        ["authenticationInformation"] = new JsonArray(reports.Select(r => (JsonNode)new JsonObject
        {
            ["type"] = "identificationReport",
            ["version"] = "1.0.0",
            ["content"] = r,
        }).ToArray()),
    };

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public void A_verified_report_gives_the_level_the_citizen_logged_in_with(int level) =>
        CitizenPostbox.TrustLevelOf(Metadata(Idp.IssueReport(level, "r1", DateTimeOffset.UtcNow)), Trusted).Should().Be(level);

    [Fact]
    public void Without_an_identification_report_the_level_is_the_lowest() =>
        CitizenPostbox.TrustLevelOf(new JsonObject(), Trusted).Should().Be(1);

    [Fact]
    public void An_unreadable_report_counts_as_the_lowest_level() =>
        CitizenPostbox.TrustLevelOf(Metadata("fake-eid-report:123:stork-qaa-level-4"), Trusted).Should().Be(1);

    [Fact]
    public void A_report_signed_by_another_key_counts_as_the_lowest_level_not_its_claim() =>
        CitizenPostbox.TrustLevelOf(Metadata(Idp.IssueForgedReport(4, "r1", DateTimeOffset.UtcNow)), Trusted).Should().Be(1);

    [Fact]
    public void Without_a_configured_identity_provider_no_report_is_believed() =>
        CitizenPostbox.TrustLevelOf(Metadata(Idp.IssueReport(4, "r1", DateTimeOffset.UtcNow)), IdentityProviderTrust.None).Should().Be(1);

    [Fact]
    public void A_report_from_another_issuer_counts_as_the_lowest_level()
    {
        var otherIssuer = IdentityProviderTrust.FromPem(Idp.PublicKeyPem, "https://id.example/other");
        CitizenPostbox.TrustLevelOf(Metadata(Idp.IssueReport(4, "r1", DateTimeOffset.UtcNow)), otherIssuer).Should().Be(1);
    }

    [Fact]
    public void An_unsigned_report_with_alg_none_counts_as_the_lowest_level()
    {
        var header = Base64UrlStrict.Encode(Encoding.UTF8.GetBytes("{\"alg\":\"none\"}"));
        var claims = Base64UrlStrict.Encode(Encoding.UTF8.GetBytes($"{{\"iss\":\"{Idp.Issuer}\",\"storkQaaLevel\":\"STORK-QAA-Level-4\"}}"));
        CitizenPostbox.TrustLevelOf(Metadata($"{header}.{claims}."), Trusted).Should().Be(1);
    }

    [Fact]
    public void A_changed_level_in_a_signed_report_breaks_its_signature()
    {
        var parts = Idp.IssueReport(1, "r1", DateTimeOffset.UtcNow).Split('.');
        Base64UrlStrict.TryDecode(parts[1], out var claimBytes).Should().BeTrue();
        var raised = Encoding.UTF8.GetString(claimBytes).Replace("STORK-QAA-Level-1", "STORK-QAA-Level-4");
        var tampered = $"{parts[0]}.{Base64UrlStrict.Encode(Encoding.UTF8.GetBytes(raised))}.{parts[2]}";

        CitizenPostbox.TrustLevelOf(Metadata(tampered), Trusted).Should().Be(1);
    }

    [Fact]
    public void Of_several_reports_the_lowest_verified_level_counts() =>
        CitizenPostbox.TrustLevelOf(Metadata(Idp.IssueReport(4, "a", DateTimeOffset.UtcNow), Idp.IssueReport(3, "b", DateTimeOffset.UtcNow)), Trusted)
            .Should().Be(3);

    [Theory]
    [InlineData("STORK-QAA-Level-1", 1)]
    [InlineData("STORK-QAA-Level-4", 4)]
    [InlineData("STORK-QAA-Level-5", 0)]
    [InlineData("STORK-QAA-Level-0", 0)]
    [InlineData("stork-qaa-level-3", 0)]
    [InlineData("STORK-QAA-Level-33", 0)]
    [InlineData("", 0)]
    [InlineData(null, 0)]
    public void Only_the_four_STORK_QAA_level_names_parse(string? name, int expected)
    {
        StorkQaaLevel.TryParse(name, out var level).Should().Be(expected != 0);
        level.Should().Be(expected);
    }

    [Fact]
    public void The_postbox_comes_from_the_idBundDeMailbox_reply_channel()
    {
        var mailbox = Guid.NewGuid();
        var metadata = new JsonObject { ["replyChannel"] = new JsonObject { ["idBundDeMailbox"] = new JsonObject { ["mailboxUuid"] = mailbox.ToString() } } };

        CitizenPostbox.MailboxOf(metadata).Should().Be(mailbox);
    }

    [Fact]
    public void An_e_mail_reply_channel_means_no_postbox()
    {
        var metadata = new JsonObject { ["replyChannel"] = new JsonObject { ["eMail"] = new JsonObject { ["address"] = "a@example.org" } } };

        CitizenPostbox.MailboxOf(metadata).Should().BeNull();
        CitizenPostbox.MailboxOf(new JsonObject()).Should().BeNull();
    }

    [Fact]
    public void A_postbox_that_is_not_a_UUID_is_refused_for_good()
    {
        var metadata = new JsonObject { ["replyChannel"] = new JsonObject { ["idBundDeMailbox"] = new JsonObject { ["mailboxUuid"] = "postfach-4711" } } };

        var act = () => CitizenPostbox.MailboxOf(metadata);

        act.Should().Throw<PermanentDeliveryException>().WithMessage("*mailboxUuid*");
    }

    [Fact]
    public void A_configured_key_that_is_not_PEM_is_a_configuration_error()
    {
        var act = () => IdentityProviderTrust.FromPem("not a key", null);

        act.Should().Throw<InvalidOperationException>().WithMessage("*IdentityProviderKey*");
    }
}
