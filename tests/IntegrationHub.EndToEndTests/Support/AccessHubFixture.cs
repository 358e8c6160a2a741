using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Intake;
using IntegrationHub.OnceOnly;
using IntegrationHub.Operations.Access;
using IntegrationHub.Simulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The hub with every kind of caller on both sides of the tenant line, Offenbach (A) and Darmstadt (B): sender clients
/// limited to one municipality's destinations, evidence requesters of each, operators limited to Offenbach, Darmstadt's
/// Sozialhilfe routed to its own Prosoz-like target (prosoz-b, its own callback secret), a FIT-Connect delivery service,
/// the access protocol's API key. On a real port, so the console is reached with cookies.
/// </summary>
public sealed class AccessHubFixture : HubFixture
{
    public const string OffenbachClientId = "efa-offenbach-only";
    public const string DarmstadtClientId = NarrowClientId; // Darmstadt's Wohngeld destination only
    public const string RequesterOffenbach = "prosoz-sgb12-of", RequesterDarmstadt = "wohngeld-da";
    public const string OffenbachReaderKey = "access-of-reader", OffenbachOperatorKey = "access-of-operator", OffenbachAdminKey = "access-of-admin";
    public const string ReaderKey = "reader-local-only", OperatorKey = "operator-local-only", AdminKey = "admin-local-only";
    public const string DarmstadtTarget = "prosoz-b", DeliveryServiceName = "fitko";

