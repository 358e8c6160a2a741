using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators.EfA;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static IntegrationHub.UnitTests.Simulators.SimulatorTestSupport;

namespace IntegrationHub.UnitTests.Simulators;

/// <summary>A tiny FIT-Connect delivery service that records what the sender does.</summary>
internal sealed class FakeFitConnect : IAsyncDisposable
{
    public const string ClientId = "efa-test-client";
    public const string ClientSecret = "not-a-real-secret";
    public const string Kid = "dest-key-1";

    private readonly WebApplication _app;

    private FakeFitConnect(WebApplication app, RSA key, Uri baseAddress)
    {
        _app = app;
        Key = key;
        BaseAddress = baseAddress;
    }

    public RSA Key { get; }

    public Uri BaseAddress { get; }

    public Guid DestinationId { get; } = Guid.NewGuid();

    public ConcurrentQueue<Recorded> Requests { get; } = new();

    /// <summary>Status the announce step answers (201 normally).</summary>
    public int CreateStatus { get; set; } = 201;

    public int TokensIssued;

    public sealed record Recorded(string Method, string Path, string? ContentType, string? Authorization, string Body);

    public static async Task<FakeFitConnect> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var key = RSA.Create(2048);
        FakeFitConnect? self = null;

        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
            context.Request.Body.Position = 0;
            self!.Requests.Enqueue(new Recorded(
                context.Request.Method,
                context.Request.Path.Value!,
                context.Request.ContentType,
                context.Request.Headers.Authorization.ToString(),
                body));
            if (context.Request.Path != "/token" && context.Request.Headers.Authorization.ToString() != "Bearer token-1")
            {
                context.Response.StatusCode = 401;
                return;
            }

            await next(context);
        });

        app.MapPost("/token", async context =>
        {
            var form = await context.Request.ReadFormAsync();
            if (form["grant_type"] != "client_credentials" || form["client_id"] != ClientId || form["client_secret"] != ClientSecret)
            {
                await Json(context, 401, new JsonObject { ["error"] = "invalid_client" });
                return;
            }

            var n = Interlocked.Increment(ref self!.TokensIssued);
            await Json(context, 200, new JsonObject { ["access_token"] = $"token-{n}", ["token_type"] = "Bearer", ["expires_in"] = 1800 });
        });
        app.MapGet("/v1/destinations/{id:guid}", context => Json(context, 200, new JsonObject
        {
            ["destinationId"] = self!.DestinationId.ToString(),
            ["status"] = "active",
            ["encryptionKid"] = Kid,
            ["services"] = new JsonArray(new JsonObject
            {
                ["identifier"] = DemoServices.LeikaUrn(DemoServices.WohngeldLeikaKey),
                ["submissionSchemas"] = new JsonArray(new JsonObject { ["schemaUri"] = DemoServices.WohngeldSchemaUri, ["mimeType"] = "application/xml" }),
                ["regions"] = new JsonArray("DE06435014"),
            }),
        }));
        app.MapGet("/v1/destinations/{id:guid}/keys/{kid}", context => Json(context, 200, PublicJwk(key, Kid)));
        app.MapPost("/v1/submissions", async context =>
        {
            if (self!.CreateStatus != 201)
            {
                await Json(context, self.CreateStatus, new JsonObject { ["type"] = "urn:test:destination-unknown", ["title"] = "nope", ["status"] = self.CreateStatus }, "application/problem+json");
                return;
            }

            var announcement = (await JsonNode.ParseAsync(context.Request.Body))!;
            await Json(context, 201, new JsonObject
            {
                ["destinationId"] = announcement["destinationId"]!.GetValue<string>(),
                ["submissionId"] = Guid.NewGuid().ToString(),
                ["caseId"] = Guid.NewGuid().ToString(),
            });
        });
        app.MapPut("/v1/submissions/{id:guid}/attachments/{attachmentId:guid}", context =>
        {
            context.Response.StatusCode = context.Request.ContentType == "application/jose" ? 204 : 415;
            return Task.CompletedTask;
        });
        app.MapPut("/v1/submissions/{id:guid}", context => Json(context, 202, new JsonObject
        {
            ["destinationId"] = self!.DestinationId.ToString(),
            ["submissionId"] = context.Request.RouteValues["id"]!.ToString(),
            ["caseId"] = Guid.NewGuid().ToString(),
        }));
        app.MapGet("/v1/submissions/{id:guid}", context => Json(context, 200, new JsonObject { ["submissionId"] = context.Request.RouteValues["id"]!.ToString() }));
        app.MapGet("/v1/cases/{id:guid}/events", context => Json(context, 200, new JsonObject { ["eventLog"] = new JsonArray() }));

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeFitConnect(app, key, new Uri(address + "/"));
        return self;
    }

    public Recorded[] All(string method, string pathPrefix) =>
        Requests.Where(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal)).ToArray();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Key.Dispose();
    }

    private static async Task Json(HttpContext context, int status, JsonNode body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body.ToJsonString());
    }
}

