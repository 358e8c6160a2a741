using System.Net;

namespace IntegrationHub.Storage.AzureBlob;

/// <summary>Azure Blob Storage answered with an unexpected status. Carries no secrets and no blob content.</summary>
public sealed class AzureBlobStoreException(string operation, HttpStatusCode statusCode, string? errorCode)
    : Exception(BuildMessage(operation, statusCode, errorCode))
{
    public string Operation { get; } = operation;
    public HttpStatusCode StatusCode { get; } = statusCode;
    /// <summary>The service's <c>x-ms-error-code</c>, e.g. <c>AuthenticationFailed</c> or <c>ServerBusy</c>.</summary>
    public string? ErrorCode { get; } = errorCode;

    private static string BuildMessage(string operation, HttpStatusCode statusCode, string? errorCode)
    {
        var message = $"Azure Blob Storage answered {(int)statusCode} {statusCode} ({errorCode ?? "no error code"}) to {operation}.";
        if (statusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
            message += $" Authentication failed: check {AzureBlobOptions.Section}:AccountName and AccountKey (or ConnectionString, or the token credential's role on the account).";
        return message;
    }
}
