namespace IntegrationHub.Simulators.EfA;

/// <summary>The two demo public services the online service offers.</summary>
public static class DemoServices
{
    public const string WohngeldLeikaKey = "99107004017000";
    public const string WohngeldName = "Wohngeld (Mietzuschuss)";
    public const string WohngeldSchemaUri = "urn:integrationhub:xoev:wohngeld:1.0";

    public const string SozialhilfeLeikaKey = "99079005000000";
    public const string SozialhilfeName = "Grundsicherung / Hilfe zum Lebensunterhalt (SGB XII)";
    public const string SozialhilfeSchemaUri = "urn:integrationhub:xoev:sozialhilfe:1.0";

    /// <summary>FIT-Connect identifies a public service by its LeiKa URN.</summary>
    public static string LeikaUrn(string leikaKey) => "urn:de:fim:leika:leistung:" + leikaKey;
}
