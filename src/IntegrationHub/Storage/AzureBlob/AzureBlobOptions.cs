namespace IntegrationHub.Storage.AzureBlob;

/// <summary>
/// Where and how the hub reaches Azure Blob Storage (configuration section <see cref="Section"/>). Three ways to sign in,
/// the first that is configured wins: <see cref="ConnectionString"/>; <see cref="ServiceUri"/> with <see cref="AccountName"/>
/// and <see cref="AccountKey"/>; <see cref="ServiceUri"/> alone with a token credential (a <c>TokenCredential</c> registered
/// in the services, otherwise <c>DefaultAzureCredential</c>: managed identity, workload identity, environment, Azure CLI).
/// </summary>
public sealed class AzureBlobOptions
{
    public const string Section = "Hub:BlobStore:AzureBlob";

    /// <summary>
    /// A storage connection string (<c>DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…;BlobEndpoint=…</c>, a SAS one,
    /// or <c>UseDevelopmentStorage=true</c>). A secret: from configuration or a secret store, never from code.
    /// </summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// The blob service endpoint including the account for path-style endpoints, e.g.
    /// <c>http://127.0.0.1:10000/devstoreaccount1</c> (Azurite) or <c>https://myaccount.blob.core.windows.net</c>.
    /// </summary>
    public string ServiceUri { get; set; } = "";

    public string AccountName { get; set; } = "";

    /// <summary>Base64 account key. Comes from configuration or a secret store (environment: Hub__BlobStore__AzureBlob__AccountKey), never from code.</summary>
    public string AccountKey { get; set; } = "";

    public string Container { get; set; } = "integrationhub";

    /// <summary>Size of one uploaded block; also the only buffer an upload holds (pooled).</summary>
    public int BlockSizeBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Page size of List Blobs (maxresults); null lets the service choose (up to 5000).</summary>
    public int? ListPageSize { get; set; }

    /// <summary>Limit for one call to the service (one block, not a whole upload; for a download, each read).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Retries of the storage library itself. 0 by default: the hub's consumers retry (message retry, delivery backoff),
    /// and retries in both places would multiply.
    /// </summary>
    public int MaxRetries { get; set; }
}
