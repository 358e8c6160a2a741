using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using IntegrationHub.Jose;
using IntegrationHub.Signing;
using IntegrationHub.Validation;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace IntegrationHub.Benchmarks;

/// <summary>
/// Ceilings of issue 9, measured first in the same run: (a) the unavoidable cryptography and XML work per submission on
/// one thread with .NET primitives, (b) raw RabbitMQ with RabbitMQ.Client (persistent, confirmed, consumed with acks).
/// </summary>
public static class Ceilings
{
    public static readonly string[] Components = ["rsa_oaep_unwrap", "aes_gcm_decrypt", "sha512", "xsd_validation", "xmldsig_sign", "set_sign_ps512"];

    public static JsonObject MeasureCpu(int runs, int iterations, int warmup, int targets, int sets)
    {
        using var work = new Workload();
        Console.WriteLine($"[ceilings] cpu: {runs} runs x {iterations} submissions (warm-up {warmup}), {targets} target(s), {sets} SET(s) per submission; data {work.Xml.Length} B, attachment {work.Attachment.Length} B, metadata {work.Metadata.Length} B");
        var jwes = new[] { work.MetadataJwe, work.DataJwe, work.AttachmentJwe };
        var parts = jwes.Select(j => j.Split('.')).ToArray();
        var payload = new JsonObject { ["authenticationTags"] = new JsonObject { ["data"] = "x", ["metadata"] = "y" } };

        var stopwatches = Components.ToDictionary(c => c, _ => new ThreadCpu());
        // Fresh copies of the handover to sign, made outside the measured sections (a document is signed once).
        XmlDocument[] Copies() => Enumerable.Range(0, targets).Select(_ => (XmlDocument)work.Handover.Clone()).ToArray();

        void OneSubmission(XmlDocument[] handovers)
        {
            var cek = new byte[3][];
            var sw = stopwatches["rsa_oaep_unwrap"];
            sw.Start();
            for (var i = 0; i < 3; i++)
                cek[i] = work.DestinationKey.Decrypt(System.Buffers.Text.Base64Url.DecodeFromChars(parts[i][1]), RSAEncryptionPadding.OaepSHA256);
            sw.Stop();

            var plain = new byte[3][];
            sw = stopwatches["aes_gcm_decrypt"];
            sw.Start();
            for (var i = 0; i < 3; i++)
            {
                var iv = System.Buffers.Text.Base64Url.DecodeFromChars(parts[i][2]);
                var ciphertext = System.Buffers.Text.Base64Url.DecodeFromChars(parts[i][3]);
                var tag = System.Buffers.Text.Base64Url.DecodeFromChars(parts[i][4]);
                plain[i] = new byte[ciphertext.Length];
                using var aes = new AesGcm(cek[i], tag.Length);
                aes.Decrypt(iv, ciphertext, tag, plain[i], Encoding.ASCII.GetBytes(parts[i][0]));
            }
            sw.Stop();

            sw = stopwatches["sha512"];
            sw.Start();
            var dataHash = Sha512Hex.Compute(plain[1]);
            var attachmentHash = Sha512Hex.Compute(plain[2]);
            sw.Stop();
            if (dataHash.Length != 128 || attachmentHash.Length != 128) throw new InvalidOperationException();

            sw = stopwatches["xsd_validation"];
            sw.Start();
            XmlContractValidator.LoadAndValidate(plain[1], Workload.MaxXmlCharacters);
            sw.Stop();

            sw = stopwatches["xmldsig_sign"];
            sw.Start();
            foreach (var handover in handovers) XmlDocumentSigner.SignEnveloped(handover, work.SigningCertificate);
            sw.Stop();

            sw = stopwatches["set_sign_ps512"];
            sw.Start();
            for (var i = 0; i < sets; i++)
                work.SetSigner.Sign("https://schema.fitko.de/fit-connect/events/accept-submission", Guid.NewGuid(), Guid.NewGuid(), payload, DateTimeOffset.UtcNow);
            sw.Stop();
        }

        for (var i = 0; i < warmup; i++) OneSubmission(Copies());

        var perComponent = Components.ToDictionary(c => c, _ => new List<double>());
        var wallTotal = new List<double>();
        var cpuTotal = new List<double>();
        var threadTotal = new List<double>();
        var process = Process.GetCurrentProcess();
        for (var run = 0; run < runs; run++)
        {
            var copies = Enumerable.Range(0, iterations).Select(_ => Copies()).ToArray();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            foreach (var sw in stopwatches.Values) sw.Reset();
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var threadBefore = ThreadCpu.Now();
            for (var i = 0; i < iterations; i++) OneSubmission(copies[i]);
            var threadMs = (ThreadCpu.Now() - threadBefore) / 1e6 / iterations;
            wall.Stop();
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / iterations;
            foreach (var c in Components) perComponent[c].Add(stopwatches[c].Elapsed.TotalMilliseconds / iterations);
            wallTotal.Add(wall.Elapsed.TotalMilliseconds / iterations);
            threadTotal.Add(threadMs);
            cpuTotal.Add(cpu);
            Console.WriteLine($"[ceilings] cpu run {run + 1}/{runs}: {threadMs:F2} CPU-ms/submission (the thread), wall {wallTotal[^1]:F2} ms, process CPU {cpu:F2} ms");
        }

        var components = new JsonObject();
        foreach (var c in Components) components[c] = new Figure("ms/submission", perComponent[c]).ToJson();
        var total = new Figure("ms/submission", threadTotal);
        return new JsonObject
        {
            ["description"] = "Unavoidable per-submission work on one thread with .NET primitives, as CPU time of that thread (a busy machine does not inflate it; wall time and process CPU time are given too): RSA-OAEP-256 (4096) unwrap of 3 CEKs and AES-256-GCM decrypt of metadata, data and attachment; SHA-512 of data and attachment; XSD validation (hub's XmlContractValidator.LoadAndValidate); XMLDSig enveloped signing of the handover per target (hub's XmlDocumentSigner, RSA 3072); SET signing PS512 (hub's SecurityEventTokenSigner, RSA 4096).",
            ["application"] = new JsonObject
            {
                ["kind"] = work.Kind,
                ["dataBytes"] = work.Xml.Length,
                ["metadataBytes"] = work.Metadata.Length,
                ["attachments"] = 1,
                ["attachmentBytes"] = work.Attachment.Length,
                ["handoverSignaturesPerSubmission"] = targets,
                ["setsPerSubmission"] = sets,
            },
            ["runs"] = runs,
            ["iterationsPerRun"] = iterations,
            ["warmupIterations"] = warmup,
            ["clock"] = ThreadCpu.Kind,
            ["cpuMsPerSubmission"] = total.ToJson(),
            ["wallMsPerSubmission"] = new Figure("ms/submission", wallTotal).ToJson(),
            ["processCpuMsPerSubmission"] = new Figure("ms/submission", cpuTotal).ToJson(),
            ["submissionsPerSecondOneCore"] = new Figure("submissions/s", threadTotal.Select(ms => 1000 / ms).ToList()).ToJson(),
            ["components"] = components,
        };
    }

