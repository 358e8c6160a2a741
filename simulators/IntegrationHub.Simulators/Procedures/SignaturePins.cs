using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;

namespace IntegrationHub.Simulators.Procedures;

/// <summary>
/// Which signing certificate a specialist procedure trusts for which sending municipality (ARS).
/// Pinning instead of chain building: the procedures only accept handovers signed with exactly the
/// certificate that was registered for the author, as a real Fachverfahren connection is set up.
/// </summary>
public sealed class SignaturePins
{
    private readonly ConcurrentDictionary<string, X509Certificate2> _pins = new(StringComparer.Ordinal);

    /// <summary>Pins (or replaces) the certificate for a 12-digit Amtlicher Regionalschlüssel.</summary>
    public void Pin(string ars, X509Certificate2 publicCertificate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ars);
        ArgumentNullException.ThrowIfNull(publicCertificate);
        // Keep only the public part: the procedure must never hold the hub's private key.
        var publicOnly = X509CertificateLoader.LoadCertificate(publicCertificate.RawData);
        _pins[ars.Trim()] = publicOnly;
    }

    /// <summary>Removes the pin of an ARS; returns whether one existed.</summary>
    public bool Unpin(string ars) => _pins.TryRemove(ars.Trim(), out _);

    public bool TryGet(string ars, out X509Certificate2 certificate)
    {
        if (_pins.TryGetValue(ars.Trim(), out var found))
        {
            certificate = found;
            return true;
        }

        certificate = null!;
        return false;
    }

    /// <summary>The pinned ARS values (snapshot).</summary>
    public IReadOnlyCollection<string> PinnedArs => _pins.Keys.ToArray();
}
