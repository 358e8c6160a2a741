using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Security.AtRest;
using IntegrationHub.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.UnitTests.Security.AtRest;

/// <summary>
/// Data at rest under the municipality's key: it reads back as written, and a changed byte, another municipality's key
/// or another row's associated data make it unreadable; documents stream through in constant memory.
/// </summary>
public sealed class AtRestProtectorTests : IAsyncLifetime
{
    private const string Offenbach = "064130000000";
    private const string Darmstadt = "064110000000";
    private const string Secret = "Erika Mustermann, DE89370400440532013000, Hauptstraße 1";
    private AtRestLedger _ledger = null!;
    private AtRestProtector _protector = null!;

    public async Task InitializeAsync()
    {
        _ledger = await AtRestLedger.CreateAsync();
        _protector = _ledger.Hub().GetRequiredService<AtRestProtector>();
    }

    public async Task DisposeAsync() => await _ledger.DisposeAsync();

    [Fact]
    public async Task Text_round_trips_in_a_self_describing_envelope_without_the_plaintext()
    {
        var stored = await _protector.ProtectTextAsync(Offenbach, Secret, "failed-messages/1/Body", default);

        stored.Should().StartWith(AtRestEnvelope.TextPrefix).And.NotContain("Mustermann");
        var envelope = AtRestEnvelope.Parse(Convert.FromBase64String(stored![AtRestEnvelope.TextPrefix.Length..]));
        envelope.Should().Match<AtRestEnvelope>(e => e.Ars == Offenbach && e.KeyVersion == 1 && e.Kind == AtRestEnvelope.Kinds.Sealed);
        (await _protector.UnprotectTextAsync(Offenbach, stored, "failed-messages/1/Body", default)).Should().Be(Secret);
        (await _protector.ProtectTextAsync(Offenbach, Secret, "failed-messages/1/Body", default)).Should().NotBe(stored, "every encryption has its own nonce");
        (await _protector.ProtectTextAsync(Offenbach, null, "failed-messages/1/Body", default)).Should().BeNull();
        (await _ledger.Hub().GetRequiredService<AtRestProtector>().UnprotectTextAsync(Offenbach, stored, "failed-messages/1/Body", default))
            .Should().Be(Secret, "another hub process reads it with the key from the ledger");
    }

    [Fact]
    public async Task A_changed_byte_another_municipality_or_another_rows_associated_data_are_refused()
    {
        var stored = await _protector.ProtectAsync(Offenbach, Encoding.UTF8.GetBytes(Secret), "failed-messages/1/Body", default);

        var changed = (byte[])stored.Clone();
        changed[^1] ^= 0x01;
        await Refused(() => _protector.UnprotectAsync(Offenbach, changed, "failed-messages/1/Body", default), "changed");
        await Refused(() => _protector.UnprotectAsync(Darmstadt, stored, "failed-messages/1/Body", default), "keyed for municipality 064130000000");
        await Refused(() => _protector.UnprotectAsync(Offenbach, stored, "failed-messages/2/Body", default), "another row");
        await Refused(() => _protector.UnprotectAsync(Offenbach, stored, "failed-messages/1/Headers", default), "another row");

        // Relabelled for Darmstadt in its header: Darmstadt's key and the header in the associated data refuse it.
        var relabelled = (byte[])stored.Clone();
        Encoding.ASCII.GetBytes(Darmstadt).CopyTo(relabelled, AtRestEnvelope.FixedBytes);
        await Refused(() => _protector.UnprotectAsync(Darmstadt, relabelled, "failed-messages/1/Body", default), "changed");
    }

