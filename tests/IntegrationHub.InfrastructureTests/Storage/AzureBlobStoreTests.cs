using System.Net;
using System.Text;
using IntegrationHub.Storage;
using IntegrationHub.Storage.AzureBlob;

namespace IntegrationHub.InfrastructureTests.Storage;

/// <summary>The Azure blob store against a real Azurite (HUB_TEST_AZURITE).</summary>
public sealed class AzureBlobStoreTests(AzuriteContainerFixture container) : IClassFixture<AzuriteContainerFixture>, IDisposable
{
    private readonly List<HttpClient> _clients = [];

    private AzureBlobStore Store(Action<AzureBlobOptions>? configure = null, RecordingHandler? handler = null)
    {
        var options = Azurite.Options(container.Container, configure);
        var http = handler is null ? new HttpClient() : new HttpClient(handler);
        _clients.Add(http);
        return new AzureBlobStore(http, options);
    }

    public void Dispose()
    {
        foreach (var client in _clients) client.Dispose();
    }

    private static MemoryStream Text(string s) => new(Encoding.UTF8.GetBytes(s));

    private static async Task<byte[]> ReadAllAsync(IBlobStore store, string name)
    {
        await using var stream = await store.OpenReadAsync(name);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task Put_then_read_returns_the_same_bytes()
    {
        var store = Store();
        var name = $"submissions/{Guid.NewGuid():N}/data.jwe";

        await store.PutAsync(name, Text("eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.payload"));

        Encoding.UTF8.GetString(await ReadAllAsync(store, name)).Should().Be("eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.payload");
    }

    [Theory]
    [InlineData(3500)] // 3 full blocks and a short one
    [InlineData(3000)] // exactly 3 blocks
    [InlineData(999)]  // less than one block: a single Put Blob
    public async Task Put_streams_in_blocks_and_reads_back_exactly(int size)
    {
        var handler = new RecordingHandler();
        var store = Store(o => o.BlockSizeBytes = 1000, handler);
        var name = $"blocks/{size}.bin";
        var data = new byte[size];
        new Random(size).NextBytes(data);

        await store.PutAsync(name, new MemoryStream(data));

        (await ReadAllAsync(store, name)).Should().Equal(data);
        handler.Count(HttpMethod.Put, "comp=block&").Should().Be(size < 1000 ? 0 : (size + 999) / 1000);
        handler.Count(HttpMethod.Put, "comp=blocklist").Should().Be(size < 1000 ? 0 : 1);
    }

    [Fact]
    public async Task An_empty_stream_makes_an_empty_blob()
    {
        var store = Store();

        await store.PutAsync("empty/nothing.bin", new MemoryStream());

        (await store.ExistsAsync("empty/nothing.bin")).Should().BeTrue();
        (await ReadAllAsync(store, "empty/nothing.bin")).Should().BeEmpty();
    }

    [Fact]
    public async Task Put_overwrites_an_existing_blob_both_ways_between_block_list_and_single_put()
    {
        var store = Store(o => o.BlockSizeBytes = 1024);
        const string name = "overwrite/blob.bin";
        var large = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();

        await store.PutAsync(name, Text("first version, single put"));
        await store.PutAsync(name, new MemoryStream(large));
        (await ReadAllAsync(store, name)).Should().Equal(large);

        await store.PutAsync(name, Text("short"));
        Encoding.UTF8.GetString(await ReadAllAsync(store, name)).Should().Be("short");
    }

    [Fact]
    public async Task Exists_and_delete_and_deleting_a_missing_blob_is_fine()
    {
        var store = Store();
        const string name = "lifecycle/blob.txt";

        (await store.ExistsAsync(name)).Should().BeFalse();
        await store.PutAsync(name, Text("x"));
        (await store.ExistsAsync(name)).Should().BeTrue();

        await store.DeleteAsync(name);
        (await store.ExistsAsync(name)).Should().BeFalse();

        await store.Invoking(s => s.DeleteAsync(name)).Should().NotThrowAsync();
        await store.Invoking(s => s.DeleteAsync("lifecycle/never-existed.txt")).Should().NotThrowAsync();
    }

    [Fact]
    public async Task List_returns_only_the_prefix_and_follows_the_pages()
    {
        var handler = new RecordingHandler();
        var store = Store(o => o.ListPageSize = 2, handler);
        var inside = Enumerable.Range(1, 5).Select(i => $"list/in/{i}.jwe").ToArray();
        foreach (var name in inside.Concat(["list/out/1.jwe", "list/inside-but-not-really.jwe", "other/in/1.jwe"]))
            await store.PutAsync(name, Text(name));

        var listed = new List<string>();
        await foreach (var name in store.ListAsync("list/in/")) listed.Add(name);

        listed.Should().BeEquivalentTo(inside);
        handler.Count(HttpMethod.Get, "comp=list").Should().BeGreaterThanOrEqualTo(3, "5 blobs at 2 per page need 3 pages");
        handler.Count(HttpMethod.Get, "marker=").Should().BeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public async Task List_of_an_unused_prefix_is_empty()
    {
        var store = Store();
        var listed = new List<string>();
        await foreach (var name in store.ListAsync($"nothing-here/{Guid.NewGuid():N}/")) listed.Add(name);
        listed.Should().BeEmpty();
    }

    [Fact]
    public async Task OpenRead_of_a_missing_blob_throws_BlobNotFoundException()
    {
        var store = Store();

        var act = () => store.OpenReadAsync("missing/blob.jwe");

        (await act.Should().ThrowAsync<BlobNotFoundException>()).Which.Name.Should().Be("missing/blob.jwe");
    }

    [Fact]
    public async Task A_wrong_account_key_is_a_clear_authentication_error()
    {
        var wrongKey = Convert.ToBase64String(Enumerable.Repeat((byte)0x42, 64).ToArray());
        var store = Store(o => { o.AccountKey = wrongKey; o.Container = $"ih-test-{Guid.NewGuid():N}"; });

        var act = () => store.PutAsync("auth/blob.txt", Text("x"));

        var error = (await act.Should().ThrowAsync<AzureBlobStoreException>()).Which;
        error.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        error.ErrorCode.Should().NotBeNullOrEmpty();
        error.Message.Should().Contain("403").And.Contain("Authentication failed").And.Contain("AccountKey");
        error.Message.Should().NotContain(wrongKey).And.NotContain(Azurite.DevelopmentKey);
    }

    [Theory]
    [InlineData("ordner mit leerzeichen/Prüfbericht für Ärger Öl Übel ß.txt")]
    [InlineData("sonderzeichen/a+b & c #1 ?x=y 100%.txt")]
    [InlineData("tiefe/ebene/noch tiefer/Straße.jwe")]
    public async Task Names_with_spaces_umlauts_and_reserved_characters_round_trip(string name)
    {
        var store = Store();

        await store.PutAsync(name, Text("Inhalt"));

        (await store.ExistsAsync(name)).Should().BeTrue();
        Encoding.UTF8.GetString(await ReadAllAsync(store, name)).Should().Be("Inhalt");
        var listed = new List<string>();
        await foreach (var n in store.ListAsync(name[..(name.IndexOf('/') + 1)])) listed.Add(n);
        listed.Should().Contain(name);
        await store.DeleteAsync(name);
        (await store.ExistsAsync(name)).Should().BeFalse();
    }

    [Theory]
    [InlineData("a/../b")]
    [InlineData("./b")]
    [InlineData("")]
    public async Task Names_that_would_address_another_blob_are_refused(string name)
    {
        var store = Store();
        await store.Invoking(s => s.PutAsync(name, Text("x"))).Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task EnsureContainer_accepts_an_existing_container()
    {
        var store = Store();
        await store.EnsureContainerAsync();
        await store.Invoking(s => s.EnsureContainerAsync()).Should().NotThrowAsync();
    }
}
