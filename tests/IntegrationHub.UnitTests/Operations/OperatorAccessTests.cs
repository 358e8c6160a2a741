using System.Security.Claims;
using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using IntegrationHub.Operations.Edits;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.Operations;

public sealed class OperatorAccessTests
{
    private static OperationsOptions Options(params (string Name, OperatorRole Role, string Key, string[] Ars)[] operators) => new()
    {
        Operators = operators.Select(o => new OperatorKeyOptions { Name = o.Name, Role = o.Role, KeySha256 = OperatorDirectory.HashKey(o.Key), Municipalities = [.. o.Ars] }).ToList(),
    };

    private static OperatorDirectory Directory(OperationsOptions options) => new(new StaticMonitor(options));

    [Fact]
    public void An_api_key_finds_its_operator_with_role_and_municipalities_and_a_wrong_key_finds_nobody()
    {
        var directory = Directory(Options(("ops-a", OperatorRole.Operator, "key-a", ["064110000000"]), ("ops-b", OperatorRole.Admin, "key-b", ["*"])));

        directory.FindByKey("key-a")!.Should().Match<Operator>(o => o.Name == "ops-a" && o.Role == OperatorRole.Operator && o.Id == "apikey:ops-a");
        directory.FindByKey("key-a")!.Municipalities.Should().Equal("064110000000");
        directory.FindByKey("key-b")!.Should().Match<Operator>(o => o.Role == OperatorRole.Admin && o.Municipalities == null);
        directory.FindByKey("key-c").Should().BeNull();
        directory.FindByKey("KEY-A").Should().BeNull("keys are compared exactly");
    }

    [Fact]
    public void Roles_grant_acting_seeing_exception_messages_and_social_data_in_that_order()
    {
        var reader = new Operator("r", OperatorRole.Reader);
        var worker = new Operator("o", OperatorRole.Operator);
        var admin = new Operator("a", OperatorRole.Admin, ["064130000000"]);

        (reader.MayAct, reader.SeesExceptionMessages, reader.SeesSocialData).Should().Be((false, false, false));
        (worker.MayAct, worker.SeesExceptionMessages, worker.SeesSocialData).Should().Be((true, true, false));
        (admin.MayAct, admin.SeesExceptionMessages, admin.SeesSocialData).Should().Be((true, true, true));
        admin.Covers("064130000000").Should().BeTrue();
        admin.Covers("064110000000").Should().BeFalse();
        admin.Covers(null).Should().BeFalse("a message about no municipality is for unscoped operators");
        reader.Covers(null).Should().BeTrue();
    }

    [Fact]
    public void Masking_keeps_the_structure_and_hides_every_value()
    {
        var masked = SocialDataMask.MaskXml("""<antrag xmlns="urn:x" art="WG"><name>Erika Mustermann</name><idnr>12345678901</idnr></antrag>""");

        masked.Should().Contain("<name>•••</name>").And.Contain("<idnr>•••</idnr>").And.Contain("art=\"•••\"").And.Contain("xmlns=\"urn:x\"");
        masked.Should().NotContain("Mustermann").And.NotContain("12345678901");
        SocialDataMask.MaskXml("<not xml").Should().Be(SocialDataMask.Hidden);
        SocialDataMask.MaskText("IBAN DE02120300000000202051 refused").Should().Be(SocialDataMask.Hidden);
    }

    [Fact]
    public void Municipalities_grant_all_only_with_the_explicit_star_and_none_without_a_value()
    {
        var directory = Directory(Options(("ops-none", OperatorRole.Admin, "key-none", []), ("ops-star", OperatorRole.Admin, "key-star", ["*"])));

        directory.FindByKey("key-none")!.Municipalities.Should().NotBeNull().And.BeEmpty("no municipality listed is none, not all");
        directory.FindByKey("key-none")!.Covers("064110000000").Should().BeFalse();
        directory.FindByKey("key-star")!.Municipalities.Should().BeNull();
        Operator.Scope(["064110000000", "*"]).Should().BeNull();
        Operator.Scope([" ", ""]).Should().BeEmpty();
    }