    public string RequesterSecret { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
    public string DarmstadtCallbackSecret { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    public string ProtocolApiKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
    public ScriptedEvidenceProvider Provider { get; } = new();

    protected override bool ListensOnRealPort => true;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Factory.Services.GetRequiredService<SenderClients>().Register(OffenbachClientId, ClientSecret, [OffenbachWohngeld, OffenbachSozialhilfe]);
    }

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators)
    {
        var requesterHash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(RequesterSecret)));
        var settings = new Dictionary<string, string>
        {
            // B's Sozialhilfe goes to B's own procedure instance (Tenants:1 is Darmstadt, Routes:1 its Sozialhilfe route).
            [$"Hub:Targets:{DarmstadtTarget}:Kind"] = "Prosoz",
            [$"Hub:Targets:{DarmstadtTarget}:BaseUrl"] = new Uri(simulators.BaseAddress, "prosoz/").ToString(),
            [$"Hub:Targets:{DarmstadtTarget}:CallbackSecret"] = DarmstadtCallbackSecret,
            ["Hub:Tenants:1:Routes:1:Targets:0"] = DarmstadtTarget,
            ["Hub:Operations:EditAndRetry:Enabled"] = "true",
            ["Hub:OnceOnly:ProtocolApiKeySha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(ProtocolApiKey))),
            ["Hub:OnceOnly:ProtocolKey"] = "end-to-end-protocol-key",
            ["Hub:OnceOnly:SyncTimeout"] = "00:00:02",
            ["Hub:Targets:melderegister-of:Kind"] = "EvidenceProvider",
            ["Hub:Targets:melderegister-of:BaseUrl"] = "http://melderegister-of.invalid/",
            ["Hub:Targets:melderegister-da:Kind"] = "EvidenceProvider",
            ["Hub:Targets:melderegister-da:BaseUrl"] = "http://melderegister-da.invalid/",
            ["Hub:Tenants:0:Evidence:Providers:0:Type"] = EvidenceTypes.Meldedaten,
            ["Hub:Tenants:0:Evidence:Providers:0:Target"] = "melderegister-of",
            ["Hub:Tenants:0:Evidence:Providers:0:LegalBases:0"] = "§ 67a Abs. 1 SGB X",
            ["Hub:Tenants:1:Evidence:Providers:0:Type"] = EvidenceTypes.Meldedaten,
            ["Hub:Tenants:1:Evidence:Providers:0:Target"] = "melderegister-da",
            ["Hub:Tenants:1:Evidence:Providers:0:LegalBases:0"] = "§ 23 Abs. 3 WoGG",
            ["Hub:EvidenceRequesters:0:ClientId"] = RequesterOffenbach,
            ["Hub:EvidenceRequesters:0:SecretSha256"] = requesterHash,
            ["Hub:EvidenceRequesters:0:Ars"] = Offenbach,
            ["Hub:EvidenceRequesters:0:Authority"] = "Sozialamt Offenbach",
            ["Hub:EvidenceRequesters:0:Procedure"] = "Prosoz SGB XII",
            ["Hub:EvidenceRequesters:0:EvidenceTypes:0"] = EvidenceTypes.Meldedaten,
            ["Hub:EvidenceRequesters:0:LegalBases:MELDEDATEN:0"] = "§ 23 Abs. 3 WoGG",
            ["Hub:EvidenceRequesters:1:ClientId"] = RequesterDarmstadt,
            ["Hub:EvidenceRequesters:1:SecretSha256"] = requesterHash,
            ["Hub:EvidenceRequesters:1:Ars"] = Darmstadt,
            ["Hub:EvidenceRequesters:1:Authority"] = "Wohngeldstelle Darmstadt",
            ["Hub:EvidenceRequesters:1:Procedure"] = "Marius Wohngeld",
            ["Hub:EvidenceRequesters:1:EvidenceTypes:0"] = EvidenceTypes.Meldedaten,
            ["Hub:EvidenceRequesters:1:LegalBases:MELDEDATEN:0"] = "§ 23 Abs. 3 WoGG",
            // The test's callback is on loopback over http: allowed only with the development setting and on the allow-list.
            ["Hub:OnceOnly:AllowHttpLoopbackCallbacks"] = "true",
            ["Hub:EvidenceRequesters:1:CallbackOrigins:0"] = "http://127.0.0.1:9",
            ["Hub:EvidenceRequesters:1:CallbackSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            [$"Hub:DeliveryServices:{DeliveryServiceName}:BaseUrl"] = new Uri(simulators.BaseAddress, "fitconnect/").ToString(),
            [$"Hub:DeliveryServices:{DeliveryServiceName}:ClientId"] = "hub-subscriber",
            [$"Hub:DeliveryServices:{DeliveryServiceName}:ClientSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)),
            [$"Hub:DeliveryServices:{DeliveryServiceName}:CallbackSecret"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)),
            [$"Hub:DeliveryServices:{DeliveryServiceName}:PollInterval"] = "00:00:00",
            [$"Hub:DeliveryServices:{DeliveryServiceName}:Destinations:0"] = OffenbachSozialhilfe.ToString(),
        };
        // Indexes after the embedded default's four operators (reader-local-only, operator-local-only, admin-local-only, approver-local-only).
        var operators = new (string Name, string Role, string Key)[]
        {
            ("of-reader", "Reader", OffenbachReaderKey), ("of-operator", "Operator", OffenbachOperatorKey), ("of-admin", "Admin", OffenbachAdminKey),
        };
        for (var i = 0; i < operators.Length; i++)
        {
            var prefix = $"Hub:Operations:Operators:{10 + i}:";
            settings[prefix + "Name"] = operators[i].Name;
            settings[prefix + "Role"] = operators[i].Role;
            settings[prefix + "KeySha256"] = OperatorDirectory.HashKey(operators[i].Key);
            settings[prefix + "Municipalities:0"] = Offenbach;
        }
        return settings;
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.RemoveAll<IEvidenceProvider>();
        services.AddSingleton<IEvidenceProvider>(Provider);
    }

    /// <summary>A client of the hub with an operator's API key (or none).</summary>
    public HttpClient Operations(string? key)
    {
        var client = Factory.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Add(OperatorAuthentication.ApiKeyHeader, key);
        return client;
    }

    /// <summary>A client of the hub carrying a sender's access token from /token.</summary>
    public async Task<HttpClient> SenderApiAsync(string clientId)
    {
        var client = Factory.CreateClient();
        var response = await client.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = ClientSecret,
        }));
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A client of the hub carrying an evidence requester's access token.</summary>
    public async Task<HttpClient> RequesterApiAsync(string clientId)
    {
        var client = Factory.CreateClient();
        var response = await client.PostAsync("/api/v1/evidence/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = RequesterSecret,
        }));
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}

[CollectionDefinition(Name)]
public sealed class AccessCollection : ICollectionFixture<AccessHubFixture>
{
    public const string Name = "hub with callers of two municipalities";
}
