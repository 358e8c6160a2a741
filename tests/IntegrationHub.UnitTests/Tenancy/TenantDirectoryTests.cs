using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.Tenancy;

/// <summary>Tenant configuration: start-up checks with specific messages, and the lookups routing relies on.</summary>
public sealed class TenantDirectoryTests
{
    private const string Ars = "064350014014";
    private const string OtherArs = "064120000000";
    private static readonly Guid Destination = Guid.Parse("0b5c7e0e-1f7a-4d3c-9a55-6c2f1e8d9a01");
    private static readonly Guid OtherDestination = Guid.Parse("1c6d8f1f-2a8b-4e4d-8b66-7d3a2f9eab12");

    private static ServiceOptions Wohngeld() => new()
    {
        LeikaKey = DemoServices.WohngeldLeikaKey,
        Name = DemoServices.WohngeldName,
        SchemaUri = DemoServices.WohngeldSchemaUri,
    };

    private static ServiceOptions Sozialhilfe() => new()
    {
        LeikaKey = DemoServices.SozialhilfeLeikaKey,
        Name = DemoServices.SozialhilfeName,
        SchemaUri = DemoServices.SozialhilfeSchemaUri,
    };

    /// <summary>Musterstadt (Wohngeld to Marius, Sozialhilfe to Prosoz and Marius) and Frankfurt (Wohngeld to Marius).</summary>
    private static HubOptions ValidHub() => new()
    {
        Tenants =
        [
            new TenantOptions
            {
                Ars = Ars,
                Name = "Musterstadt",
                Destinations = [new DestinationOptions { Id = Destination, Services = [Wohngeld(), Sozialhilfe()] }],
                Routes =
                [
                    new RouteOptions { LeikaKey = DemoServices.WohngeldLeikaKey, Targets = ["marius"] },
                    new RouteOptions { LeikaKey = DemoServices.SozialhilfeLeikaKey, Targets = ["prosoz", "marius"] },
                ],
            },
            new TenantOptions
            {
                Ars = OtherArs,
                Name = "Frankfurt am Main",
                Destinations = [new DestinationOptions { Id = OtherDestination, Services = [Wohngeld()] }],
                Routes = [new RouteOptions { LeikaKey = DemoServices.WohngeldLeikaKey, Targets = ["MARIUS"] }],
            },
        ],
        Targets =
        {
            ["prosoz"] = new TargetOptions { Kind = "Prosoz", BaseUrl = "http://prosoz.test/" },
            ["marius"] = new TargetOptions { Kind = "Marius", BaseUrl = "http://marius.test/", Timeout = TimeSpan.FromSeconds(5) },
        },
    };

    private static TenantDirectory Directory(HubOptions hub) => new(Options.Create(hub));

    [Fact]
    public void Valid_configuration_has_no_findings()
    {
        TenantDirectory.Validate(ValidHub()).Should().BeEmpty();
        Directory(ValidHub()).Tenants.Select(t => t.Ars).Should().BeEquivalentTo(Ars, OtherArs);
    }

    [Theory]
    [InlineData("06435001401")]
    [InlineData("0643500140140")]
    [InlineData("06435001401X")]
    [InlineData("")]
    [InlineData("０６４３５００１４０１４")] // full-width digits are digits to char.IsDigit, not to an ARS
    public void ARS_without_12_ASCII_digits_is_reported(string ars)
    {
        var hub = ValidHub();
        hub.Tenants[0].Ars = ars;

        TenantDirectory.Validate(hub).Should().Equal($"Tenant 'Musterstadt': ARS '{ars}' must have 12 digits.");
    }

    [Theory]
    [InlineData("9910700401700")]
    [InlineData("991070040170001")]
    [InlineData("99107004017OOO")]
    public void LeiKa_key_without_14_digits_is_reported(string leikaKey)
    {
        var hub = ValidHub();
        hub.Tenants[0].Destinations[0].Services[0].LeikaKey = leikaKey;
        hub.Tenants[0].Routes[0].LeikaKey = leikaKey;

        TenantDirectory.Validate(hub).Should().Equal($"Tenant {Ars}: LeiKa key '{leikaKey}' must have 14 digits.");
    }

    [Fact]
    public void Destination_configured_twice_is_reported()
    {
        var hub = ValidHub();
        hub.Tenants[1].Destinations[0].Id = Destination;

        TenantDirectory.Validate(hub).Should().Equal($"Destination {Destination} is configured twice.");
    }

    [Fact]
    public void Destination_configured_twice_within_one_tenant_is_reported()
    {
        var hub = ValidHub();
        hub.Tenants[0].Destinations.Add(new DestinationOptions { Id = Destination, Services = [Wohngeld()] });

        TenantDirectory.Validate(hub).Should().Equal($"Destination {Destination} is configured twice.");
    }

