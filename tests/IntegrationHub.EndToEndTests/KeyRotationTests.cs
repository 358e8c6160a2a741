using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Cli;
using IntegrationHub.Delivery;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Operations.Access;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The hub with operators for key rotation: a reader, an operator, an admin, and an admin who looks after Darmstadt only.
/// A collection of its own: rotating and retiring keys here disturbs no test that reads a destination's kid elsewhere.
/// </summary>
public sealed class KeyRotationHubFixture : HubFixture
{
    public const string ReaderKey = "keys-reader-e2e", OperatorKey = "keys-operator-e2e", AdminKey = "keys-admin-e2e", DarmstadtAdminKey = "keys-admin-darmstadt-e2e";

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators)
    {
        var operators = new[]
        {
            ("keys-reader", "Reader", ReaderKey, (string?)null), ("keys-operator", "Operator", OperatorKey, null),
            ("keys-admin", "Admin", AdminKey, null), ("keys-admin-darmstadt", "Admin", DarmstadtAdminKey, Darmstadt),
        };
        for (var i = 0; i < operators.Length; i++)
        {
            var (name, role, key, municipality) = operators[i];
            yield return new($"Hub:Operations:Operators:{i}:Name", name);
            yield return new($"Hub:Operations:Operators:{i}:Role", role);
            yield return new($"Hub:Operations:Operators:{i}:KeySha256", OperatorDirectory.HashKey(key));
            yield return new($"Hub:Operations:Operators:{i}:Municipalities:0", municipality ?? IntegrationHub.Operations.Operator.AllMunicipalities);
        }
    }

    public HttpClient Client(string? apiKey)
    {
        var client = Factory.CreateClient();
        if (apiKey is not null) client.DefaultRequestHeaders.Add(OperatorAuthentication.ApiKeyHeader, apiKey);
        return client;
    }
}

[CollectionDefinition(Name)]
public sealed class KeyRotationCollection : ICollectionFixture<KeyRotationHubFixture>
{
    public const string Name = "hub for destination key rotation";
}

/// <summary>
/// Destination key rotation end to end: the destination publishes the new key and still serves the old one during the
/// overlap, submissions to either are accepted and delivered, a retired key is no longer published and a submission
/// encrypted to it is rejected with destination-key-retired, which the sender sees. Each test owns one destination.
/// </summary>
[Collection(KeyRotationCollection.Name)]
public sealed class KeyRotationTests(KeyRotationHubFixture hub)
{
    private const string Api = "/api/v1/operations/municipalities/";
    private const string Problem = "urn:integrationhub:problem:";

    private static string Keys(string ars, Guid destination) => $"{Api}{ars}/destinations/{destination}/keys";

    private async Task<string> PublishedKidAsync(Guid destination) =>
        (await hub.Factory.CreateClient().GetFromJsonAsync<JsonObject>($"/v1/destinations/{destination}"))!["encryptionKid"]!.GetValue<string>();

    private Task<HttpResponseMessage> PublicKeyAsync(Guid destination, string kid) =>
        hub.Factory.CreateClient().GetAsync($"/v1/destinations/{destination}/keys/{Uri.EscapeDataString(kid)}");

