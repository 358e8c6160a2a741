using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.EndToEndTests;
using RabbitMQ.Client;

namespace IntegrationHub.InfrastructureTests.Resilience;

/// <summary>
/// A message that cannot be deserialized ends in the endpoint's error queue with MassTransit's fault headers, from
/// there in the failed-message store as "unreadable" (raw body and headers, nothing left in RabbitMQ), and crashes nothing.
/// </summary>
[Collection(ResilienceCollection.Name)]
public sealed class PoisonMessageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task An_undeserializable_message_goes_through_the_error_queue_into_the_failed_message_store_and_the_hub_keeps_working()
    {
        await using var rig = await ResilienceRig.StartAsync("poison");
        await using var hub = rig.NewHub("hub");
        hub.Start();
        await hub.WaitUntilReadyAsync();
        rig.PinSigningCertificates();

        var factory = new ConnectionFactory { Uri = new Uri(rig.VirtualHost) };
        Guid messageId;
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = Guid.NewGuid().ToString(), Persistent = true };
            await channel.BasicPublishAsync("submission-validation", "", mandatory: false, properties, Encoding.UTF8.GetBytes("{ this is not a message"));
            messageId = Guid.Parse(properties.MessageId);
        }

        // Operations see it in the store, with the fault headers MassTransit put on it in the error queue.
        using var operations = new HttpClient { BaseAddress = hub.BaseAddress };
        operations.DefaultRequestHeaders.Add("X-Api-Key", "admin-local-only");
        var failed = await WaitForUnreadableAsync(operations, messageId);
        failed["endpoint"]!.GetValue<string>().Should().Be("submission-validation");
        var detail = JsonNode.Parse(await operations.GetStringAsync($"api/v1/operations/failed-messages/{failed["id"]}"))!;
        detail["headers"]!.AsObject().Select(h => h.Key).Should().Contain(["MT-Fault-ExceptionType", "MT-Reason"]);
        detail["body"]!.GetValue<string>().Should().Be("{ this is not a message");
        // An unreadable message cannot be sent again: a retry selects nothing.
        var retry = await operations.PostAsync("api/v1/operations/failed-messages/retry",
            new StringContent($$"""{"ids":["{{failed["id"]}}"]}""", Encoding.UTF8, "application/json"));
        JsonNode.Parse(await retry.Content.ReadAsStringAsync())!["total"]!.GetValue<int>().Should().Be(0);
        (await QueueDepthAsync(rig.VirtualHost, "submission-validation_error")).Should().Be(0);
        // The hub still takes and delivers submissions.
        var confirmed = await rig.SubmitAsync(2, _ => hub);
        var (submissions, deliveries) = await rig.WaitUntilAllDeliveredAsync(confirmed, TimeSpan.FromMinutes(1), output, hub);
        rig.AssertExactlyOnce(submissions, deliveries, confirmed);
    }

    private static async Task<JsonObject> WaitForUnreadableAsync(HttpClient operations, Guid messageId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var page = JsonNode.Parse(await operations.GetStringAsync("api/v1/operations/failed-messages?messageType=unreadable"))!;
            if (page["items"]!.AsArray().FirstOrDefault() is JsonObject found) return found;
            await Task.Delay(500);
        }
        throw new TimeoutException($"Message {messageId} did not arrive in the failed-message store.");
    }

    private static async Task<long> QueueDepthAsync(string amqpUri, string queue)
    {
        using var management = TestServers.Management();
        var vhost = Uri.EscapeDataString(new Uri(amqpUri).AbsolutePath.TrimStart('/'));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        long depth = -1;
        // The management API's counts lag a few seconds behind.
        while (DateTime.UtcNow < deadline)
        {
            depth = JsonNode.Parse(await management.GetStringAsync($"api/queues/{vhost}/{queue}"))!["messages"]?.GetValue<long>() ?? -1;
            if (depth == 0) return depth;
            await Task.Delay(500);
        }
        return depth;
    }
}
