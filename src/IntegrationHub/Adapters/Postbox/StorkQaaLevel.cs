namespace IntegrationHub.Adapters.Postbox;

/// <summary>
/// The trust level of a citizen's login (STORK QAA): BundID's Basisregistrierung with user name and password is level 1,
/// the ELSTER certificate level 3, the online ID card (eID) level 4. The postbox shows a message only to a citizen
/// logged in at least at the level it was sent with, so the hub never sends a higher level than the citizen proved.
/// </summary>
public static class StorkQaaLevel
{
    public const int Lowest = 1;
    public const int Highest = 4;
    private const string Prefix = "STORK-QAA-Level-";

    /// <summary>"STORK-QAA-Level-3".</summary>
    public static string Name(int level)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, Lowest);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, Highest);
        return Prefix + level;
    }

    /// <summary>Exactly "STORK-QAA-Level-1" … "STORK-QAA-Level-4".</summary>
    public static bool TryParse(string? name, out int level)
    {
        level = 0;
        if (name is not { Length: 17 } || !name.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var digit = name[^1];
        if (digit is < '1' or > '4') return false;
        level = digit - '0';
        return true;
    }
}
