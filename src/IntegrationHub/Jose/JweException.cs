namespace IntegrationHub.Jose;

/// <summary>Why a JWE was refused. Coarse on purpose: callers map it to a problem code, never to details.</summary>
public enum JweFailure
{
    Malformed,
    UnsupportedAlgorithm,
    KeyUnwrapFailed,
    DecryptionFailed,
    DecompressionFailed,
    TooLarge,
}

/// <summary>
/// Raised for every refused JWE. The message is a fixed, generic sentence chosen by this library:
/// it never contains plaintext, key material or input fragments, so it may be logged.
/// </summary>
public sealed class JweException : Exception
{
    public JweException(JweFailure failure, string message)
        : base(message)
    {
        Failure = failure;
    }

    public JweException(JweFailure failure, string message, Exception innerException)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public JweFailure Failure { get; }
}
