using System.Net.Sockets;

namespace IntegrationHub.Tenancy.Onboarding;

/// <summary>
/// The optional check that every target a municipality file defines answers at its endpoint (hubctl tenant validate
/// --check-reachable). Any HTTP answer counts, even 401 or 404: the server is there; only no answer is a finding.
/// Shared targets of the hub's settings are not the file's to check.
/// </summary>
public static class MunicipalityReachability
{
    public static async Task<IReadOnlyList<MunicipalityFinding>> CheckAsync(MunicipalityFile file, HttpClient http, TimeSpan timeout, CancellationToken ct = default)
    {
        var checks = file.Targets
            .Where(t => Uri.TryCreate(t.Value.Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            .Select(async t =>
            {
                var reason = await ProbeAsync(http, new Uri(t.Value.Endpoint), timeout, ct);
                return reason is null ? null : MunicipalityFinding.Error(file.At($"targets.{t.Key}.endpoint", $"targets.{t.Key}"), "target-unreachable",
                    $"targets.{t.Key}.endpoint '{t.Value.Endpoint}' did not answer ({reason}); expected the target to be reachable from here.");
            });
        return [.. (await Task.WhenAll(checks)).OfType<MunicipalityFinding>()];
    }

    /// <summary>Null when the endpoint answered, else why not.</summary>
    private static async Task<string?> ProbeAsync(HttpClient http, Uri endpoint, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, endpoint);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"no answer within {timeout.TotalSeconds:0.#} s";
        }
        catch (HttpRequestException e)
        {
            return e.InnerException is SocketException socket ? socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData => "host not found",
                _ => socket.SocketErrorCode.ToString(),
            } : e.HttpRequestError.ToString();
        }
    }
}
