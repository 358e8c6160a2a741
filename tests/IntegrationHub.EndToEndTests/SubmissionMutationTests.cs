using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using IntegrationHub.Contracts;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Problems;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// Issue 8's mutation test: valid submissions, altered at random from a fixed seed (bit flips, truncation, inserted and
/// deleted bytes in the JWE parts or in the XML and metadata before encryption, header field swaps, duplicated elements,
/// namespace changes, huge values). The bulk runs in-process through the hub's own decision
/// (<see cref="SubmissionReceivedConsumer.CheckAsync"/>: decryption, hashes, XML policy, contract, business rules); a
/// sample goes end to end over HTTP. Never an unexpected exception, never a 5xx, never a fault in a consumer, never a
/// forwarded document that breaks its contract. Each case is made from (seed, case number) alone: a failure names both.
/// </summary>
[Collection(HostileInputCollection.Name)]
public sealed class SubmissionMutationTests(HostileInputHubFixture hub, ITestOutputHelper output)
{
    private const int Seed = 20_261_205;
    private const int InProcessMaxCases = 4_000;
    private static readonly TimeSpan InProcessBudget = TimeSpan.FromSeconds(45);
    private const int HttpMaxCases = 400;
    private static readonly TimeSpan HttpBudget = TimeSpan.FromSeconds(60);
    private static readonly Guid Destination = HubFixture.DarmstadtSozialhilfe;
    private static readonly HashSet<string> KnownProblemTypes = typeof(ProblemTypes).GetFields()
        .Select(f => f.GetValue(null)).OfType<ProblemType>().Select(p => p.Uri).ToHashSet();