public sealed class EfaOnlineServiceTests
{
    [Fact]
    public async Task Submit_runs_the_fit_connect_sender_flow()
    {
        await using var fake = await FakeFitConnect.StartAsync();
        using var http = new HttpClient { BaseAddress = fake.BaseAddress };
        var sender = new EfaOnlineService(http, FakeFitConnect.ClientId, FakeFitConnect.ClientSecret);
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 4);
        application.Attachments.Should().ContainSingle();

        var outcome = await sender.SubmitAsync(application, fake.DestinationId);

        outcome.CreateStatus.Should().Be(201);
        outcome.SubmitStatus.Should().Be(202);
        outcome.Accepted.Should().BeTrue();
        outcome.Problem.Should().BeNull();
        outcome.SubmissionId.Should().NotBeNull();
        outcome.CaseId.Should().NotBeNull();
        outcome.AttachmentStatuses.Should().Equal(204);

        // Every API call carries the bearer token; the token endpoint is called once.
        fake.TokensIssued.Should().Be(1);
        fake.Requests.Where(r => r.Path != "/token").Should().OnlyContain(r => r.Authorization == "Bearer token-1");
        fake.All("GET", $"/v1/destinations/{fake.DestinationId}").Should().HaveCount(2, "destination and its key");

        var announcement = JsonNode.Parse(fake.All("POST", "/v1/submissions").Single().Body)!;
        announcement["destinationId"]!.GetValue<string>().Should().Be(fake.DestinationId.ToString());
        announcement["announcedAttachments"]!.AsArray().Select(a => a!.GetValue<string>()).Should().Equal(application.Attachments[0].AttachmentId.ToString());
        announcement["serviceType"]!["identifier"]!.GetValue<string>().Should().Be("urn:de:fim:leika:leistung:99107004017000");
        announcement["serviceType"]!["name"]!.GetValue<string>().Should().Be(DemoServices.WohngeldName);

        var upload = fake.All("PUT", $"/v1/submissions/{outcome.SubmissionId}/attachments/").Single();
        upload.Path.Should().EndWith(application.Attachments[0].AttachmentId.ToString());
        upload.ContentType.Should().Be("application/jose");
        var (attachmentHeader, attachmentPlain) = DecryptJwe(upload.Body, fake.Key);
        attachmentHeader["kid"]!.GetValue<string>().Should().Be(FakeFitConnect.Kid);
        attachmentPlain.Should().Equal(application.Attachments[0].Content);