    [Fact]
    public void An_api_key_operator_without_municipalities_is_refused_at_start_up_naming_the_operator()
    {
        var result = new OperatorScopeValidation().Validate(null, Options(("ops-none", OperatorRole.Admin, "key-none", []), ("ops-star", OperatorRole.Admin, "key-star", ["*"])));

        result.Failed.Should().BeTrue();
        result.FailureMessage.Should().Contain("ops-none").And.Contain("\"*\"").And.NotContain("ops-star");
        new OperatorScopeValidation().Validate(null, Options(("ops-star", OperatorRole.Admin, "key-star", ["*"]))).Succeeded.Should().BeTrue();
    }

    [Fact]
    public void An_oidc_principal_without_the_municipality_claim_has_no_municipality_and_star_grants_all()
    {
        var oidc = new OidcOptions();
        static ClaimsPrincipal Token(params (string Type, string Value)[] claims) =>
            new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "jwt"));

        var none = OperatorDirectory.FromOidc(Token(("sub", "u-1"), ("preferred_username", "m.mueller"), ("roles", "admin")), oidc).Operator()!;
        var all = OperatorDirectory.FromOidc(Token(("sub", "u-2"), ("preferred_username", "a.admin"), ("roles", "admin"), ("ars", "*")), oidc).Operator()!;
        var noSubject = OperatorDirectory.FromOidc(Token(("preferred_username", "x"), ("roles", "admin")), oidc);

        none.Municipalities.Should().NotBeNull().And.BeEmpty();
        none.Id.Should().Be("oidc:u-1");
        all.Municipalities.Should().BeNull();
        noSubject.Operator().Should().BeNull("without a subject a person cannot be told apart from another");
    }

    [Fact]
    public void Four_eyes_compares_the_stable_identity_not_the_display_name()
    {
        var proposer = new Operator("m.mueller", OperatorRole.Admin, null, "oidc:u-1");
        var renamed = proposer with { Name = "m.mueller-schmidt" };
        var namesake = new Operator("m.mueller", OperatorRole.Admin, null, "apikey:m.mueller");

        MessageEdits.IsProposer(renamed, proposer.Name, proposer.Id).Should().BeTrue("the same person under a new display name is still the proposer");
        MessageEdits.IsProposer(namesake, proposer.Name, proposer.Id).Should().BeFalse("another person who shares the display name is a second pair of eyes");
        MessageEdits.IsProposer(namesake, proposer.Name, null).Should().BeTrue("an edit from before identities were kept falls back to the name");
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080", true)]
    [InlineData("http://+:8080", true)]
    [InlineData("http://10.1.2.3:8080", true)]
    [InlineData("http://127.0.0.1:5080", false)]
    [InlineData("http://localhost:5080", false)]
    public void The_documented_local_keys_refuse_start_up_when_the_hub_listens_beyond_loopback(string url, bool refused)
    {
        var start = () => LocalOperatorKeys.RefuseIfExposed(Options(("ops-admin", OperatorRole.Admin, "admin-local-only", ["*"])), [url]);
        if (refused) start.Should().Throw<InvalidOperationException>().WithMessage("*local operator keys*ops-admin*" + url.Split(':')[0] + "*");
        else start.Should().NotThrow();

        var ownKeys = () => LocalOperatorKeys.RefuseIfExposed(Options(("ops-admin", OperatorRole.Admin, "a-real-secret", ["*"])), [url]);
        ownKeys.Should().NotThrow();
    }

    [Theory]
    [InlineData("https://hub.kommune.example", true)]
    [InlineData("http://127.0.0.1:5080", false)]
    public void Console_cookies_are_secure_when_the_public_base_url_is_https(string publicBaseUrl, bool secure)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Hub:PublicBaseUrl"] = publicBaseUrl }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddOptions<HubOptions>().Bind(configuration.GetSection(HubOptions.Section));
        services.AddOperatorAuthentication(configuration);
        services.AddAntiforgery();
        using var provider = services.BuildServiceProvider();

        (provider.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(OperatorAuthentication.CookieScheme).Cookie.SecurePolicy
            == CookieSecurePolicy.Always).Should().Be(secure, "the session cookie");
        (provider.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.Cookie.SecurePolicy == CookieSecurePolicy.Always).Should().Be(secure, "the form token's cookie");
    }

    private sealed class StaticMonitor(OperationsOptions value) : IOptionsMonitor<OperationsOptions>
    {
        public OperationsOptions CurrentValue => value;
        public OperationsOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<OperationsOptions, string?> listener) => null;
    }
}
