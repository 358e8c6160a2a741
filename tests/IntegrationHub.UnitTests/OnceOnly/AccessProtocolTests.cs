using System.Text;
using IntegrationHub.Ledger;
using IntegrationHub.OnceOnly;
using IntegrationHub.OnceOnly.Protocol;
using IntegrationHub.UnitTests.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.UnitTests.OnceOnly;

/// <summary>The hash-chained access protocol on a SQLite ledger file: appends, concurrency, verification and tampering, pseudonyms.</summary>
public sealed class AccessProtocolTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new("protocol");
    private string ConnectionString => $"Data Source={_folder.Combine("ledger.db")};Default Timeout=30";
    private ServiceProvider _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = Hub();
        await using var scope = _hub.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        await LedgerSchema.MigrateAsync(db);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    // One hub process: its own service provider, ledger connections and protocol, on the shared ledger file.
    private ServiceProvider Hub(string key = "unit-test-protocol-key") => new ServiceCollection()
        .AddLogging()
        .AddDbContext<HubDbContext>(o => o.UseSqlite(ConnectionString))
        .AddSingleton(new PersonPseudonyms(Encoding.UTF8.GetBytes(key)))
        .AddSingleton<IAccessProtocol, AccessProtocol>()
        .BuildServiceProvider();

    private IAccessProtocol Protocol => _hub.GetRequiredService<IAccessProtocol>();

    private static AccessProtocolEntry Entry(int n, string outcome = EvidenceOutcomes.Provided, string pseudonym = "p-person") => new(
        new DateTimeOffset(2025, 3, 1, 9, 30, 0, TimeSpan.FromHours(1)).AddMinutes(n).AddTicks(12_345),
        Guid.NewGuid(), "064130000000", "Sozialamt Offenbach", "prosoz", pseudonym, EvidenceTypes.Leistungsbezug,
        "Prüfung Hilfe zum Lebensunterhalt", n % 2 == 0 ? "§ 118 SGB XII" : null, n % 2 == 0 ? null : $"consent-{n}",
        outcome, outcome == EvidenceOutcomes.Refused ? "NO_CONSENT" : null, outcome == EvidenceOutcomes.Provided ? "sozialamt-darmstadt" : null);

    private async Task AppendAsync(int count)
    {
        for (var n = 1; n <= count; n++) await Protocol.AppendAsync(Entry(n, n == 3 ? EvidenceOutcomes.Refused : EvidenceOutcomes.Provided), default);
    }

    private async Task<T> InLedgerAsync<T>(Func<HubDbContext, Task<T>> query)
    {
        await using var scope = _hub.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<HubDbContext>());
    }

    private Task<List<AccessProtocolRecord>> RowsAsync() =>
        InLedgerAsync(db => db.AccessProtocol.AsNoTracking().OrderBy(r => r.Sequence).ToListAsync());

    private Task<ChainVerification> VerifyAsync() => InLedgerAsync(db => AccessProtocolVerifier.VerifyAsync(db));

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Appends_chain_each_entry_to_the_previous_and_keep_every_field()
    {
        var first = Entry(1);
        await Protocol.AppendAsync(first, default);
        await Protocol.AppendAsync(Entry(2), default);
        await Protocol.AppendAsync(Entry(3, EvidenceOutcomes.Refused), default);

        var rows = await RowsAsync();
        rows.Select(r => r.Sequence).Should().Equal(1, 2, 3);
        rows[0].PreviousHash.Should().Be(AccessProtocolChain.Genesis);
        rows[1].PreviousHash.Should().Be(rows[0].Hash);
        rows[2].PreviousHash.Should().Be(rows[1].Hash);
        rows.Should().OnlyContain(r => r.Hash == AccessProtocolChain.HashOf(r) && r.Hash.Length == 64);
        rows.Select(r => r.Hash).Should().OnlyHaveUniqueItems();
        // Stored in UTC to the millisecond: what is hashed is what the ledger gives back.
        rows[0].ToEntry().Should().Be(first with { At = AccessProtocolChain.Normalize(first.At) });
        rows[0].At.Offset.Should().Be(TimeSpan.Zero);
        rows[0].At.Should().Be(new DateTimeOffset(2025, 3, 1, 8, 31, 0, 1, TimeSpan.Zero));
        rows[2].ReasonCode.Should().Be("NO_CONSENT");

        var verification = await VerifyAsync();
        verification.Should().Be(ChainVerification.Ok(3, rows[2].Hash));
    }

    [Fact]
    public async Task An_empty_protocol_is_intact()
    {
        (await VerifyAsync()).Should().Be(ChainVerification.Ok(0, null));
    }

    [Fact]
    public async Task Fifty_appends_at_once_from_two_hub_processes_make_one_gap_free_valid_chain()
    {
        await using var otherHub = Hub();
        var protocols = new[] { Protocol, otherHub.GetRequiredService<IAccessProtocol>() };
        var entries = Enumerable.Range(1, 50).Select(n => Entry(n)).ToList();

        await Task.WhenAll(entries.Select((entry, i) => Task.Run(() => protocols[i % 2].AppendAsync(entry, default))));

        var rows = await RowsAsync();
        rows.Select(r => r.Sequence).Should().Equal(Enumerable.Range(1, 50).Select(n => (long)n));
        rows.Select(r => r.RequestId).Should().BeEquivalentTo(entries.Select(e => e.RequestId));
        (await VerifyAsync()).Should().Be(ChainVerification.Ok(50, rows[^1].Hash));
    }

    [Fact]
    public async Task Verification_fails_at_the_row_whose_field_was_altered_in_the_database()
    {
        await AppendAsync(5);
        (await VerifyAsync()).Intact.Should().BeTrue();

        await ExecuteAsync("""UPDATE "AccessProtocol" SET "Outcome" = 'PROVIDED', "ReasonCode" = NULL WHERE "Sequence" = 3""");

        var verification = await VerifyAsync();
        verification.Intact.Should().BeFalse();
        verification.BrokenAt.Should().Be(3);
        verification.Break.Should().Be(ChainBreak.HashMismatch);
        verification.Entries.Should().Be(2, "the entries before the altered one still verify");
    }

    [Fact]
    public async Task Rehashing_an_altered_row_breaks_the_link_of_the_next_one()
    {
        await AppendAsync(5);
        var row = (await RowsAsync())[2];
        row.Purpose = "Statistik";
        var forgedHash = AccessProtocolChain.HashOf(row);
        await ExecuteAsync($"""UPDATE "AccessProtocol" SET "Purpose" = 'Statistik', "Hash" = '{forgedHash}' WHERE "Sequence" = 3""");

        var verification = await VerifyAsync();
        verification.BrokenAt.Should().Be(4);
        verification.Break.Should().Be(ChainBreak.BrokenLink);
    }

    [Fact]
    public async Task Verification_fails_at_a_deleted_row()
    {
        await AppendAsync(5);

        await ExecuteAsync("""DELETE FROM "AccessProtocol" WHERE "Sequence" = 3""");

        var verification = await VerifyAsync();
        verification.BrokenAt.Should().Be(3);
        verification.Break.Should().Be(ChainBreak.Gap);
        verification.Detail.Should().Contain("entry 3 is missing");
    }

    [Fact]
    public async Task Verification_fails_after_a_row_inserted_in_the_middle_even_when_the_forger_hashes_it()
    {
        await AppendAsync(5);
        var rows = await RowsAsync();
        // The forger knows the canonical form: a well-hashed row 3 linked to row 2, the later rows moved up by one.
        var forged = AccessProtocolChain.Link(Entry(99, pseudonym: "p-someone-else"), 3, rows[1].Hash);
        await ExecuteAsync("""UPDATE "AccessProtocol" SET "Sequence" = -("Sequence" + 1) WHERE "Sequence" >= 3""");
        await ExecuteAsync("""UPDATE "AccessProtocol" SET "Sequence" = -"Sequence" WHERE "Sequence" < 0""");
        await InLedgerAsync(async db =>
        {
            db.AccessProtocol.Add(forged);
            return await db.SaveChangesAsync();
        });
        (await RowsAsync()).Select(r => r.Sequence).Should().Equal(1, 2, 3, 4, 5, 6);

        var verification = await VerifyAsync();
        verification.BrokenAt.Should().Be(4);
        verification.Break.Should().Be(ChainBreak.BrokenLink);
    }

    [Fact]
    public async Task The_verify_command_reports_an_intact_protocol_with_exit_code_0_and_a_broken_one_with_1()
    {
        await AppendAsync(3);
        var output = new StringWriter();
        (await _hub.VerifyAccessProtocolAsync(output)).Should().Be(0);
        output.ToString().Should().StartWith("Access protocol intact: 3 entries");

        await ExecuteAsync("""UPDATE "AccessProtocol" SET "RequesterAuthority" = 'Jobcenter' WHERE "Sequence" = 2""");
        output = new StringWriter();
        (await _hub.VerifyAccessProtocolAsync(output)).Should().Be(1);
        output.ToString().Should().Contain("broken at entry 2 (hash mismatch)");
    }

    [Fact]
    public async Task The_verify_command_exits_with_2_when_the_ledger_has_no_protocol()
    {
        await using var unmigrated = new ServiceCollection()
            .AddDbContext<HubDbContext>(o => o.UseSqlite($"Data Source={_folder.Combine("empty.db")}"))
            .BuildServiceProvider();
        var output = new StringWriter();

        (await unmigrated.VerifyAccessProtocolAsync(output)).Should().Be(2);
        output.ToString().Should().Contain("Could not read the access protocol");
    }

    [Fact]
    public void The_canonical_form_tells_null_from_empty_and_shifted_field_boundaries_apart()
    {
        var one = Entry(1);
        var withNull = AccessProtocolChain.Link(one with { LegalBasis = null }, 1, AccessProtocolChain.Genesis);
        var withEmpty = AccessProtocolChain.Link(one with { LegalBasis = "" }, 1, AccessProtocolChain.Genesis);
        withNull.Hash.Should().NotBe(withEmpty.Hash);
        AccessProtocolChain.Link(one with { LegalBasis = null }, 1, AccessProtocolChain.Genesis).Hash.Should().Be(withNull.Hash, "the hash is deterministic");

        var entry = Entry(2);
        var split1 = AccessProtocolChain.Link(entry with { RequesterAuthority = "Sozialamt:", RequesterProcedure = "prosoz" }, 1, AccessProtocolChain.Genesis);
        var split2 = AccessProtocolChain.Link(entry with { RequesterAuthority = "Sozialamt", RequesterProcedure = ":prosoz" }, 1, AccessProtocolChain.Genesis);
        split1.Hash.Should().NotBe(split2.Hash);
        AccessProtocolChain.Canonical(split1).Should().Contain("requesterAuthority:10:Sozialamt:\n").And.Contain("legalBasis:14:§ 118 SGB XII\n");
    }

    [Fact]
    public void Pseudonyms_are_stable_differ_per_person_and_per_key_and_never_contain_the_IDNr()
    {
        var pseudonyms = new PersonPseudonyms(Encoding.UTF8.GetBytes("key-one"));
        var other = new PersonPseudonyms(Encoding.UTF8.GetBytes("key-two"));
        var anna = new PersonReference("12345678903");
        var ben = new PersonReference("98765432106");

        pseudonyms.Of(anna).Should().Be(pseudonyms.Of(new PersonReference("123 456 789 03")));
        pseudonyms.Of(anna).Should().MatchRegex("^p-[0-9a-f]{64}$");
        pseudonyms.Of(anna).Should().NotBe(pseudonyms.Of(ben));
        pseudonyms.Of(anna).Should().NotBe(other.Of(anna));
        pseudonyms.Of(anna).Should().NotContain("12345678903");

        var byName = new PersonReference(null, "Müller", "Anna Lena", new DateOnly(1980, 1, 31));
        pseudonyms.Of(byName).Should().Be(pseudonyms.Of(new PersonReference(null, "  MÜLLER ", "anna   lena", new DateOnly(1980, 1, 31), Ort: "Offenbach")),
            "names are compared trimmed, case-insensitively and regardless of the address");
        pseudonyms.Of(byName).Should().NotBe(pseudonyms.Of(byName with { Geburtsdatum = new DateOnly(1980, 1, 30) }));
        pseudonyms.Of(byName).Should().NotBe(pseudonyms.Of(byName with { IdNr = "12345678903" }), "the IDNr, when given, is what counts");
        pseudonyms.Of(byName with { IdNr = "12345678903" }).Should().Be(pseudonyms.Of(anna));
    }

    [Fact]
    public void A_person_without_IDNr_and_without_full_name_and_birth_date_has_no_pseudonym()
    {
        var pseudonyms = new PersonPseudonyms(Encoding.UTF8.GetBytes("key-one"));

        pseudonyms.Invoking(p => p.Of(new PersonReference(null, "Müller", null, new DateOnly(1980, 1, 31))))
            .Should().Throw<ArgumentException>().WithMessage("*Familienname, Vorname and Geburtsdatum*");
        pseudonyms.Invoking(p => p.Of(new PersonReference("1234"))).Should().Throw<ArgumentException>().WithMessage("*11 digits*");
    }

    [Fact]
    public async Task Appended_entries_carry_the_pseudonym_not_the_IDNr()
    {
        var person = new PersonReference("12345678903", "Müller", "Anna", new DateOnly(1980, 1, 31));
        await Protocol.AppendAsync(Entry(1, pseudonym: Protocol.PseudonymOf(person)), default);

        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """SELECT * FROM "AccessProtocol" """;
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).Should().BeTrue();
        var values = Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        values.Should().Contain(Protocol.PseudonymOf(person));
        values.Should().NotContain(v => v!.Contains("12345678903") || v.Contains("Müller"));
    }
}