    [Fact]
    public async Task Thousands_of_mutated_submissions_are_decided_in_process_as_accepted_or_a_specific_problem_and_nothing_else()
    {
        var keys = hub.Factory.Services.GetRequiredService<KeyStore>();
        var tenants = hub.Factory.Services.GetRequiredService<TenantDirectory>();
        var options = hub.Factory.Services.GetRequiredService<IOptions<HubOptions>>();
        var (publicKey, kid) = await new RawSender(hub).KeyAsync(Destination);
        var failures = new ConcurrentBag<string>();
        var outcomes = new ConcurrentDictionary<string, int>();
        var clock = Stopwatch.StartNew();
        var done = 0;

        await Parallel.ForEachAsync(Enumerable.Range(0, InProcessMaxCases), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) },
            async (caseNumber, ct) =>
            {
                if (clock.Elapsed > InProcessBudget) return;
                var mutated = Mutate(Seed, caseNumber, publicKey, kid);
                var blobs = new MemoryBlobStore();
                var submission = new Submission
                {
                    Id = Guid.NewGuid(), CaseId = Guid.NewGuid(), DestinationId = Destination, Ars = HubFixture.Darmstadt,
                    LeikaKey = DemoServices.SozialhilfeLeikaKey, Status = SubmissionStatus.Submitted,
                    AnnouncedAttachments = string.Join(',', mutated.Attachments.Keys),
                };
                blobs.Put(SubmissionBlobs.Metadata(submission.Id), mutated.Metadata);
                blobs.Put(SubmissionBlobs.Data(submission.Id), mutated.Data);
                foreach (var (id, jwe) in mutated.Attachments) blobs.Put(SubmissionBlobs.Attachment(submission.Id, id), jwe);
                string outcome;
                try
                {
                    var content = await SubmissionReceivedConsumer.CheckAsync(submission, new SubmissionReader(blobs, keys, options), tenants, options.Value.Limits, ct);
                    outcome = "accepted";
                    if (ContractErrors(content.Data) is { } errors)
                        failures.Add($"case {caseNumber} ({mutated.Description}): accepted a document that breaks its contract: {errors}");
                }
                catch (SubmissionProblemException e)
                {
                    outcome = e.Type.Name;
                }
                catch (Exception e)
                {
                    outcome = "unexpected " + e.GetType().Name;
                    failures.Add($"case {caseNumber} ({mutated.Description}): {e.GetType().FullName}: {e.Message}");
                }
                outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                Interlocked.Increment(ref done);
            });

        output.WriteLine($"Mutation test in-process: seed {Seed}, {done} cases in {clock.Elapsed.TotalSeconds:0.0} s (bound: {InProcessMaxCases} cases or {InProcessBudget.TotalSeconds:0} s)");
        foreach (var (outcome, count) in outcomes.OrderByDescending(o => o.Value)) output.WriteLine($"  {outcome}: {count}");
        failures.Should().BeEmpty($"seed {Seed}: every mutated submission is accepted or rejected with a specific problem");
        done.Should().BeGreaterThan(1_000, "the bound must leave room for thousands of cases");
        outcomes.Keys.Where(o => o != "accepted").Should().HaveCountGreaterThan(5, "the mutations reach many different defences");
    }

    [Fact]
    public async Task Hundreds_of_mutated_submissions_over_HTTP_never_get_a_5xx_never_fault_a_consumer_and_never_forward_an_invalid_document()
    {
        var sender = new RawSender(hub);
        var (publicKey, kid) = await sender.KeyAsync(Destination);
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 1, withAttachment: true);
        var clock = Stopwatch.StartNew();
        var sent = new List<(Guid SubmissionId, int CaseNumber, string Description)>();
        var refused = new Dictionary<string, int>();
        var serverErrors = new List<string>();

        // Other case numbers than the in-process bulk: this sample is a further draw from the same seed.
        for (var caseNumber = 1_000_000; caseNumber < 1_000_000 + HttpMaxCases && clock.Elapsed < HttpBudget; caseNumber++)
        {
            var mutated = Mutate(Seed, caseNumber, publicKey, kid);
            var create = await sender.CreateAsync(Destination, application.ServiceName, application.LeikaUrn, mutated.Attachments.Keys);
            var created = await RawSender.JsonAsync(create);
            var submissionId = created["submissionId"]!.GetValue<Guid>();
            var answers = new List<HttpResponseMessage> { create };
            foreach (var (id, jwe) in mutated.Attachments) answers.Add(await sender.UploadAsync(submissionId, id, jwe));
            if (answers.All(a => a.IsSuccessStatusCode))
                answers.Add(await sender.SubmitAsync(submissionId, mutated.Metadata, mutated.Data));
            foreach (var answer in answers.Where(a => (int)a.StatusCode >= 500))
                serverErrors.Add($"case {caseNumber} ({mutated.Description}): {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            var last = answers[^1];
            if (last.StatusCode == HttpStatusCode.Accepted) sent.Add((submissionId, caseNumber, mutated.Description));
            else
            {
                var type = await RawSender.ProblemTypeAsync(last);
                KnownProblemTypes.Should().Contain(type, $"case {caseNumber} ({mutated.Description}) is refused with a specific problem");
                refused[type] = refused.GetValueOrDefault(type) + 1;
            }
        }

        // Every failure is collected, so one run shows them all, each with its case number.
        var failures = new List<string>();
        var decided = new Dictionary<string, int>();
        var forwarded = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        var failedMessages = scope.ServiceProvider.GetRequiredService<IFailedMessages>();
        foreach (var (submissionId, caseNumber, description) in sent)
        {
            var what = $"case {caseNumber} ({description})";
            Submission submission;
            List<TargetDelivery> deliveries;
            try
            {
                var left = deadline - DateTime.UtcNow;
                (submission, deliveries) = await hub.WaitUntilSettledAsync(submissionId, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            }
            catch (TimeoutException e)
            {
                failures.Add($"{what}: {e.Message}");
                continue;
            }
            if (submission.ProcessingFault is not null) failures.Add($"{what}: consumer fault {submission.ProcessingFault}");
            if ((await failedMessages.ListAsync(new Operator("mutation-test", OperatorRole.Admin), new FailedMessageFilter(SubmissionId: submissionId), 0, 1, default)).Items.Count > 0)
                failures.Add($"{what}: a message in the error queue");
            var outcome = submission.Status == SubmissionStatus.Accepted ? "accepted" : submission.ProblemType ?? "no problem type";
            decided[outcome] = decided.GetValueOrDefault(outcome) + 1;
            if (submission.Status == SubmissionStatus.Rejected)
            {
                if (!KnownProblemTypes.Contains(outcome)) failures.Add($"{what}: rejected with '{outcome}'");
                if (deliveries.Count > 0 || hub.Simulators.Prosoz.CaseCountFor(submissionId) > 0) failures.Add($"{what}: rejected but forwarded");
                continue;
            }
            // Accepted: what reached the procedure passed its own signature and schema checks, and the contracts' validator.
            forwarded++;
            if (deliveries.Any(d => d.Status == DeliveryStatus.Failed)) failures.Add($"{what}: a delivery failed");
            var cases = hub.Simulators.Prosoz.Cases.Where(c => c.SubmissionId == submissionId).ToList();
            if (cases.Count != 1) failures.Add($"{what}: accepted, {cases.Count} cases at the procedure");
            if (hub.Simulators.Prosoz.Calls.Any(c => c.SubmissionId == submissionId && c.SignatureOk != true)) failures.Add($"{what}: a call without valid signature");
            if (cases.FirstOrDefault()?.Antrag is { } antrag && ContractErrors(Encoding.UTF8.GetBytes(antrag)) is { } errors)
                failures.Add($"{what}: forwarded an application that breaks its contract: {errors}");
        }

        output.WriteLine($"Mutation test over HTTP: seed {Seed}, {sent.Count + refused.Values.Sum()} cases in {clock.Elapsed.TotalSeconds:0.0} s (bound: {HttpMaxCases} cases or {HttpBudget.TotalSeconds:0} s); {forwarded} forwarded");
        foreach (var (outcome, count) in refused.Concat(decided).OrderByDescending(o => o.Value)) output.WriteLine($"  {outcome}: {count}");
        serverErrors.Should().BeEmpty($"seed {Seed}: the API never answers 5xx");
        failures.Should().BeEmpty($"seed {Seed}: no consumer faults and nothing invalid is forwarded");
        (await sender.Http.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    /// <summary>A valid submission as the sender would encrypt it, then one mutation, chosen from (seed, case number) only.</summary>
    private static MutatedSubmission Mutate(int seed, int caseNumber, System.Security.Cryptography.RSA key, string kid)
    {
        // Not HashCode.Combine: it is randomized per process, and the case must be the same in every run.
        var random = new Random(unchecked(seed * 1_000_003 + caseNumber));
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: caseNumber % 50, withAttachment: random.Next(2) == 0);
        var xml = application.Xml;
        var metadata = BuildMetadata(application);
        var description = "none";
        var compress = random.Next(8) == 0;
        var rehash = random.Next(10) != 0; // now and then the sender's hash no longer fits

        var layer = random.Next(10);
        if (layer < 4)
        {
            // The application before encryption; the sender hashes what it sends (else it would be only a hash mismatch).
            (xml, description) = MutateXml(random, xml);
        }
        else if (layer < 6)
        {
            string metadataText;
            (metadataText, description) = MutateMetadata(random, metadata);
            var metadataBytes = Encoding.UTF8.GetBytes(metadataText);
            return Finish(random, application, xml, metadataBytes, key, kid, compress, "metadata: " + description, jwe: null);
        }
        else
        {
            return Finish(random, application, xml, Encoding.UTF8.GetBytes(metadata.ToJsonString()), key, kid, compress, null, jwe: random.Next(3));
        }

        if (rehash) metadata["contentStructure"]!["data"]!["hash"]!["content"] = Sha512.Hex(xml);
        return Finish(random, application, xml, Encoding.UTF8.GetBytes(metadata.ToJsonString()), key, kid, compress, "xml: " + description, jwe: null);
    }

    private static MutatedSubmission Finish(Random random, DemoApplication application, byte[] xml, byte[] metadata, System.Security.Cryptography.RSA key,
        string kid, bool compress, string? description, int? jwe)
    {
        var encryptedMetadata = JweEncryptor.Encrypt(metadata, key, kid, compress: compress);
        var encryptedData = JweEncryptor.Encrypt(xml, key, kid, "application/xml", compress);
        var attachments = application.Attachments.ToDictionary(a => a.AttachmentId, a => JweEncryptor.Encrypt(a.Content, key, kid, compress: compress));
        if (jwe is { } which)
        {
            var target = which == 0 || attachments.Count == 0 ? "data" : which == 1 ? "metadata" : "attachment";
            string mutation;
            switch (target)
            {
                case "data":
                    (encryptedData, mutation) = MutateJwe(random, encryptedData, encryptedMetadata);
                    break;
                case "metadata":
                    (encryptedMetadata, mutation) = MutateJwe(random, encryptedMetadata, encryptedData);
                    break;
                default:
                    var id = attachments.Keys.First();
                    (attachments[id], mutation) = MutateJwe(random, attachments[id], encryptedData);
                    break;
            }
            description = $"{target} jwe: {mutation}";
        }
        return new MutatedSubmission(encryptedMetadata, encryptedData, attachments, (compress ? "zip, " : "") + description);
    }

    private sealed record MutatedSubmission(string Metadata, string Data, Dictionary<Guid, string> Attachments, string Description);

    private static JsonObject BuildMetadata(DemoApplication application) => new()
    {
        ["$schema"] = EfaOnlineService.MetadataSchemaUri,
        ["contentStructure"] = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["hash"] = new JsonObject { ["type"] = "sha512", ["content"] = Sha512.Hex(application.Xml) },
                ["submissionSchema"] = new JsonObject { ["schemaUri"] = application.SchemaUri, ["mimeType"] = "application/xml" },
            },
            ["attachments"] = new JsonArray(application.Attachments.Select(a => (JsonNode)new JsonObject
            {
                ["attachmentId"] = a.AttachmentId.ToString(),
                ["hash"] = new JsonObject { ["type"] = "sha512", ["content"] = Sha512.Hex(a.Content) },
                ["purpose"] = "attachment", ["filename"] = a.FileName, ["mimeType"] = a.MimeType,
            }).ToArray()),
        },
        ["publicServiceType"] = new JsonObject { ["name"] = application.ServiceName, ["identifier"] = application.LeikaUrn },
        ["replyChannel"] = new JsonObject { ["eMail"] = new JsonObject { ["address"] = "antwort@onlinedienst.example" } },
    };

    private static readonly byte[][] Interesting =
    [
        "<"u8.ToArray(), "&"u8.ToArray(), "\""u8.ToArray(), "]]>"u8.ToArray(), [0x00], [0xFF], [0xC0, 0xBC], [0xEF, 0xBB, 0xBF],
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"u8.ToArray(), "<?pi x?>"u8.ToArray(), "&e;"u8.ToArray(), "<![CDATA[x]]>"u8.ToArray(),
        "{"u8.ToArray(), "}"u8.ToArray(), ","u8.ToArray(), "\\u0000"u8.ToArray(), "1e999"u8.ToArray(),
    ];

    private static (byte[] Bytes, string Description) MutateBytes(Random random, byte[] input)
    {
        var bytes = input.ToList();
        switch (random.Next(4))
        {
            case 0:
                var flips = random.Next(1, 4);
                for (var i = 0; i < flips && bytes.Count > 0; i++) { var at = random.Next(bytes.Count); bytes[at] ^= (byte)(1 << random.Next(8)); }
                return ([.. bytes], $"{flips} bit flip(s)");
            case 1:
                var keep = random.Next(bytes.Count);
                return ([.. bytes.Take(keep)], $"truncated to {keep} bytes");
            case 2:
                var insert = random.Next(2) == 0 ? Interesting[random.Next(Interesting.Length)] : RandomBytes(random, random.Next(1, 9));
                var where = random.Next(bytes.Count + 1);
                bytes.InsertRange(where, insert);
                return ([.. bytes], $"{insert.Length} byte(s) inserted at {where}");
            default:
                var from = random.Next(bytes.Count);
                var count = Math.Min(random.Next(1, 17), bytes.Count - from);
                bytes.RemoveRange(from, count);
                return ([.. bytes], $"{count} byte(s) deleted at {from}");
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static readonly string[] Namespaces =
    [
        "", "urn:integrationhub:xoev:wohngeld:1.0", "urn:integrationhub:xoev:common:1.0", "urn:integrationhub:xoev:sozialhilfe:2.0", "urn:attacker:evil",
    ];

    private static (byte[] Xml, string Description) MutateXml(Random random, byte[] xml)
    {
        if (random.Next(3) == 0) return MutateBytes(random, xml);
        var document = XDocument.Parse(Encoding.UTF8.GetString(xml), LoadOptions.PreserveWhitespace);
        var elements = document.Root!.Descendants().ToList();
        var element = elements[random.Next(elements.Count)];
        string description;
        switch (random.Next(6))
        {
            case 0:
                element.AddAfterSelf(new XElement(element));
                description = $"element {element.Name.LocalName} duplicated";
                break;
            case 1:
                element.Remove();
                description = $"element {element.Name.LocalName} removed";
                break;
            case 2:
                var target = random.Next(2) == 0 ? document.Root : element;
                var ns = XNamespace.Get(Namespaces[random.Next(Namespaces.Length)]);
                target.Name = ns + target.Name.LocalName;
                description = $"element {target.Name.LocalName} moved to namespace '{ns}'";
                break;
            case 3:
                var size = random.Next(2) == 0 ? random.Next(1, 200) : 300_000;
                if (!element.HasElements) element.Value = new string((char)random.Next('A', 'Z' + 1), size);
                else element.SetAttributeValue("gross", new string('x', size));
                description = $"value of {size} characters in {element.Name.LocalName}";
                break;
            case 4:
                if (!element.HasElements) element.Value = random.Next(3) switch { 0 => "", 1 => "-1", _ => "2099-13-45" };
                description = $"value of {element.Name.LocalName} replaced";
                break;
            default:
                element.AddFirst(new XElement(element.Name.Namespace + "unbekannt", "x"));
                description = $"unknown child in {element.Name.LocalName}";
                break;
        }
        return (Encoding.UTF8.GetBytes(document.Declaration + document.ToString(SaveOptions.DisableFormatting)), description);
    }

    private static readonly Func<Random, JsonNode?>[] JsonValues =
    [
        _ => null, r => r.Next(), _ => true, _ => new JsonArray(), _ => new JsonObject(), _ => "", _ => new string('h', 300_000),
        _ => "sha256", _ => new string('0', 128), r => new Guid(RandomBytes(r, 16)).ToString(), _ => Deep(40),
    ];

    private static JsonNode Deep(int depth) => depth == 0 ? new JsonObject() : new JsonObject { ["d"] = Deep(depth - 1) };

    private static (string Json, string Description) MutateMetadata(Random random, JsonObject metadata)
    {
        if (random.Next(4) == 0)
        {
            var (bytes, bytesDescription) = MutateBytes(random, Encoding.UTF8.GetBytes(metadata.ToJsonString()));
            return (Encoding.UTF8.GetString(bytes), bytesDescription);
        }
        var nodes = Walk(metadata).Where(n => n.Parent is not null).ToList();
        var node = nodes[random.Next(nodes.Count)];
        var path = node.GetPath();
        switch (random.Next(4))
        {
            case 0:
                Remove(node);
                return (metadata.ToJsonString(), $"{path} removed");
            case 1:
                var value = JsonValues[random.Next(JsonValues.Length)](random);
                Replace(node, value);
                return (metadata.ToJsonString(), $"{path} replaced by {value?.GetValueKind().ToString() ?? "null"}");
            case 2:
                // A property given twice, the second one different: which one counts must not be a matter of luck.
                var text = metadata.ToJsonString();
                var name = node.Parent is JsonObject ? node.GetPropertyName() : "attachmentId";
                var at = text.IndexOf($"\"{name}\":", StringComparison.Ordinal);
                return at < 0
                    ? (text, "nothing")
                    : (text.Insert(at, $"\"{name}\":{JsonValues[random.Next(JsonValues.Length)](random)?.ToJsonString() ?? "null"},"), $"{path} duplicated");
            default:
                if (metadata["contentStructure"]?["attachments"] is JsonArray { Count: > 0 } attachments)
                {
                    var hash = attachments[0]!["hash"]!.DeepClone();
                    attachments[0]!["hash"] = metadata["contentStructure"]!["data"]!["hash"]!.DeepClone();
                    metadata["contentStructure"]!["data"]!["hash"] = hash;
                    return (metadata.ToJsonString(), "data and attachment hashes swapped");
                }
                metadata["contentStructure"]!["attachments"] = new JsonArray(metadata["contentStructure"]!["data"]!.DeepClone());
                return (metadata.ToJsonString(), "data described as an attachment");
        }
    }

    private static IEnumerable<JsonNode> Walk(JsonNode node)
    {
        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a,
            _ => [],
        };
        foreach (var child in children.OfType<JsonNode>())
            foreach (var descendant in Walk(child)) yield return descendant;
    }

    private static void Remove(JsonNode node)
    {
        if (node.Parent is JsonObject o) o.Remove(node.GetPropertyName());
        else if (node.Parent is JsonArray a) a.Remove(node);
    }

    private static void Replace(JsonNode node, JsonNode? value)
    {
        if (node.Parent is JsonObject o) o[node.GetPropertyName()] = value;
        else if (node.Parent is JsonArray a) a[a.IndexOf(node)] = value;
    }

    private static readonly (string Name, JsonNode? Value)[] HeaderSwaps =
    [
        ("alg", "none"), ("alg", "dir"), ("alg", "RSA1_5"), ("alg", "RSA-OAEP"), ("alg", "ECDH-ES"), ("alg", "PBES2-HS512+A256KW"), ("alg", null),
        ("enc", "A128GCM"), ("enc", "A256CBC-HS512"), ("enc", null), ("zip", "DEF"), ("zip", "GZIP"), ("kid", "other"), ("crit", new JsonArray("exp")),
        ("p2c", 100_000_000), ("epk", new JsonObject { ["kty"] = "EC" }), ("jku", "https://attacker.invalid/keys"),
    ];

    private static (string Jwe, string Description) MutateJwe(Random random, string compact, string other)
    {
        var parts = compact.Split('.');
        switch (random.Next(5))
        {
            case 0:
            {
                var part = random.Next(5);
                var (bytes, description) = MutateBytes(random, Base64Url.DecodeFromChars(parts[part]));
                parts[part] = Base64Url.EncodeToString(bytes);
                return (string.Join('.', parts), $"part {part}: {description}");
            }
            case 1:
            {
                var (bytes, description) = MutateBytes(random, Encoding.ASCII.GetBytes(compact));
                return (Encoding.Latin1.GetString(bytes), $"compact text: {description}");
            }
            case 2:
            {
                var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject();
                var (name, value) = HeaderSwaps[random.Next(HeaderSwaps.Length)];
                header[name] = value?.DeepClone();
                parts[0] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString()));
                return (string.Join('.', parts), $"header {name} set to {value?.ToJsonString() ?? "null"}");
            }
            case 3:
            {
                var part = random.Next(5);
                parts[part] = other.Split('.')[part];
                return (string.Join('.', parts), $"part {part} taken from another JWE");
            }
            default:
            {
                var (a, b) = (random.Next(5), random.Next(5));
                (parts[a], parts[b]) = (parts[b], parts[a]);
                return (string.Join('.', parts.Take(random.Next(2) == 0 ? 5 : random.Next(7))), $"parts {a} and {b} swapped");
            }
        }
    }

    /// <summary>Validates independently of the hub's validator: the contracts' own validating reader; null when valid.</summary>
    private static string? ContractErrors(byte[] xml)
    {
        var errors = new List<string>();
        var settings = XoevSchemas.CreateValidatingReaderSettings();
        settings.ValidationEventHandler += (_, e) => errors.Add(e.Message);
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(xml), settings);
            while (reader.Read())
                if (reader.NodeType is XmlNodeType.ProcessingInstruction or XmlNodeType.DocumentType) errors.Add(reader.NodeType.ToString());
        }
        catch (XmlException e)
        {
            errors.Add(e.Message);
        }
        return errors.Count == 0 ? null : string.Join("; ", errors.Take(3));
    }

    /// <summary>The blob store of one in-process case.</summary>
    private sealed class MemoryBlobStore : IBlobStore
    {
        private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);

        public void Put(string name, string compact) => _blobs[name] = Encoding.Latin1.GetBytes(compact);

        public async Task PutAsync(string name, Stream content, CancellationToken ct = default)
        {
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, ct);
            _blobs[name] = buffer.ToArray();
        }

        public Task<Stream> OpenReadAsync(string name, CancellationToken ct = default) =>
            _blobs.TryGetValue(name, out var bytes) ? Task.FromResult<Stream>(new MemoryStream(bytes, writable: false)) : throw new BlobNotFoundException(name);

        public Task<bool> ExistsAsync(string name, CancellationToken ct = default) => Task.FromResult(_blobs.ContainsKey(name));

        public Task DeleteAsync(string name, CancellationToken ct = default)
        {
            _blobs.TryRemove(name, out _);
            return Task.CompletedTask;
        }

        public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct = default)
        {
            await Task.Yield();
            foreach (var name in _blobs.Keys.Where(n => n.StartsWith(prefix, StringComparison.Ordinal))) yield return name;
        }
    }
}