    [Fact]
    public async Task Submissions_to_the_old_and_the_new_key_are_accepted_during_the_overlap_and_the_old_key_is_refused_once_retired()
    {
        var destination = HubFixture.OffenbachWohngeld;
        var admin = hub.Client(KeyRotationHubFixture.AdminKey);
        var oldKid = await PublishedKidAsync(destination);
        var oldJwk = (await (await PublicKeyAsync(destination, oldKid)).Content.ReadFromJsonAsync<JsonObject>())!;

        var rotate = await admin.PostAsJsonAsync(Keys(HubFixture.Offenbach, destination), new { overlap = "14d" });

        rotate.StatusCode.Should().Be(HttpStatusCode.Created, await rotate.Content.ReadAsStringAsync());
        var rotation = (await rotate.Content.ReadFromJsonAsync<JsonObject>())!;
        var newKid = rotation["kid"]!.GetValue<string>();
        newKid.Should().NotBe(oldKid).And.StartWith($"{destination:N}-enc-");
        rotation["previousKid"]!.GetValue<string>().Should().Be(oldKid);
        rotation["previousRetiresAt"]!.GetValue<DateTimeOffset>().Should().BeCloseTo(DateTimeOffset.UtcNow.AddDays(14), TimeSpan.FromMinutes(1));
        (await PublishedKidAsync(destination)).Should().Be(newKid);
        (await PublicKeyAsync(destination, oldKid)).StatusCode.Should().Be(HttpStatusCode.OK, "a sender that fetched the old kid still gets its key");
        var newJwk = (await (await PublicKeyAsync(destination, newKid)).Content.ReadFromJsonAsync<JsonObject>())!;
        newJwk["kid"]!.GetValue<string>().Should().Be(newKid);
        newJwk["n"]!.GetValue<string>().Should().NotBe(oldJwk["n"]!.GetValue<string>());

        var application = ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 701, withAttachment: true);
        var toOld = await hub.Sender().SubmitAsync(application, destination, new SubmitOptions { EncryptionKid = oldKid });
        var toNew = await hub.Sender().SubmitAsync(application with { Xml = ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 702).Xml },
            destination);
        foreach (var outcome in new[] { toOld, toNew })
        {
            outcome.Accepted.Should().BeTrue(outcome.Problem?.ToJsonString());
            var (submission, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
            submission.Status.Should().Be(SubmissionStatus.Accepted, submission.ProblemDetail);
            deliveries.Should().ContainSingle(d => d.Step == DeliverySteps.Handover).Which.Status.Should().Be(DeliveryStatus.Delivered);
        }

        var retire = await admin.PostAsync($"{Keys(HubFixture.Offenbach, destination)}/{oldKid}/retire", null);

        retire.StatusCode.Should().Be(HttpStatusCode.OK, await retire.Content.ReadAsStringAsync());
        (await retire.Content.ReadFromJsonAsync<JsonObject>())!["alreadyRetired"]!.GetValue<bool>().Should().BeFalse();
        (await PublishedKidAsync(destination)).Should().Be(newKid);
        var gone = await PublicKeyAsync(destination, oldKid);
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await gone.Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>().Should().Be(Problem + "key-not-found");

        // A sender that kept the old key encrypts to it anyway.
        var sender = hub.Sender();
        var late = await sender.SubmitAsync(ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 703, withAttachment: true),
            destination, new SubmitOptions { EncryptionKey = oldJwk });
        late.SubmitStatus.Should().Be(202, "the hub takes the encrypted submission; validation decides afterwards");
        var (rejected, none) = await hub.WaitUntilSettledAsync(late.SubmissionId!.Value);
        rejected.Status.Should().Be(SubmissionStatus.Rejected);
        rejected.ProblemType.Should().Be(Problem + "destination-key-retired");
        rejected.ProblemDetail.Should().Contain(oldKid).And.Contain("encryptionKid");
        none.Should().BeEmpty("nothing of a rejected submission is forwarded");
        (await sender.GetSubmissionAsync(rejected.Id))["status"]!.GetValue<string>().Should().Be("rejected");
        var log = await sender.GetEventLogAsync(late.CaseId!.Value);
        var jwks = JsonNode.Parse(await hub.Factory.CreateClient().GetStringAsync("/.well-known/jwks.json"))!;
        var reject = SecurityEventTokenValidator.Verify(log["eventLog"]!.AsArray().Last()!.GetValue<string>(), Jwk.ImportPublic(jwks["keys"]![0]!.AsObject()));
        reject.EventUri.Should().Be(FitConnectEvents.RejectSubmission);
        reject.EventPayload!["problems"]![0]!["type"]!.GetValue<string>().Should().Be(Problem + "destination-key-retired");

        // The submission accepted with the old key during the overlap is still readable for delivery (e.g. a retry).
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        var reader = scope.ServiceProvider.GetRequiredService<IntegrationHub.Validation.SubmissionReader>();
        var accepted = await scope.ServiceProvider.GetRequiredService<HubDbContext>().Submissions.AsNoTracking().SingleAsync(s => s.Id == toOld.SubmissionId);
        (await reader.ReadForDeliveryAsync(accepted, default)).Data.Should().Equal(application.Xml);

        var audit = await hub.InLedgerAsync(db => db.OperatorAudit.AsNoTracking().Where(e => e.Actor == "keys-admin" && e.Subject.Contains(destination.ToString())).ToListAsync());
        audit.Select(e => e.Action).Should().BeEquivalentTo(["destination-key-rotated", "destination-key-retired"]);
        audit.Single(e => e.Action == "destination-key-retired").Detail.Should().Contain(oldKid);
    }

    [Fact]
    public async Task The_current_key_cannot_be_retired_and_the_keys_list_shows_each_state()
    {
        var destination = HubFixture.DarmstadtWohngeld;
        var admin = hub.Client(KeyRotationHubFixture.DarmstadtAdminKey);
        var firstKid = await PublishedKidAsync(destination);

        var refused = await admin.PostAsync($"{Keys(HubFixture.Darmstadt, destination)}/{firstKid}/retire", null);
        refused.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await refused.Content.ReadFromJsonAsync<JsonObject>())!["type"]!.GetValue<string>().Should().Be(Problem + "destination-key-current");

        (await admin.PostAsJsonAsync(Keys(HubFixture.Darmstadt, destination), new { overlap = "2.00:00:00" })).StatusCode.Should().Be(HttpStatusCode.Created);
        var list = (await hub.Client(KeyRotationHubFixture.ReaderKey).GetFromJsonAsync<JsonObject>(Keys(HubFixture.Darmstadt, destination)))!;

        var keys = list["keys"]!.AsArray();
        keys.Select(k => k!["state"]!.GetValue<string>()).Should().Equal("accepted", "current");
        keys[0]!["kid"]!.GetValue<string>().Should().Be(firstKid);
        keys[0]!["retiresAt"]!.GetValue<DateTimeOffset>().Should().BeCloseTo(DateTimeOffset.UtcNow.AddDays(2), TimeSpan.FromMinutes(1));
        keys[1]!["createdBy"]!.GetValue<string>().Should().Be("keys-admin-darmstadt");
        list["currentKid"]!.GetValue<string>().Should().Be(keys[1]!["kid"]!.GetValue<string>());

        var currentRefused = await admin.PostAsync($"{Keys(HubFixture.Darmstadt, destination)}/{keys[1]!["kid"]}/retire", null);
        currentRefused.StatusCode.Should().Be(HttpStatusCode.Conflict, "the newly published key is the current one now");
    }

    [Fact]
    public async Task Roles_municipalities_and_destinations_are_checked()
    {
        var destination = HubFixture.OffenbachSozialhilfe;
        var path = Keys(HubFixture.Offenbach, destination);

        (await hub.Client(KeyRotationHubFixture.ReaderKey).GetAsync(path)).StatusCode.Should().Be(HttpStatusCode.OK);
        await ExpectProblemAsync(await hub.Client(KeyRotationHubFixture.ReaderKey).PostAsJsonAsync(path, new { }), HttpStatusCode.Forbidden, "operator-forbidden");
        await ExpectProblemAsync(await hub.Client(KeyRotationHubFixture.OperatorKey).PostAsJsonAsync(path, new { }), HttpStatusCode.Forbidden, "operator-forbidden");
        await ExpectProblemAsync(await hub.Client(KeyRotationHubFixture.DarmstadtAdminKey).PostAsJsonAsync(path, new { }), HttpStatusCode.Forbidden,
            "operator-forbidden");
        await ExpectProblemAsync(await hub.Client(KeyRotationHubFixture.DarmstadtAdminKey).GetAsync(path), HttpStatusCode.Forbidden, "operator-forbidden");
        await ExpectProblemAsync(await hub.Client(KeyRotationHubFixture.AdminKey).GetAsync(Keys(HubFixture.Darmstadt, destination)), HttpStatusCode.NotFound,
            "destination-not-found");
        await ExpectProblemAsync(await hub.Client(KeyRotationHubFixture.AdminKey).PostAsJsonAsync(path, new { overlap = "vierzehn Tage" }), HttpStatusCode.BadRequest,
            "invalid-request");
        await ExpectProblemAsync(await hub.Client(KeyRotationHubFixture.AdminKey).PostAsync($"{path}/{Guid.NewGuid():N}-enc-1/retire", null), HttpStatusCode.NotFound,
            "key-not-found");

        (await PublishedKidAsync(destination)).Should().Be($"{destination:N}-enc-1", "nothing here rotated it");
    }

    [Fact]
    public async Task A_municipality_from_a_file_rotates_its_destination_key_like_one_from_the_settings()
    {
        const string ars = "064399990000";
        var destination = Guid.Parse("5e0d7c3a-2f41-4b6e-8a9d-1c2b3a4d5e6f");
        var tenants = hub.Factory.Services.GetRequiredService<TenantDirectory>();
        var services = tenants.FindDestination(HubFixture.OffenbachWohngeld)!.Destination.Services;
        tenants.Activate([new OnboardedMunicipality(new TenantOptions { Ars = ars, Name = "Musterstadt (Datei)", Destinations = [new DestinationOptions { Id = destination, Services = services }] },
            [], new Dictionary<string, IReadOnlyList<Guid>>(), 1)], new HashSet<string>());
        var before = await PublishedKidAsync(destination);

        var rotate = await hub.Client(KeyRotationHubFixture.AdminKey).PostAsJsonAsync(Keys(ars, destination), new { overlap = "0d" });

        rotate.StatusCode.Should().Be(HttpStatusCode.Created, await rotate.Content.ReadAsStringAsync());
        var kid = (await rotate.Content.ReadFromJsonAsync<JsonObject>())!["kid"]!.GetValue<string>();
        (await PublishedKidAsync(destination)).Should().Be(kid);
        (await PublicKeyAsync(destination, before)).StatusCode.Should().Be(HttpStatusCode.NotFound, "no overlap: the old key retired with the rotation");
    }

    [Fact]
    public async Task Hubctl_lists_rotates_and_retires_destination_keys()
    {
        var destination = HubFixture.DarmstadtSozialhilfe;
        var oldKid = await PublishedKidAsync(destination);

        var (exit, output, error) = await HubctlAsync(KeyRotationHubFixture.AdminKey, "tenant", "rotate-key", HubFixture.Darmstadt, destination.ToString(), "--overlap", "3d");
        exit.Should().Be(Hubctl.Ok, error);
        var newKid = await PublishedKidAsync(destination);
        output.Should().Contain($"now publishes key {newKid}").And.Contain($"Key {oldKid} stays accepted until {DateTimeOffset.UtcNow.AddDays(3):yyyy-MM-dd}");

        (exit, output, error) = await HubctlAsync(KeyRotationHubFixture.ReaderKey, "tenant", "keys", HubFixture.Darmstadt, destination.ToString());
        exit.Should().Be(Hubctl.Ok, error);
        output.Should().Contain($"publishes key {newKid}").And.Contain(oldKid).And.Contain("accepted until").And.Contain("current").And.Contain("keys-admin");

        (exit, output, error) = await HubctlAsync(KeyRotationHubFixture.AdminKey, "tenant", "retire-key", HubFixture.Darmstadt, destination.ToString(), newKid);
        exit.Should().Be(Hubctl.Refused);
        error.Should().Contain("The destination's current key cannot be retired; rotate first");

        (exit, output, error) = await HubctlAsync(KeyRotationHubFixture.AdminKey, "tenant", "retire-key", HubFixture.Darmstadt, destination.ToString(), oldKid);
        exit.Should().Be(Hubctl.Ok, error);
        output.Should().Contain($"Key {oldKid} is retired");

        (exit, output, error) = await HubctlAsync(KeyRotationHubFixture.ReaderKey, "tenant", "keys", HubFixture.Darmstadt, destination.ToString(), "--json");
        exit.Should().Be(Hubctl.Ok, error);
        var keys = JsonNode.Parse(output)!["keys"]!.AsArray();
        keys.Select(k => (k!["kid"]!.GetValue<string>(), k["state"]!.GetValue<string>())).Should().Equal((oldKid, "retired"), (newKid, "current"));

        (exit, _, error) = await HubctlAsync(KeyRotationHubFixture.AdminKey, "tenant", "rotate-key", HubFixture.Darmstadt, destination.ToString(), "--overlap", "bald");
        exit.Should().Be(Hubctl.Refused);
        error.Should().Contain("overlap must be a duration");
        (await PublishedKidAsync(destination)).Should().Be(newKid, "a refused rotation changes nothing");
    }

    private Task<(int Exit, string Output, string Error)> HubctlAsync(string key, params string[] args) =>
        HubctlRunner.RunAsync(hub.Factory.CreateClient(), [.. args, "--api-key", key]);

    private static async Task ExpectProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, body);
        JsonNode.Parse(body)!["type"]!.GetValue<string>().Should().Be(Problem + type);
    }
}
