namespace IntegrationHub.Storage.AzureBlob;

/// <summary>Where and how the hub reaches Azure Blob Storage (configuration section <see cref="Section"/>).</summary>
public sealed class AzureBlobOptions
{
    public const string Section = "Hub:BlobStore:AzureBlob";

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

    /// <summary>Limit for one REST call up to its response headers (one block, not a whole upload).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);
}
