using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Core;
using IntegrationHub.Delivery;
using IntegrationHub.Storage;
using IntegrationHub.Storage.AzureBlob;

namespace IntegrationHub.InfrastructureTests.Storage;

/// <summary>
/// What the hub sees when storage fails: the same exceptions as before the SDK, so consumers still tell "not now"
/// (retried as transient) from "the service said no". Runs a private Azurite it can stop, a listener that never
/// answers, and canned service answers.
/// </summary>
public sealed class AzureBlobStoreFaultTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var owned in _owned) owned.Dispose();
    }

    private static MemoryStream Text(string s) => new(Encoding.UTF8.GetBytes(s));

    private AzureBlobStore Store(string serviceUri, HttpMessageHandler? handler = null, Action<AzureBlobOptions>? configure = null)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler);
        _owned.Add(http);
        var options = new AzureBlobOptions
        {
            ServiceUri = serviceUri,
            AccountName = Azurite.AccountName,
            AccountKey = Azurite.DevelopmentKey,
            Container = "ih-faults",
        };
        configure?.Invoke(options);
        return new AzureBlobStore(http, options);
    }

    [Fact]
    public async Task A_stopped_Azurite_is_a_transport_failure_the_hub_retries_and_the_store_recovers_when_it_is_back()
    {
        using var azurite = await PrivateAzurite.StartAsync();
        var store = Store(azurite.ServiceUri, configure: o => o.RequestTimeout = TimeSpan.FromSeconds(10));
        await store.PutAsync("faults/before.txt", Text("da"));

        azurite.Stop();

        foreach (var call in new Func<Task>[]
                 {
                     () => store.PutAsync("faults/during.txt", Text("x")),
                     () => store.OpenReadAsync("faults/before.txt"),
                     () => store.ExistsAsync("faults/before.txt"),
                     () => store.DeleteAsync("faults/before.txt"),
                     async () => { await foreach (var _ in store.ListAsync("faults/")) { } },
                 })
        {
            var failure = (await call.Should().ThrowAsync<HttpRequestException>()).Which;
            DeliveryRequestedConsumer.IsTransient(failure).Should().BeTrue("an unreachable blob store is retried, not failed");
        }

        // Back, but empty (this Azurite keeps its data in memory): the first call finds no container, the
        // consumer's retry creates it again.
        await azurite.StartAgainAsync();
        var missing = (await FluentActions.Awaiting(() => store.PutAsync("faults/after.txt", Text("wieder da")))
            .Should().ThrowAsync<AzureBlobStoreException>()).Which;
        missing.ErrorCode.Should().Be("ContainerNotFound");
        await store.PutAsync("faults/after.txt", Text("wieder da"));
        await using var read = await store.OpenReadAsync("faults/after.txt");
        (await new StreamReader(read).ReadToEndAsync()).Should().Be("wieder da");
    }

    [Fact]
    public async Task Azurite_stopping_during_a_download_fails_the_read_as_an_IO_error_not_as_the_SDKs_aggregate()
    {
        using var azurite = await PrivateAzurite.StartAsync();
        var store = Store(azurite.ServiceUri);
        const long size = 64L * 1024 * 1024;
        await store.PutAsync("faults/big.bin", new PseudoRandomStream(size, 7));

        await using var download = await store.OpenReadAsync("faults/big.bin");
        var buffer = new byte[64 * 1024];
        (await download.ReadAsync(buffer)).Should().BePositive();
        azurite.Stop();

        var act = async () => { while (await download.ReadAsync(buffer) > 0) { } };

        var failure = (await act.Should().ThrowAsync<Exception>()).Which;
        failure.Should().Match<Exception>(e => e is IOException || e is HttpRequestException);
        DeliveryRequestedConsumer.IsTransient(failure).Should().BeTrue();
    }

    [Fact]
    public async Task A_service_that_never_answers_is_a_TimeoutException_after_RequestTimeout_and_one_try()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new ConcurrentBag<Socket>();
        _ = Task.Run(async () =>
        {
            try { while (true) accepted.Add(await silent.AcceptSocketAsync()); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        });
        var store = Store($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/devstoreaccount1",
            configure: o => o.RequestTimeout = TimeSpan.FromMilliseconds(500));
        var watch = Stopwatch.StartNew();

        var failure = (await FluentActions.Awaiting(() => store.ExistsAsync("faults/slow.txt")).Should().ThrowAsync<TimeoutException>()).Which;

        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "the SDK does not retry on top of the hub");
        failure.Message.Should().Contain("Create Container").And.Contain("00:00:00.5");
        DeliveryRequestedConsumer.IsTransient(failure).Should().BeTrue();
        foreach (var socket in accepted) socket.Dispose();
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, "ServerBusy")]
    [InlineData(HttpStatusCode.InternalServerError, "OperationTimedOut")]
    public async Task A_throttled_or_failing_service_is_an_AzureBlobStoreException_with_status_and_code_after_one_try(
        HttpStatusCode status, string code)
    {
        var service = new CannedService(request => request.Method == HttpMethod.Put && request.RequestUri!.Query.Contains("restype=container")
            ? Answer(HttpStatusCode.Created) : Answer(status, code));
        var store = Store("http://127.0.0.1:1/devstoreaccount1", service);

        var failure = (await FluentActions.Awaiting(() => store.OpenReadAsync("faults/busy.jwe")).Should().ThrowAsync<AzureBlobStoreException>()).Which;

        failure.StatusCode.Should().Be(status);
        failure.ErrorCode.Should().Be(code);
        failure.Message.Should().Contain("Get Blob of 'faults/busy.jwe'");
        service.Requests.Count(r => r.Method == HttpMethod.Get).Should().Be(1, "the SDK's retries are off: the consumers retry");
        // Not a transport failure: the consumer's message retry takes it, as before.
        DeliveryRequestedConsumer.IsTransient(failure).Should().BeFalse();
    }

    [Fact]
    public async Task The_SDKs_retries_can_be_switched_on_by_configuration()
    {
        var service = new CannedService(request => request.Method == HttpMethod.Put ? Answer(HttpStatusCode.Created) : Answer(HttpStatusCode.ServiceUnavailable, "ServerBusy"));
        var store = Store("http://127.0.0.1:1/devstoreaccount1", service, o => o.MaxRetries = 1);

        await FluentActions.Awaiting(() => store.ExistsAsync("faults/busy.jwe")).Should().ThrowAsync<AzureBlobStoreException>();

        service.Requests.Count(r => r.Method == HttpMethod.Head).Should().Be(2);
    }

    [Fact]
    public async Task A_409_on_creating_the_container_is_fine_when_it_exists_and_a_clear_failure_otherwise()
    {
        var exists = new CannedService(request => request.Method == HttpMethod.Put
            ? Answer(HttpStatusCode.Conflict, "ContainerAlreadyExists") : Answer(HttpStatusCode.NotFound, "BlobNotFound"));
        (await Store("http://127.0.0.1:1/devstoreaccount1", exists).ExistsAsync("faults/x")).Should().BeFalse();

        var beingDeleted = new CannedService(_ => Answer(HttpStatusCode.Conflict, "ContainerBeingDeleted"));
        var failure = (await FluentActions.Awaiting(() => Store("http://127.0.0.1:1/devstoreaccount1", beingDeleted).PutAsync("faults/x", Text("x")))
            .Should().ThrowAsync<AzureBlobStoreException>()).Which;
        failure.StatusCode.Should().Be(HttpStatusCode.Conflict);
        failure.ErrorCode.Should().Be("ContainerBeingDeleted");
    }

    [Fact]
    public async Task A_connection_string_reaches_the_same_blobs_as_the_account_key()
    {
        var serviceUri = Azurite.ServiceUri;
        var container = $"ih-test-{Guid.NewGuid():N}";
        var byKey = Store(serviceUri, configure: o => o.Container = container);
        var byConnectionString = Store("", configure: o =>
        {
            o.ServiceUri = "";
            o.AccountName = "";
            o.AccountKey = "";
            o.Container = container;
            o.ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={Azurite.AccountName};AccountKey={Azurite.DevelopmentKey};BlobEndpoint={serviceUri};";
        });

        await byKey.PutAsync("submissions/abc/data.jwe", Text("gleich"));

        await using var read = await byConnectionString.OpenReadAsync("submissions/abc/data.jwe");
        (await new StreamReader(read).ReadToEndAsync()).Should().Be("gleich");
        var listed = new List<string>();
        await foreach (var name in byConnectionString.ListAsync("submissions/")) listed.Add(name);
        listed.Should().Equal("submissions/abc/data.jwe");
        await byConnectionString.DeleteAsync("submissions/abc/data.jwe");
        (await byKey.ExistsAsync("submissions/abc/data.jwe")).Should().BeFalse();
    }

    [Fact]
    public async Task Without_a_key_the_store_signs_in_with_the_token_credential_it_was_given()
    {
        var service = new CannedService(request => request.Method == HttpMethod.Put ? Answer(HttpStatusCode.Created) : Answer(HttpStatusCode.NotFound, "BlobNotFound"));
        var http = new HttpClient(service);
        _owned.Add(http);
        var options = new AzureBlobOptions { ServiceUri = "https://account.blob.core.windows.net" };
        var store = new AzureBlobStore(http, options, new FixedToken("token-for-test"));

        (await store.ExistsAsync("faults/x")).Should().BeFalse();

        service.Requests.Should().OnlyContain(r => r.Authorization == "Bearer token-for-test");
    }

    [Theory]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1", "", "", "https")]
    [InlineData("https://account.blob.core.windows.net", "account", "", "AccountKey")]
    [InlineData("", "", "", "ServiceUri")]
    public void Token_sign_in_needs_https_and_no_half_configured_key(string serviceUri, string accountName, string accountKey, string named)
    {
        using var http = new HttpClient();
        var options = new AzureBlobOptions { ServiceUri = serviceUri, AccountName = accountName, AccountKey = accountKey };

        var act = () => new AzureBlobStore(http, options, new FixedToken("t"));

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain(named);
    }

    [Fact]
    public void A_broken_connection_string_is_refused_without_echoing_it()
    {
        using var http = new HttpClient();
        var options = new AzureBlobOptions { ConnectionString = "AccountKey=geheim;kaputt" };

        var act = () => new AzureBlobStore(http, options);

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("ConnectionString").And.NotContain("geheim");
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, string? code = null)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent([]) };
        if (code is not null) response.Headers.TryAddWithoutValidation("x-ms-error-code", code);
        response.Headers.TryAddWithoutValidation("x-ms-request-id", Guid.NewGuid().ToString());
        return response;
    }

    /// <summary>Answers every request from a function, as the storage service would, and remembers what came.</summary>
    private sealed class CannedService(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public ConcurrentQueue<(HttpMethod Method, string? Authorization)> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Enqueue((request.Method, request.Headers.Authorization?.ToString()));
            var response = answer(request);
            response.RequestMessage = request;
            return Task.FromResult(response);
        }
    }

    private sealed class FixedToken(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}

