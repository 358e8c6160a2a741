using System.Net.Sockets;
using IntegrationHub.Contracts.Messages;
using IntegrationHub.Tenancy;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Hosting;

/// <summary>
/// After a broker restart, MassTransit with RabbitMQ.Client 7.x can come back half-recovered while the bus reports
/// healthy (its own health check says Ready): publishes that never complete (rabbitmq-dotnet-client #1928, #1930), or
/// a receive endpoint whose queue has lost its consumer. Seen with 7.1.2 and MassTransit 8.4, and still with 7.2.2
/// and MassTransit 8.5.12 (README, "Broker restarts": the figures). This service checks both now and then - a probe
/// publish, and the consumer count of the hub's own queues as the broker sees it - and restarts the bus when it is
/// stuck while the broker is there. MassTransit's bus cannot be restarted in-process (its receive endpoints stay down
/// after Stop/Start), so the hub stops with exit code 75 (EX_TEMPFAIL) and its supervisor (docker-compose's restart
/// policy, systemd, Kubernetes) starts it again: a fresh process recovers at once, and the ledger makes sure nothing
/// in flight is lost.
/// </summary>
public sealed class BusRecovery(IBusControl bus, IConfiguration configuration, IOptions<HubOptions> options, IHostApplicationLifetime lifetime,
    ILogger<BusRecovery> logger) : BackgroundService
{
    /// <summary>The hub's receive endpoints (see the consumer definitions).</summary>
    public static readonly string[] HubQueues = ["submission-validation", "submission-routing", "submission-delivery", "ledger-faults"];

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);
    public const int ExitCodeForRestart = 75;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Transport.Equals("RabbitMq", StringComparison.OrdinalIgnoreCase)) return;
        var broker = new Uri(configuration.GetConnectionString("RabbitMq")!);
        DateTimeOffset? stuckSince = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(options.Value.RabbitMq.ProbeInterval, stoppingToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(ProbeTimeout);
            string? stuck;
            try
            {
                await bus.Publish(new BusProbe(DateTimeOffset.UtcNow), timeout.Token);
                stuck = await QueueWithoutConsumerAsync(broker, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                stuck = $"publish failed ({e.GetType().Name})";
            }
            // A broker that is away is the transport's business; stuck means: the broker answers and the bus does not recover.
            if (stuck is null || !await ReachableAsync(broker, stoppingToken))
            {
                stuckSince = null;
                continue;
            }
            stuckSince ??= DateTimeOffset.UtcNow;
            if (DateTimeOffset.UtcNow - stuckSince < options.Value.RabbitMq.StuckAfter) continue;
            logger.LogCritical("The bus is stuck although the broker is reachable ({Symptom}); stopping for the supervisor to restart the hub", stuck);
            Environment.ExitCode = ExitCodeForRestart;
            lifetime.StopApplication();
            return;
        }
    }

    /// <summary>A hub queue with waiting messages and no consumer at all, or null.</summary>
    private static async Task<string?> QueueWithoutConsumerAsync(Uri broker, CancellationToken ct)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = broker, ClientProvidedName = "integrationhub-bus-recovery" };
        await using var connection = await factory.CreateConnectionAsync(ct);
        foreach (var queue in HubQueues)
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            try
            {
                var state = await channel.QueueDeclarePassiveAsync(queue, ct);
                if (state.MessageCount > 0 && state.ConsumerCount == 0) return $"queue {queue} has {state.MessageCount} messages and no consumer";
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // Not declared (yet): nothing waits there.
            }
        }
        return null;
    }

    private static async Task<bool> ReachableAsync(Uri broker, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await client.ConnectAsync(broker.Host, broker.Port > 0 ? broker.Port : 5672, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
