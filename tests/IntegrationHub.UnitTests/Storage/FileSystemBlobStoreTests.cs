using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Intake;
using IntegrationHub.Storage;

namespace IntegrationHub.UnitTests.Storage;

/// <summary>The embedded blob store: atomic writes, streaming, listing, and names that stay inside the root.</summary>
public sealed class FileSystemBlobStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new("blobs");
    private readonly FileSystemBlobStore _store;

    public FileSystemBlobStoreTests()
    {
        _store = new FileSystemBlobStore(_directory.Combine("store"));
    }

    public void Dispose() => _directory.Dispose();

    private static MemoryStream Content(string text) => new(Encoding.UTF8.GetBytes(text));

    private async Task<string> ReadTextAsync(string name)
    {
        await using var stream = await _store.OpenReadAsync(name);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private async Task<List<string>> ListAsync(string prefix)
    {
        var names = new List<string>();
        await foreach (var name in _store.ListAsync(prefix))
        {
            names.Add(name);
        }

        return names;
    }

    [Fact]
    public async Task Put_then_read_returns_the_same_bytes()
    {
        var submission = Guid.NewGuid();
        var name = SubmissionBlobs.Data(submission);

        await _store.PutAsync(name, Content("eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d"));

        (await ReadTextAsync(name)).Should().Be("eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d");
        File.Exists(Path.Combine(_directory.Combine("store"), "submissions", submission.ToString("N"), "data.jwe")).Should().BeTrue();
    }

    [Fact]
    public async Task Empty_blob_round_trips()
    {
        await _store.PutAsync("leer.bin", new MemoryStream());

        (await ReadTextAsync("leer.bin")).Should().BeEmpty();
    }

    [Fact]
    public async Task Twenty_megabytes_stream_through_unchanged()
    {
        const long size = 20L * 1024 * 1024;
        var name = SubmissionBlobs.Attachment(Guid.NewGuid(), Guid.NewGuid());
        var source = new PatternStream(size);

        await _store.PutAsync(name, source);

        source.Position.Should().Be(size, "the whole stream was consumed");
        await using var stream = await _store.OpenReadAsync(name);
        var read = await SHA256.HashDataAsync(stream);
        read.Should().Equal(PatternStream.Sha256(size));
        new FileInfo(Path.Combine(_directory.Combine("store"), name)).Length.Should().Be(size);
    }

    [Fact]
    public async Task Put_overwrites_an_existing_blob()
    {
        await _store.PutAsync("a/b.jwe", Content("erste Fassung, etwas laenger"));
        await _store.PutAsync("a/b.jwe", Content("zweite"));

        (await ReadTextAsync("a/b.jwe")).Should().Be("zweite");
        (await ListAsync("a/")).Should().Equal("a/b.jwe");
    }

    [Fact]
    public async Task Exists_and_delete()
    {
        await _store.PutAsync("x/y.jwe", Content("1"));

        (await _store.ExistsAsync("x/y.jwe")).Should().BeTrue();
        (await _store.ExistsAsync("x/z.jwe")).Should().BeFalse();
        (await _store.ExistsAsync("x")).Should().BeFalse("a folder is not a blob");

        await _store.DeleteAsync("x/y.jwe");

        (await _store.ExistsAsync("x/y.jwe")).Should().BeFalse();
        await FluentActions.Awaiting(() => _store.OpenReadAsync("x/y.jwe")).Should().ThrowAsync<BlobNotFoundException>();
    }

    [Fact]
    public async Task Deleting_a_missing_blob_is_a_no_op()
    {
        await FluentActions.Awaiting(() => _store.DeleteAsync("nie/geschrieben.jwe")).Should().NotThrowAsync();
    }

    [Fact]
    public async Task Opening_a_missing_blob_throws_BlobNotFoundException_with_its_name()
    {
        var ex = (await FluentActions.Awaiting(() => _store.OpenReadAsync("submissions/fehlt/data.jwe")).Should().ThrowAsync<BlobNotFoundException>()).Which;

        ex.Name.Should().Be("submissions/fehlt/data.jwe");
        ex.Message.Should().Contain("submissions/fehlt/data.jwe");
    }

    [Fact]
    public async Task List_returns_the_blobs_under_a_prefix_but_no_temporary_files()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var attachment = Guid.NewGuid();
        await _store.PutAsync(SubmissionBlobs.Metadata(a), Content("m"));
        await _store.PutAsync(SubmissionBlobs.Data(a), Content("d"));
        await _store.PutAsync(SubmissionBlobs.Attachment(a, attachment), Content("a"));
        await _store.PutAsync(SubmissionBlobs.Data(b), Content("d"));
        // What a crash in the middle of PutAsync leaves behind.
        var folder = Path.Combine(_directory.Combine("store"), "submissions", a.ToString("N"));
        await File.WriteAllTextAsync(Path.Combine(folder, $"data.jwe.{Guid.NewGuid():N}.tmp"), "halb");

        var names = await ListAsync(SubmissionBlobs.Prefix(a));

        names.Should().BeEquivalentTo(SubmissionBlobs.Metadata(a), SubmissionBlobs.Data(a), SubmissionBlobs.Attachment(a, attachment));
        (await ListAsync("submissions/")).Should().HaveCount(4);
        (await ListAsync(string.Empty)).Should().HaveCount(4).And.OnlyContain(n => !n.EndsWith(".tmp", StringComparison.Ordinal));
        (await ListAsync("gibt-es-nicht/")).Should().BeEmpty();
    }

    [Fact]
    public async Task Put_leaves_no_temporary_file_behind()
    {
        await _store.PutAsync("k/v.jwe", Content("inhalt"));

        Directory.EnumerateFiles(_directory.Combine("store"), "*", SearchOption.AllDirectories)
            .Select(Path.GetFileName)
            .Should().Equal("v.jwe");
    }

    [Fact]
    public async Task Failed_put_leaves_neither_blob_nor_temporary_file()
    {
        // What intake does with an over-limit upload: the inspector throws mid-copy, then the blob is deleted.
        var name = SubmissionBlobs.Attachment(Guid.NewGuid(), Guid.NewGuid());
        var upload = new JweCompactInspector(new PatternStream(1024 * 1024), maxBytes: 100_000);

        await FluentActions.Awaiting(() => _store.PutAsync(name, upload)).Should().ThrowAsync<PayloadTooLargeException>();
        await _store.DeleteAsync(name);

        (await _store.ExistsAsync(name)).Should().BeFalse();
        Directory.EnumerateFiles(_directory.Combine("store"), "*", SearchOption.AllDirectories)
            .Should().BeEmpty("a partial upload must not stay on disk where no listing shows it");
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("../store-nebenan/x")]
    [InlineData("submissions/../../x")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    [InlineData(".")]
    public async Task Names_leaving_the_root_are_refused(string name)
    {
        await FluentActions.Awaiting(() => _store.PutAsync(name, Content("boese"))).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => _store.OpenReadAsync(name)).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => _store.ExistsAsync(name)).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => _store.DeleteAsync(name)).Should().ThrowAsync<ArgumentException>();

        File.Exists(_directory.Combine("x")).Should().BeFalse();
        Directory.Exists(_directory.Combine("store-nebenan")).Should().BeFalse();
    }

    [Fact]
    public async Task Dot_segments_that_stay_inside_the_root_are_allowed()
    {
        await _store.PutAsync("a/../b/c.jwe", Content("ok"));

        (await ReadTextAsync("b/c.jwe")).Should().Be("ok");
    }

    [Fact]
    public async Task Root_given_with_a_trailing_separator_works()
    {
        var store = new FileSystemBlobStore(_directory.Combine("mit-slash") + Path.DirectorySeparatorChar);

        await store.PutAsync("a/b.jwe", Content("ok"));

        (await store.ExistsAsync("a/b.jwe")).Should().BeTrue();
    }

    [Fact]
    public async Task Store_creates_its_root_folder()
    {
        var root = _directory.Combine("neu", "tief");

        var store = new FileSystemBlobStore(root);

        Directory.Exists(root).Should().BeTrue();
        await foreach (var name in store.ListAsync(string.Empty))
        {
            name.Should().BeNull("a new store is empty");
        }

        (await store.ExistsAsync("a")).Should().BeFalse();
    }

    /// <summary>A non-seekable stream of deterministic bytes, so a large upload never sits in memory.</summary>
    private sealed class PatternStream(long length) : Stream
    {
        private long _position;

        public static byte[] Sha256(long length)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            for (long at = 0; at < length; at += buffer.Length)
            {
                var n = (int)Math.Min(buffer.Length, length - at);
                Fill(buffer.AsSpan(0, n), at);
                hash.AppendData(buffer, 0, n);
            }

            return hash.GetHashAndReset();
        }

        private static void Fill(Span<byte> span, long offset)
        {
            for (var i = 0; i < span.Length; i++)
            {
                var p = offset + i;
                span[i] = (byte)((p * 31) ^ (p >> 11));
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            Fill(buffer[..n], _position);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