    /// <summary>A MassTransit-style JSON envelope of a DeliveryRequested, the size of the hub's bus messages.</summary>
    public static byte[] HubMessage()
    {
        var envelope = new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["requestId"] = null,
            ["correlationId"] = Guid.NewGuid().ToString(),
            ["conversationId"] = Guid.NewGuid().ToString(),
            ["initiatorId"] = Guid.NewGuid().ToString(),
            ["sourceAddress"] = "rabbitmq://127.0.0.1/integrationhub-01_IntegrationHub_bus_h3yoyyrmhhq4g7jtbdqt5bnqnt?temporary=true",
            ["destinationAddress"] = "rabbitmq://127.0.0.1/IntegrationHub.Contracts.Messages:DeliveryRequested",
            ["responseAddress"] = null,
            ["faultAddress"] = null,
            ["messageType"] = new JsonArray("urn:message:IntegrationHub.Contracts.Messages:DeliveryRequested"),
            ["message"] = new JsonObject
            {
                ["deliveryId"] = Guid.NewGuid().ToString(),
                ["submissionId"] = Guid.NewGuid().ToString(),
                ["ars"] = Workload.Ars,
                ["target"] = "marius",
            },
            ["expirationTime"] = null,
            ["sentTime"] = DateTimeOffset.UtcNow.ToString("O"),
            ["headers"] = new JsonObject
            {
                ["MT-Activity-Id"] = "00-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) + "-01",
                ["Hub-Ars"] = Workload.Ars,
                ["Hub-Submission"] = Guid.NewGuid().ToString(),
            },
            ["host"] = new JsonObject
            {
                ["machineName"] = "integrationhub-01",
                ["processName"] = "IntegrationHub",
                ["processId"] = 4711,
                ["assembly"] = "IntegrationHub",
                ["assemblyVersion"] = "1.0.0.0",
                ["frameworkVersion"] = Environment.Version.ToString(),
                ["massTransitVersion"] = "8.4.0.0",
                ["operatingSystemVersion"] = Environment.OSVersion.ToString(),
            },
        };
        var text = envelope.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        return Encoding.UTF8.GetBytes(text);
    }

    public static async Task<JsonObject> MeasureRabbitMqAsync(int runs, int messages, int window, bool quorum)
    {
        var uri = Environment.GetEnvironmentVariable("HUB_TEST_RABBITMQ");
        if (string.IsNullOrWhiteSpace(uri))
            throw new InvalidOperationException("HUB_TEST_RABBITMQ is not set: start a broker (scripts/test-servers.sh start DIR && source DIR/env); the RabbitMQ ceiling is not measured (never reported as zero).");
        var body = HubMessage();
        Console.WriteLine($"[ceilings] rabbitmq: {runs} runs x {messages} persistent messages of {body.Length} B, {(quorum ? "quorum" : "classic durable")} queue, publisher confirms (window {window}), consumer acks (prefetch 100)");
        var factory = new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = "integrationhub-bench" };
        await using var connection = await factory.CreateConnectionAsync();

        var endToEnd = new List<double>();
        var publishOnly = new List<double>();
        for (var run = -1; run < runs; run++) // run -1: warm-up
        {
            var count = run < 0 ? Math.Min(messages, 1000) : messages;
            var queue = $"integrationhub-bench-{Guid.NewGuid():N}";
            await using var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
            await using var subscriber = await connection.CreateChannelAsync();
            var arguments = quorum ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null;
            await publisher.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: arguments);
            await subscriber.BasicQosAsync(0, 100, false);
            var received = 0;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var consumer = new AsyncEventingBasicConsumer(subscriber);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                if (delivery.Body.Length != body.Length) done.TrySetException(new InvalidOperationException("message body changed in transit"));
                await subscriber.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                if (Interlocked.Increment(ref received) == count) done.TrySetResult();
            };
            await subscriber.BasicConsumeAsync(queue, autoAck: false, consumer);

            var properties = new BasicProperties { Persistent = true, ContentType = "application/vnd.masstransit+json" };
            var clock = Stopwatch.StartNew();
            var inflight = new List<Task>(window);
            for (var i = 0; i < count; i++)
            {
                inflight.Add(publisher.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, body).AsTask());
                if (inflight.Count == window)
                {
                    await Task.WhenAll(inflight);
                    inflight.Clear();
                }
            }
            await Task.WhenAll(inflight);
            var published = clock.Elapsed.TotalSeconds;
            var finished = await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromMinutes(2)));
            if (finished != done.Task) throw new TimeoutException($"RabbitMQ: only {received} of {count} messages consumed within 2 minutes.");
            await done.Task;
            var total = clock.Elapsed.TotalSeconds;
            await publisher.QueueDeleteAsync(queue);
            if (run < 0) continue;
            publishOnly.Add(count / published);
            endToEnd.Add(count / total);
            Console.WriteLine($"[ceilings] rabbitmq run {run + 1}/{runs}: published+confirmed {count / published:F0} msg/s, published+consumed {count / total:F0} msg/s");
        }

        var server = connection.ServerProperties is { } props && props.TryGetValue("version", out var v) && v is byte[] bytes ? Encoding.UTF8.GetString(bytes) : "unknown";
        return new JsonObject
        {
            ["description"] = "Raw RabbitMQ with RabbitMQ.Client: persistent messages of the hub's size to a durable queue, publisher confirms awaited in windows, consumed concurrently with manual acks on a second channel of the same connection. Rate = messages / time from the first publish until the last message was consumed.",
            ["server"] = server,
            ["client"] = (typeof(ConnectionFactory).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false).FirstOrDefault() as System.Reflection.AssemblyInformationalVersionAttribute)?.InformationalVersion.Split('+')[0],
            ["queueType"] = quorum ? "quorum" : "classic",
            ["messageBytes"] = body.Length,
            ["messagesPerRun"] = messages,
            ["confirmWindow"] = window,
            ["prefetch"] = 100,
            ["runs"] = runs,
            ["messagesPerSecond"] = new Figure("messages/s", endToEnd).ToJson(),
            ["publishConfirmedPerSecond"] = new Figure("messages/s", publishOnly).ToJson(),
        };
    }
}