    [Fact]
    public async Task Values_and_blobs_written_before_the_protection_are_read_as_legacy_plaintext_where_allowed()
    {
        var protector = _ledger.Hub(allowLegacyPlaintext: true).GetRequiredService<AtRestProtector>();
        (await protector.UnprotectTextAsync(Offenbach, """{"message":{}}""", "failed-messages/1/Body", default)).Should().Be("""{"message":{}}""");
        (await protector.UnprotectAsync(Offenbach, Encoding.UTF8.GetBytes("%PDF-1.7"), "x", default)).Should().Equal(Encoding.UTF8.GetBytes("%PDF-1.7"));

        using var folder = new Storage.TempDirectory("at-rest-legacy");
        var blobs = new FileSystemBlobStore(folder.Path);
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.7 legacy Bescheid");
        await blobs.PutAsync("submissions/1/documents/prosoz-3", new MemoryStream(pdf));
        await using var read = await protector.OpenBlobAsync(blobs, Offenbach, "submissions/1/documents/prosoz-3", default);
        (await ReadAllAsync(read)).Should().Equal(pdf);
        await blobs.PutAsync("tiny", new MemoryStream([1, 2]));
        await using var tiny = await protector.OpenBlobAsync(blobs, Offenbach, "tiny", default);
        (await ReadAllAsync(tiny)).Should().Equal(1, 2);
    }

    [Fact]
    public async Task A_ledger_created_with_the_envelope_refuses_values_without_one()
    {
        // Whoever can write a row or a blob (but holds no data key) must not be able to plant a value the hub takes as its own.
        await LegacyRefused(_protector);
        (await _protector.UnprotectTextAsync(Offenbach, null, "failed-messages/1/StackTrace", default)).Should().BeNull("no value is no legacy value");
    }

    [Fact]
    public async Task A_ledger_made_before_the_envelope_reads_legacy_plaintext_until_the_setting_refuses_it()
    {
        await using var old = await AtRestLedger.CreateAsync(predatesEnvelope: true);

        (await old.Hub().GetRequiredService<AtRestProtector>().UnprotectTextAsync(Offenbach, "<antrag/>", "failed-messages/1/Body", default))
            .Should().Be("<antrag/>", "an existing deployment keeps reading its old rows");
        await LegacyRefused(old.Hub(allowLegacyPlaintext: false).GetRequiredService<AtRestProtector>());
    }

    private static async Task LegacyRefused(AtRestProtector protector)
    {
        (await FluentActions.Awaiting(() => protector.UnprotectTextAsync(Offenbach, "<antrag/>", "failed-messages/1/Body", default))
            .Should().ThrowAsync<AtRestDataException>()).Which.Message.Should().Contain("Hub:Security:AllowLegacyPlaintext");
        await FluentActions.Awaiting(() => protector.UnprotectAsync(Offenbach, Encoding.UTF8.GetBytes("%PDF-1.7"), "x", default))
            .Should().ThrowAsync<AtRestDataException>();
        using var folder = new Storage.TempDirectory("at-rest-strict");
        var blobs = new FileSystemBlobStore(folder.Path);
        await blobs.PutAsync("submissions/1/documents/prosoz-3", new MemoryStream(Encoding.ASCII.GetBytes("%PDF-1.7 planted")));
        await FluentActions.Awaiting(() => protector.OpenBlobAsync(blobs, Offenbach, "submissions/1/documents/prosoz-3", default))
            .Should().ThrowAsync<AtRestDataException>();
    }

