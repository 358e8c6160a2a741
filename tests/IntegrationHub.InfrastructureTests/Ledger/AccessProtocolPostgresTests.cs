using System.Text;
using IntegrationHub.EndToEndTests;
using IntegrationHub.Ledger;
using IntegrationHub.OnceOnly;
using IntegrationHub.OnceOnly.Protocol;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.InfrastructureTests.Ledger;

/// <summary>The access protocol on PostgreSQL: appends of several hub processes queue on the advisory lock into one chain.</summary>
public sealed class AccessProtocolPostgresTests
{
    private static ServiceProvider Hub(string cs) => new ServiceCollection()
        .AddLogging()
        .AddDbContext<HubDbContext>(o => o.UseNpgsql(cs))
        .AddSingleton(new PersonPseudonyms(Encoding.UTF8.GetBytes("infrastructure-test-key")))
        .AddSingleton<IAccessProtocol, AccessProtocol>()
        .BuildServiceProvider();

    [Fact]
    public async Task Fifty_appends_at_once_from_two_hubs_make_one_gap_free_chain_that_fails_verification_once_altered()
    {
        var cs = await TestServers.CreateDatabaseAsync("protocol_chain");
        await using var one = Hub(cs);
        await using var two = Hub(cs);
        await using (var scope = one.CreateAsyncScope()) await LedgerSchema.MigrateAsync(scope.ServiceProvider.GetRequiredService<HubDbContext>());
        var protocols = new[] { one.GetRequiredService<IAccessProtocol>(), two.GetRequiredService<IAccessProtocol>() };

        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => protocols[i % 2].AppendAsync(new AccessProtocolEntry(
            DateTimeOffset.UtcNow, Guid.NewGuid(), "064130000000", "Sozialamt Offenbach", "prosoz", "p-" + i, EvidenceTypes.Meldedaten,
            "Prüfung der Anschrift", "§ 34 BMG", null, EvidenceOutcomes.Provided, null, "melderegister"), default))));

        await using var verify = one.CreateAsyncScope();
        var db = verify.ServiceProvider.GetRequiredService<HubDbContext>();
        (await db.AccessProtocol.OrderBy(r => r.Sequence).Select(r => r.Sequence).ToListAsync())
            .Should().Equal(Enumerable.Range(1, 50).Select(n => (long)n));
        (await AccessProtocolVerifier.VerifyAsync(db)).Should().BeEquivalentTo(new { Intact = true, Entries = 50L });

        await db.Database.ExecuteSqlRawAsync("""UPDATE "AccessProtocol" SET "LegalBasis" = '§ 35 BMG' WHERE "Sequence" = 17""");
        (await AccessProtocolVerifier.VerifyAsync(db)).Should().BeEquivalentTo(new { Intact = false, BrokenAt = 17L, Break = ChainBreak.HashMismatch });
    }
}