/// <summary>An Azurite of one test, on a free port of 127.0.0.1, with its data in memory; it can be stopped and started again (empty).</summary>
internal sealed class PrivateAzurite : IDisposable
{
    public const string BinaryVariable = "HUB_TEST_AZURITE_BIN";

    private readonly string _binary;
    private readonly int _port;
    private Process? _process;

    private PrivateAzurite(string binary, int port)
    {
        _binary = binary;
        _port = port;
    }

    public string ServiceUri => $"http://127.0.0.1:{_port}/{Azurite.AccountName}";

    public static async Task<PrivateAzurite> StartAsync()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var azurite = new PrivateAzurite(Binary(), port);
        await azurite.StartAgainAsync();
        return azurite;
    }

    /// <summary>Fails (never skips) when no Azurite is installed: test.sh installs it and exports the path.</summary>
    private static string Binary()
    {
        if (Environment.GetEnvironmentVariable(BinaryVariable) is { Length: > 0 } configured) return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".tools", "node_modules", ".bin", "azurite-blob");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"{BinaryVariable} is not set and no .tools/node_modules/.bin/azurite-blob was found: run ./test.sh.");
    }

    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(_binary)
        {
            ArgumentList = { "--blobHost", "127.0.0.1", "--blobPort", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--inMemoryPersistence", "--skipApiVersionCheck", "--silent" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(200);
            }
        }
    }

    public void Stop()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Stop();
}
