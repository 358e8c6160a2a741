namespace IntegrationHub.Simulators.Procedures;

/// <summary>
/// One attachment part of a handover container as a transport delivers it (a multipart/related section over HTTP,
/// an entry of a mailbox later). <see cref="Body"/> is read once, front to back, before the next part is asked for.
/// </summary>
/// <param name="ContentId">The part's Content-ID, e.g. "&lt;0f1e2d3c-…&gt;" (named by inhaltReferenz "cid:0f1e2d3c-…").</param>
/// <param name="ContentType">The part's media type, if given.</param>
/// <param name="ContentLength">The part's announced length, if given.</param>
/// <param name="Body">The part's bytes.</param>
public sealed record HandoverPart(string? ContentId, string? ContentType, long? ContentLength, Stream Body);

/// <summary>The attachment parts that follow the handover XML in its container, in order.</summary>
public interface IHandoverPartReader
{
    /// <summary>The next part, or null after the last one.</summary>
    /// <exception cref="IOException">The container was cut off.</exception>
    /// <exception cref="InvalidDataException">The container is malformed.</exception>
    Task<HandoverPart?> ReadNextPartAsync(CancellationToken ct);
}
