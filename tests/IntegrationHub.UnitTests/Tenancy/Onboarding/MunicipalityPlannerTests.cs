using IntegrationHub.Tenancy.Onboarding;
using IntegrationHub.Tenancy.Onboarding.Workflow;

namespace IntegrationHub.UnitTests.Tenancy.Onboarding;

/// <summary>The plan compares files by stable identities (LeiKa key, target name, …), never by list position.</summary>
public sealed class MunicipalityPlannerTests
{
    private const string Base = """
        name: Stadt Dreieich
        ars: "064380003003"
        ags: "06438003"
        services:
          - leikaKey: "99107004017000"
            name: Wohngeld
            schemaUri: urn:integrationhub:xoev:wohngeld:1.0
            destination: 3b6f2a1e-8c4d-4e7a-9f10-2d5c6b7a8e91
            targets: [marius]
          - leikaKey: "99079005000000"
            name: Sozialhilfe
            schemaUri: urn:integrationhub:xoev:sozialhilfe:1.0
            destination: 9d4e5f6a-1b2c-4d3e-8f70-a1b2c3d4e5f6
            targets: [prosoz]
        targets:
          prosoz:
            kind: Prosoz
            endpoint: https://prosoz-a.example/api/
        aktenplan:
          - leikaKey: "99107004017000"
            documentType: Bescheid
            key: "50.22.02"
            akteTitle: Wohngeld – Bescheide
        """;

    private static MunicipalityFile Read(string yaml) => MunicipalityFileReader.Parse(yaml).File!;

    [Fact]
    public void A_new_municipality_is_all_additions_with_each_service_as_one_item()
    {
        var changes = MunicipalityPlanner.Compare(null, Read(Base));

        changes.Should().OnlyContain(c => c.Op == PlanChange.Add);
        changes.Select(c => c.ToString()).Should().Contain(
            ["+ name: Stadt Dreieich", "+ services[99107004017000] Wohngeld → [marius] (destination 3b6f2a1e-8c4d-4e7a-9f10-2d5c6b7a8e91)",
             "+ services[99079005000000] Sozialhilfe → [prosoz] (destination 9d4e5f6a-1b2c-4d3e-8f70-a1b2c3d4e5f6)",
             "+ targets.prosoz Prosoz https://prosoz-a.example/api/", "+ aktenplan[99107004017000/Bescheid] 50.22.02 Wohngeld – Bescheide"]);
    }

    [Fact]
    public void The_same_file_has_no_changes_even_with_its_services_in_another_order()
    {
        // Put Wohngeld after Sozialhilfe: build the reordered file explicitly.
        var swapped = Base.Replace("  - leikaKey: \"99107004017000\"\n    name: Wohngeld\n    schemaUri: urn:integrationhub:xoev:wohngeld:1.0\n    destination: 3b6f2a1e-8c4d-4e7a-9f10-2d5c6b7a8e91\n    targets: [marius]\n", "")
            .Replace("    targets: [prosoz]\n", "    targets: [prosoz]\n  - leikaKey: \"99107004017000\"\n    name: Wohngeld\n    schemaUri: urn:integrationhub:xoev:wohngeld:1.0\n    destination: 3b6f2a1e-8c4d-4e7a-9f10-2d5c6b7a8e91\n    targets: [marius]\n");
        Read(swapped).Services.Select(s => s.LeikaKey).Should().Equal("99079005000000", "99107004017000");

        MunicipalityPlanner.Compare(Read(Base), Read(Base)).Should().BeEmpty();
        MunicipalityPlanner.Compare(Read(Base), Read(swapped)).Should().BeEmpty();
    }

    [Fact]
    public void Changed_values_are_reported_by_identity_and_path_with_old_and_new()
    {
        var changed = Base.Replace("https://prosoz-a.example/api/", "https://prosoz-b.example/api/")
            .Replace("destination: 9d4e5f6a-1b2c-4d3e-8f70-a1b2c3d4e5f6", "destination: 11111111-2222-4333-8444-555555555555")
            .Replace("key: \"50.22.02\"", "key: \"50.22.09\"");

        var changes = MunicipalityPlanner.Compare(Read(Base), Read(changed)).Select(c => c.ToString()).ToList();

        changes.Should().BeEquivalentTo(
            "~ targets.prosoz.endpoint: https://prosoz-a.example/api/ → https://prosoz-b.example/api/",
            "~ services[99079005000000].destination: 9d4e5f6a-1b2c-4d3e-8f70-a1b2c3d4e5f6 → 11111111-2222-4333-8444-555555555555",
            "~ aktenplan[99107004017000/Bescheid].key: 50.22.02 → 50.22.09");
    }

    [Fact]
    public void A_removed_service_is_one_removal_not_a_shift_of_the_services_after_it()
    {
        // Removing the first service moves the second to index 0: by index that would look like a changed service.
        var withoutWohngeld = Base.Replace("  - leikaKey: \"99107004017000\"\n    name: Wohngeld\n    schemaUri: urn:integrationhub:xoev:wohngeld:1.0\n    destination: 3b6f2a1e-8c4d-4e7a-9f10-2d5c6b7a8e91\n    targets: [marius]\n", "");
        Read(withoutWohngeld).Services.Should().ContainSingle();

        var changes = MunicipalityPlanner.Compare(Read(Base), Read(withoutWohngeld));

        changes.Should().ContainSingle().Which.Should().Be(new PlanChange(PlanChange.Remove, "services[99107004017000]",
            "Wohngeld → [marius] (destination 3b6f2a1e-8c4d-4e7a-9f10-2d5c6b7a8e91)", null, Item: true));
        changes[0].ToString().Should().StartWith("- services[99107004017000] Wohngeld");
    }

    [Fact]
    public void An_added_target_and_a_removed_scalar_are_reported()
    {
        var changed = Base.Replace("targets:\n  prosoz:", "targets:\n  dms:\n    kind: Dms\n    endpoint: https://dms.example/\n  prosoz:")
            .Replace("ags: \"06438003\"\n", "ags: \"06438003\"\ndistrict: Kreis Offenbach\n");

        MunicipalityPlanner.Compare(Read(Base), Read(changed)).Select(c => c.ToString()).Should().BeEquivalentTo(
            "+ targets.dms Dms https://dms.example/", "+ district: Kreis Offenbach");
        MunicipalityPlanner.Compare(Read(changed), Read(Base)).Select(c => c.ToString()).Should().BeEquivalentTo(
            "- targets.dms Dms https://dms.example/", "- district: Kreis Offenbach");
    }

    [Fact]
    public void The_summary_counts_additions_changes_removals_and_keys()
    {
        var changes = new[]
        {
            new PlanChange(PlanChange.Add, "a", null, "1"), new PlanChange(PlanChange.Change, "b", "1", "2"), new PlanChange(PlanChange.Remove, "c", "1", null),
        };
        MunicipalityPlanner.Summary(MunicipalityPlanner.Changed, changes, 1).Should().Be("changes: 1 to add, 1 to change, 1 to remove; 1 key to generate");
        MunicipalityPlanner.Summary(MunicipalityPlanner.Unchanged, [], 0).Should().Be("no changes");
    }
}