        var submit = JsonNode.Parse(fake.All("PUT", $"/v1/submissions/{outcome.SubmissionId}").Single(r => !r.Path.Contains("/attachments/")).Body)!;
        var (_, data) = DecryptJwe(submit["encryptedData"]!.GetValue<string>(), fake.Key);
        data.Should().Equal(application.Xml);
        var (_, metadataBytes) = DecryptJwe(submit["encryptedMetadata"]!.GetValue<string>(), fake.Key);
        var metadata = JsonNode.Parse(metadataBytes)!;
        metadata["$schema"]!.GetValue<string>().Should().Be("https://schema.fitko.de/fit-connect/metadata/1.2.0/metadata.schema.json");
        var dataStructure = metadata["contentStructure"]!["data"]!;
        dataStructure["hash"]!["type"]!.GetValue<string>().Should().Be("sha512");
        dataStructure["hash"]!["content"]!.GetValue<string>().Should().Be(Convert.ToHexStringLower(SHA512.HashData(data)));
        dataStructure["submissionSchema"]!["schemaUri"]!.GetValue<string>().Should().Be(DemoServices.WohngeldSchemaUri);
        dataStructure["submissionSchema"]!["mimeType"]!.GetValue<string>().Should().Be("application/xml");
        var attachmentMeta = metadata["contentStructure"]!["attachments"]!.AsArray().Single()!;
        attachmentMeta["attachmentId"]!.GetValue<string>().Should().Be(application.Attachments[0].AttachmentId.ToString());
        attachmentMeta["hash"]!["content"]!.GetValue<string>().Should().Be(Convert.ToHexStringLower(SHA512.HashData(attachmentPlain)));
        attachmentMeta["purpose"]!.GetValue<string>().Should().Be("attachment");
        attachmentMeta["mimeType"]!.GetValue<string>().Should().Be("application/pdf");
        metadata["publicServiceType"]!["identifier"]!.GetValue<string>().Should().Be(application.LeikaUrn);
        var auth = metadata["authenticationInformation"]!.AsArray().Single()!;
        auth["type"]!.GetValue<string>().Should().Be("identificationReport");
        var report = auth["content"]!.GetValue<string>().Split('.');
        JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(report[1]))!["storkQaaLevel"]!.GetValue<string>().Should().Be("STORK-QAA-Level-3");
        metadata["replyChannel"]!["eMail"]!["address"]!.GetValue<string>().Should().Contain("@");

        var status = await sender.GetSubmissionAsync(outcome.SubmissionId!.Value);
        status["submissionId"]!.GetValue<string>().Should().Be(outcome.SubmissionId.ToString());
        (await sender.GetEventLogAsync(outcome.CaseId!.Value))["eventLog"].Should().NotBeNull();
        fake.TokensIssued.Should().Be(1, "the token is cached until shortly before it expires");
    }

    [Fact]
    public async Task Tamper_switches_change_what_the_metadata_announces()
    {
        await using var fake = await FakeFitConnect.StartAsync();
        using var http = new HttpClient { BaseAddress = fake.BaseAddress };
        var sender = new EfaOnlineService(http, FakeFitConnect.ClientId, FakeFitConnect.ClientSecret);
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 1);
        application.Attachments.Should().ContainSingle();

        var outcome = await sender.SubmitAsync(application, fake.DestinationId, new SubmitOptions
        {
            TamperDataHash = true,
            TamperAttachmentHash = true,
            UseThumbprintAsKid = true,
            Compress = true,
            Cty = "application/xml",
        });

        outcome.SubmitStatus.Should().Be(202, "the fake does not check hashes; the hub must");
        var submit = JsonNode.Parse(fake.All("PUT", "/v1/submissions/").Single(r => !r.Path.Contains("/attachments/")).Body)!;
        var (dataHeader, data) = DecryptJwe(submit["encryptedData"]!.GetValue<string>(), fake.Key);
        dataHeader["zip"]!.GetValue<string>().Should().Be("DEF");
        dataHeader["cty"]!.GetValue<string>().Should().Be("application/xml");
        dataHeader["kid"]!.GetValue<string>().Should().Be(IntegrationHub.Simulators.Crypto.Jwk.Thumbprint(fake.Key));
        data.Should().Equal(application.Xml);
        var (_, metadataBytes) = DecryptJwe(submit["encryptedMetadata"]!.GetValue<string>(), fake.Key);
        var metadata = JsonNode.Parse(metadataBytes)!;
        var announcedDataHash = metadata["contentStructure"]!["data"]!["hash"]!["content"]!.GetValue<string>();
        announcedDataHash.Should().HaveLength(128).And.NotBe(Convert.ToHexStringLower(SHA512.HashData(application.Xml)));
        metadata["contentStructure"]!["attachments"]![0]!["hash"]!["content"]!.GetValue<string>()
            .Should().NotBe(Convert.ToHexStringLower(SHA512.HashData(application.Attachments[0].Content)));
    }

    [Fact]
    public async Task Skipping_the_upload_sends_no_attachment()
    {
        await using var fake = await FakeFitConnect.StartAsync();
        using var http = new HttpClient { BaseAddress = fake.BaseAddress };
        var sender = new EfaOnlineService(http, FakeFitConnect.ClientId, FakeFitConnect.ClientSecret);

        var outcome = await sender.SubmitAsync(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2), fake.DestinationId, new SubmitOptions { SkipAttachmentUpload = true });

        outcome.SubmitStatus.Should().Be(202);
        outcome.AttachmentStatuses.Should().BeEmpty();
        fake.Requests.Should().NotContain(r => r.Path.Contains("/attachments/"));
    }

    [Fact]
    public async Task A_refused_announcement_is_returned_not_thrown()
    {
        await using var fake = await FakeFitConnect.StartAsync();
        fake.CreateStatus = 404;
        using var http = new HttpClient { BaseAddress = fake.BaseAddress };
        var sender = new EfaOnlineService(http, FakeFitConnect.ClientId, FakeFitConnect.ClientSecret);

        var outcome = await sender.SubmitAsync(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2), fake.DestinationId);

        outcome.CreateStatus.Should().Be(404);
        outcome.SubmitStatus.Should().BeNull();
        outcome.SubmissionId.Should().BeNull();
        outcome.FailedStep.Should().Be("create");
        outcome.Accepted.Should().BeFalse();
        outcome.Problem!["type"]!.GetValue<string>().Should().Be("urn:test:destination-unknown");
        fake.Requests.Should().NotContain(r => r.Method == "PUT");
    }

    [Fact]
    public async Task Wrong_client_credentials_stop_at_the_token_step()
    {
        await using var fake = await FakeFitConnect.StartAsync();
        using var http = new HttpClient { BaseAddress = fake.BaseAddress };
        var sender = new EfaOnlineService(http, FakeFitConnect.ClientId, "wrong");

        var outcome = await sender.SubmitAsync(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 2), fake.DestinationId);

        outcome.CreateStatus.Should().Be(0);
        outcome.FailedStep.Should().Be("token");
        outcome.Problem!["error"]!.GetValue<string>().Should().Be("invalid_client");
        fake.Requests.Should().OnlyContain(r => r.Path == "/token");
    }
}