    [Fact]
    public void Service_without_route_is_reported()
    {
        var hub = ValidHub();
        hub.Tenants[0].Routes.RemoveAt(1);

        TenantDirectory.Validate(hub).Should().Equal($"Tenant {Ars}: service {DemoServices.SozialhilfeLeikaKey} has no route to a target.");
    }

    [Fact]
    public void Route_without_targets_is_reported_as_no_route()
    {
        var hub = ValidHub();
        hub.Tenants[0].Routes[0].Targets.Clear();

        TenantDirectory.Validate(hub).Should().Equal($"Tenant {Ars}: service {DemoServices.WohngeldLeikaKey} has no route to a target.");
    }

    [Fact]
    public void Route_to_an_unknown_target_is_reported()
    {
        var hub = ValidHub();
        hub.Tenants[0].Routes[1].Targets.Add("akte-x");

        TenantDirectory.Validate(hub).Should().Equal(
            $"Tenant {Ars}: route for {DemoServices.SozialhilfeLeikaKey} names unknown target 'akte-x'.");
    }

    [Fact]
    public void Tenant_configured_twice_is_reported()
    {
        var hub = ValidHub();
        hub.Tenants[1].Ars = Ars;

        TenantDirectory.Validate(hub).Should().ContainSingle().Which.Should().Contain(Ars).And.Contain("twice");
        var act = () => Directory(hub);
        act.Should().Throw<InvalidOperationException>().WithMessage($"*{Ars}*");
    }

    [Fact]
    public void Constructor_throws_with_every_finding()
    {
        var hub = ValidHub();
        hub.Tenants[0].Ars = "123";
        hub.Tenants[0].Routes[1].Targets = ["gibt-es-nicht"];
        hub.Tenants[1].Destinations[0].Id = Destination;
        hub.Tenants[1].Routes.Clear();

        var act = () => Directory(hub);

        var message = act.Should().Throw<InvalidOperationException>().Which.Message;
        message.Should().StartWith("The tenant configuration is invalid:\n- ");
        message.Should().Contain("Tenant 'Musterstadt': ARS '123' must have 12 digits.")
            .And.Contain($"Tenant 123: route for {DemoServices.SozialhilfeLeikaKey} names unknown target 'gibt-es-nicht'.")
            .And.Contain($"Destination {Destination} is configured twice.")
            .And.Contain($"Tenant {OtherArs}: service {DemoServices.WohngeldLeikaKey} has no route to a target.");
        message.Split("\n- ").Should().HaveCount(5);
    }

    [Fact]
    public void TargetsFor_returns_the_route_of_the_service()
    {
        var directory = Directory(ValidHub());

        directory.TargetsFor(Ars, DemoServices.WohngeldLeikaKey).Should().Equal("marius");
        directory.TargetsFor(Ars, DemoServices.SozialhilfeLeikaKey).Should().Equal("prosoz", "marius");
        directory.TargetsFor(OtherArs, DemoServices.WohngeldLeikaKey).Should().Equal("MARIUS");
        directory.TargetsFor(OtherArs, DemoServices.SozialhilfeLeikaKey).Should().BeEmpty();
        directory.TargetsFor("099999999999", DemoServices.WohngeldLeikaKey).Should().BeEmpty();
    }

    [Fact]
    public void Target_names_are_case_insensitive()
    {
        var directory = Directory(ValidHub());

        directory.Target("MARIUS").Kind.Should().Be("Marius");
        directory.Target("marius").Timeout.Should().Be(TimeSpan.FromSeconds(5));
        directory.Target("prosoz").Timeout.Should().Be(TimeSpan.FromSeconds(30), "the default timeout");
    }

    [Fact]
    public void Unknown_target_throws()
    {
        var act = () => Directory(ValidHub()).Target("akte-x");

        act.Should().Throw<InvalidOperationException>().WithMessage("Target 'akte-x' is not configured.");
    }

    [Fact]
    public void FindDestination_returns_tenant_and_destination()
    {
        var directory = Directory(ValidHub());

        var entry = directory.FindDestination(OtherDestination);

        entry.Should().NotBeNull();
        entry!.Tenant.Ars.Should().Be(OtherArs);
        entry.Destination.Id.Should().Be(OtherDestination);
        entry.Destination.Services.Select(s => s.Identifier).Should().Equal(DemoServices.LeikaUrn(DemoServices.WohngeldLeikaKey));
        directory.FindDestination(Guid.NewGuid()).Should().BeNull();
    }

    [Fact]
    public void FindTenant_by_ARS()
    {
        var directory = Directory(ValidHub());

        directory.FindTenant(Ars)!.Name.Should().Be("Musterstadt");
        directory.FindTenant("099999999999").Should().BeNull();
    }
}
