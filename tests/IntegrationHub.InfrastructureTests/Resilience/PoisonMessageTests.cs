using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.EndToEndTests;
using RabbitMQ.Client;

namespace IntegrationHub.InfrastructureTests.Resilience;

/// <summary>A message that cannot be deserialized ends in the endpoint's error queue with MassTransit's fault headers and crashes nothing.</summary>
[Collection(ResilienceCollection.Name)]
public sealed class PoisonMessageTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Undeserializable_message_ends_in_the_error_queue_with_fault_headers_and_the_hub_keeps_working()
    {
        await using var rig = await ResilienceRig.StartAsync("poison");
        await using var hub = rig.NewHub("hub");
        hub.Start();
        await hub.WaitUntilReadyAsync();
        rig.PinSigningCertificates();

        var factory = new ConnectionFactory { Uri = new Uri(rig.VirtualHost) };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = Guid.NewGuid().ToString(), Persistent = true };
            await channel.BasicPublishAsync("submission-validation", "", mandatory: false, properties, Encoding.UTF8.GetBytes("{ this is not a message"));
        }

        var message = await WaitForErrorMessageAsync(rig.VirtualHost, "submission-validation_error");
        message["properties"]!["headers"]!.AsObject().Select(h => h.Key).Should().Contain(["MT-Fault-ExceptionType", "MT-Reason"]);
        // The hub still takes and delivers submissions.
        var confirmed = await rig.SubmitAsync(2, _ => hub);
        var (submissions, deliveries) = await rig.WaitUntilAllDeliveredAsync(confirmed, TimeSpan.FromMinutes(1), output, hub);
        rig.AssertExactlyOnce(submissions, deliveries, confirmed);
    }

    private static async Task<JsonObject> WaitForErrorMessageAsync(string amqpUri, string queue)
    {
        using var management = TestServers.Management();
        var vhost = Uri.EscapeDataString(new Uri(amqpUri).AbsolutePath.TrimStart('/'));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var response = await management.PostAsync($"api/queues/{vhost}/{queue}/get",
                new StringContent("""{"count":1,"ackmode":"ack_requeue_true","encoding":"auto"}""", Encoding.UTF8, "application/json"));
            if (response.IsSuccessStatusCode && JsonNode.Parse(await response.Content.ReadAsStringAsync()) is JsonArray { Count: > 0 } messages)
                return messages[0]!.AsObject();
            await Task.Delay(500);
        }
        throw new TimeoutException($"No message arrived in {queue}.");
    }
}
