using IntegrationHub.Storage;
using IntegrationHub.Storage.AzureBlob;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.InfrastructureTests.Storage;

/// <summary>Configuration binding and option checks; no server needed.</summary>
public sealed class AzureBlobOptionsTests
{
    private static AzureBlobOptions Valid() => new()
    {
        ServiceUri = "https://account.blob.core.windows.net",
        AccountName = "account",
        AccountKey = Convert.ToBase64String(new byte[64]),
    };

    [Fact]
    public void Options_bind_from_the_configuration_section_and_replace_the_default_store()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Hub:BlobStore:AzureBlob:ServiceUri"] = "https://account.blob.core.windows.net",
                ["Hub:BlobStore:AzureBlob:AccountName"] = "account",
                ["Hub:BlobStore:AzureBlob:AccountKey"] = Convert.ToBase64String(new byte[64]),
                ["Hub:BlobStore:AzureBlob:BlockSizeBytes"] = "1048576",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IBlobStore>(_ => throw new InvalidOperationException("the default must be replaced"));

        services.AddAzureBlobStore(configuration);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<AzureBlobOptions>>().Value;
        options.ServiceUri.Should().Be("https://account.blob.core.windows.net");
        options.AccountName.Should().Be("account");
        options.Container.Should().Be("integrationhub");
        options.BlockSizeBytes.Should().Be(1048576);
        provider.GetRequiredService<IBlobStore>().Should().BeOfType<AzureBlobStore>()
            .And.BeSameAs(provider.GetRequiredService<IBlobStore>());
    }

    [Fact]
    public void A_typed_client_registration_resolves_with_options_bound_from_configuration()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Hub:BlobStore:AzureBlob:ServiceUri"] = "http://127.0.0.1:10000/devstoreaccount1",
                ["Hub:BlobStore:AzureBlob:AccountName"] = "devstoreaccount1",
                ["Hub:BlobStore:AzureBlob:AccountKey"] = Convert.ToBase64String(new byte[64]),
            })
            .Build();
        var services = new ServiceCollection();
        services.AddOptions<AzureBlobOptions>().Bind(configuration.GetSection(AzureBlobOptions.Section));
        services.AddHttpClient<AzureBlobStore>();

        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<AzureBlobStore>().Should().NotBeNull();
    }

    [Fact]
    public async Task A_connection_string_binds_and_a_registered_token_credential_is_the_one_used_without_a_key()
    {
        var byConnectionString = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Hub:BlobStore:AzureBlob:ConnectionString"] = "UseDevelopmentStorage=true" })
            .Build();
        using (var provider = new ServiceCollection().AddAzureBlobStore(byConnectionString).BuildServiceProvider())
        {
            provider.GetRequiredService<IOptions<AzureBlobOptions>>().Value.ConnectionString.Should().Be("UseDevelopmentStorage=true");
            provider.GetRequiredService<IBlobStore>().Should().BeOfType<AzureBlobStore>();
        }

        var byToken = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Hub:BlobStore:AzureBlob:ServiceUri"] = "https://account.blob.core.windows.net" })
            .Build();
        var credential = new AskedCredential();
        var services = new ServiceCollection().AddSingleton<Azure.Core.TokenCredential>(credential);
        services.AddAzureBlobStore(byToken);
        // Nothing listens there: what matters is that the store asked the registered credential for a token first.
        services.AddHttpClient(AzureBlobStore.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new RefusingHandler());
        using var tokenProvider = services.BuildServiceProvider();

        await FluentActions.Awaiting(() => tokenProvider.GetRequiredService<IBlobStore>().ExistsAsync("x")).Should().ThrowAsync<HttpRequestException>();
        credential.Asked.Should().BeTrue();
    }

    private sealed class AskedCredential : Azure.Core.TokenCredential
    {
        public bool Asked { get; private set; }

        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Asked = true;
            return new("t", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private sealed class RefusingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("refused (test)");
    }

    [Theory]
    [InlineData("ServiceUri")]
    [InlineData("AccountName")]
    [InlineData("AccountKey")]
    [InlineData("Container")]
    [InlineData("BlockSizeBytes")]
    public void Invalid_options_are_refused_without_echoing_the_key(string broken)
    {
        var options = Valid();
        switch (broken)
        {
            case "ServiceUri": options.ServiceUri = "not a uri"; break;
            case "AccountName": options.AccountName = ""; break;
            case "AccountKey": options.AccountKey = "not*base64!secret"; break;
            case "Container": options.Container = "Upper_Case"; break;
            case "BlockSizeBytes": options.BlockSizeBytes = 0; break;
        }
        using var http = new HttpClient();

        var act = () => new AzureBlobStore(http, options);

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain(broken).And.NotContain("not*base64!secret");
    }
}
