using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding;
using IntegrationHub.Tenancy.Onboarding.KeyRotation;

namespace IntegrationHub.UnitTests.Tenancy.Onboarding.KeyRotation;

/// <summary>Which key a destination publishes and accepts at a moment, computed from the ledger rows alone.</summary>
public sealed class DestinationKeyVersionsTests
{
    private static readonly Guid Destination = Guid.Parse("2b1f0c8e-7d4a-4f1e-9c3b-5a6d7e8f9a01");
    private static readonly DateTimeOffset T0 = new(2025, 6, 2, 8, 0, 0, TimeSpan.Zero);

    private static DestinationKeyVersion Row(int version, DateTimeOffset createdAt, TimeSpan overlap, DateTimeOffset? retiredAt = null) => new()
    {
        DestinationId = Destination,
        Version = version,
        Kid = KeyStore.DestinationKid(Destination, version),
        CreatedAt = createdAt,
        CreatedBy = "admin",
        PreviousRetiresAt = createdAt + overlap,
        RetiredAt = retiredAt,
    };

    private static DestinationKeyVersions Versions(params DestinationKeyVersion[] rows) => DestinationKeyVersions.From(Destination, rows);

    [Fact]
    public void Without_rotations_the_first_key_is_current_and_the_only_one_accepted()
    {
        var versions = Versions();

        var current = versions.Current(T0);
        current.Version.Should().Be(1);
        current.Kid.Should().Be($"{Destination:N}-enc-1", "the kid destinations published before key rotation existed");
        versions.Accepted(T0).Should().Equal(current);
        versions.State(current, T0).Should().Be(DestinationKeyState.Current);
    }

    [Fact]
    public void After_a_rotation_the_new_key_is_current_and_the_old_one_accepted_until_the_overlap_ends()
    {
        var versions = Versions(Row(2, T0, TimeSpan.FromDays(14)));
        var (first, second) = (versions.Entries[0], versions.Entries[1]);

        versions.Current(T0).Should().Be(second);
        versions.Accepted(T0.AddDays(13)).Should().Equal(first, second);
        versions.State(first, T0.AddDays(13)).Should().Be(DestinationKeyState.Accepted);
        first.RetiresAt.Should().Be(T0.AddDays(14));

        versions.Accepted(T0.AddDays(14)).Should().Equal(second);
        versions.State(first, T0.AddDays(14)).Should().Be(DestinationKeyState.Retired, "the overlap ends at its instant");
        versions.Current(T0.AddDays(30)).Should().Be(second);
    }

    [Fact]
    public void A_key_retired_explicitly_is_retired_before_its_overlap_ends()
    {
        // Version 2 in its overlap after the rotation to 3, retired by an operator a day later.
        var versions = Versions(Row(2, T0, TimeSpan.FromDays(14), retiredAt: T0.AddDays(2)), Row(3, T0.AddDays(1), TimeSpan.FromDays(14)));

        var second = versions.Find(KeyStore.DestinationKid(Destination, 2))!;
        second.RetiresAt.Should().Be(T0.AddDays(2));
        versions.State(second, T0.AddDays(3)).Should().Be(DestinationKeyState.Retired);
        versions.Accepted(T0.AddDays(3)).Select(e => e.Version).Should().Equal([1, 3], "version 1 is still in the overlap after the rotation to 2");
        second.AcceptedAt(T0.AddDays(1)).Should().BeTrue("a submission made before the retirement was encrypted to an accepted key");
    }

    [Fact]
    public void Two_rotations_in_a_row_keep_each_previous_key_for_its_own_overlap()
    {
        var versions = Versions(Row(2, T0, TimeSpan.FromDays(14)), Row(3, T0.AddDays(1), TimeSpan.FromDays(7)));

        versions.Entries.Select(e => e.RetiresAt).Should().Equal(T0.AddDays(14), T0.AddDays(8), null);
        versions.Accepted(T0.AddDays(2)).Select(e => e.Version).Should().Equal(1, 2, 3);
        versions.Accepted(T0.AddDays(9)).Select(e => e.Version).Should().Equal(1, 3);
        versions.Current(T0.AddDays(2)).Version.Should().Be(3);
    }

    [Fact]
    public void A_rotation_without_overlap_retires_the_previous_key_at_once()
    {
        var versions = Versions(Row(2, T0, TimeSpan.Zero));

        versions.Accepted(T0).Select(e => e.Version).Should().Equal(2);
        versions.State(versions.Entries[0], T0).Should().Be(DestinationKeyState.Retired);
    }

    [Fact]
    public void The_key_current_at_a_moment_is_the_one_published_then()
    {
        var versions = Versions(Row(2, T0, TimeSpan.FromDays(14)));

        versions.CurrentAt(T0.AddMinutes(-1)).Version.Should().Be(1);
        versions.CurrentAt(T0).Version.Should().Be(2);
    }

    [Fact]
    public void Rows_of_other_destinations_do_not_count()
    {
        var other = Row(2, T0, TimeSpan.FromDays(14));
        other.DestinationId = Guid.NewGuid();

        Versions(other).Entries.Should().ContainSingle().Which.Version.Should().Be(1);
    }
}