    [Fact]
    public async Task A_multi_megabyte_document_streams_through_in_constant_memory()
    {
        const long size = 24L * 1024 * 1024 + 123;
        using var folder = new Storage.TempDirectory("at-rest-stream");
        var path = folder.Combine("document.bin");
        await _protector.CurrentKeyWarmUpAsync(Offenbach);

        var before = GC.GetAllocatedBytesForCurrentThread();
        string expected;
        using (var source = new GeneratedDocument(size))
        using (var encrypting = await _protector.ProtectStreamAsync(Offenbach, source, "blob:submissions/1/documents/prosoz-3", default))
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: false))
        {
            encrypting.CopyTo(file);
            expected = source.Sha256;
        }
        var encryptAllocated = GC.GetAllocatedBytesForCurrentThread() - before;

        new FileInfo(path).Length.Should().BeGreaterThan(size);
        // Measured on this thread: every read here completes synchronously (the key is cached, the sources read synchronously).
        before = GC.GetAllocatedBytesForCurrentThread();
        string actual;
        using (var file = new SyncReads(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: false)))
        using (var decrypting = await _protector.UnprotectStreamAsync(Offenbach, file, "blob:submissions/1/documents/prosoz-3", default))
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[81920];
            for (int n; (n = decrypting.Read(buffer, 0, buffer.Length)) > 0;) hash.AppendData(buffer, 0, n);
            actual = Convert.ToHexString(hash.GetHashAndReset());
        }
        var decryptAllocated = GC.GetAllocatedBytesForCurrentThread() - before;

        actual.Should().Be(expected);
        encryptAllocated.Should().BeLessThan(2 * 1024 * 1024, "the document is encrypted chunk by chunk, never held whole");
        decryptAllocated.Should().BeLessThan(2 * 1024 * 1024, "the document is decrypted chunk by chunk, never held whole");
    }

    [Fact]
    public async Task A_streamed_blob_cut_short_changed_in_a_chunk_or_under_another_name_is_refused()
    {
        using var folder = new Storage.TempDirectory("at-rest-blobs");
        var blobs = new FileSystemBlobStore(folder.Path);
        var document = RandomNumberGenerator.GetBytes(3 * AtRestProtector.DefaultChunkSize); // exactly three chunks: the last is flagged
        const string name = "submissions/1/documents/prosoz-3";
        await _protector.PutBlobAsync(blobs, Offenbach, name, new MemoryStream(document), default);

        var stored = await File.ReadAllBytesAsync(folder.Combine(name));
        stored.AsSpan().IndexOf(document.AsSpan(0, 64)).Should().Be(-1, "the blob holds no plaintext");
        await using (var read = await _protector.OpenBlobAsync(blobs, Offenbach, name, default)) (await ReadAllAsync(read)).Should().Equal(document);

        var record = 1 + AtRestProtector.DefaultChunkSize + AtRestEnvelope.TagBytes;
        var header = stored.Length - 3 * record;
        await RefusedBlob(blobs, name, stored[..(header + 2 * record)], Offenbach, "cut short");
        var changed = (byte[])stored.Clone();
        changed[header + record + 100] ^= 0x01;
        await RefusedBlob(blobs, name, changed, Offenbach, "changed");
        var swapped = stored[..header].Concat(stored.AsSpan(header + record, record).ToArray()).Concat(stored.AsSpan(header, record).ToArray())
            .Concat(stored[(header + 2 * record)..]).ToArray();
        await RefusedBlob(blobs, name, swapped, Offenbach, "changed");
        await RefusedBlob(blobs, "submissions/2/documents/prosoz-3", stored, Offenbach, "another blob");
        await RefusedBlob(blobs, name, stored, Darmstadt, "keyed for municipality 064130000000");
    }

    private async Task RefusedBlob(IBlobStore blobs, string name, byte[] content, string ars, string why)
    {
        await blobs.PutAsync(name, new MemoryStream(content));
        await Refused(async () =>
        {
            await using var read = await _protector.OpenBlobAsync(blobs, ars, name, default);
            return await ReadAllAsync(read);
        }, why);
    }

    private static async Task Refused<T>(Func<Task<T>> read, string why)
    {
        var refused = await FluentActions.Awaiting(read).Should().ThrowAsync<AtRestDataException>();
        refused.Which.Message.Should().Contain(why).And.NotContain("Mustermann");
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>A stream whose asynchronous reads are its synchronous ones, so the whole test stays on one thread.</summary>
    private sealed class SyncReads(Stream inner) : ReadOnlyForwardStream
    {
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(inner.Read(buffer.Span));

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>A document of any size made while it is read (never in memory), with the SHA-256 of what was read.</summary>
    private sealed class GeneratedDocument(long size) : ReadOnlyForwardStream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _position;

        public string Sha256 => Convert.ToHexString(_hash.GetCurrentHash());

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, size - _position);
            for (var i = 0; i < n; i++) buffer[i] = (byte)((_position + i) * 31 % 251);
            _hash.AppendData(buffer[..n]);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        protected override void Dispose(bool disposing)
        {
            if (disposing) _hash.Dispose();
            base.Dispose(disposing);
        }
    }
}

internal static class AtRestProtectorTestExtensions
{
    /// <summary>Makes the municipality's key before a measurement (the ledger's first use allocates).</summary>
    public static Task CurrentKeyWarmUpAsync(this AtRestProtector protector, string ars) =>
        protector.ProtectAsync(ars, new byte[1], "warm-up", default);
}
