using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Operations.FailedMessages;
using IntegrationHub.Outbox;
using IntegrationHub.Routing;
using IntegrationHub.Storage;
using IntegrationHub.Storage.AzureBlob;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Quartz;

namespace IntegrationHub.Hosting;

/// <summary>
/// The seams that choose between the embedded default and the servers a municipal IT provider runs:
/// bus (in-memory or RabbitMQ), ledger (SQLite or PostgreSQL), blob store (filesystem or Azure Blob).
/// </summary>
public static class InfrastructureExtensions
{
    public static bool IsPostgres(this HubOptions hub) => hub.Ledger.Provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase);

    public static IServiceCollection AddLedger(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        services.AddDbContext<HubDbContext>((sp, o) =>
        {
            var connectionString = LedgerConnectionString(sp, configuration);
            if (sp.GetRequiredService<IOptions<HubOptions>>().Value.IsPostgres()) o.UseNpgsql(connectionString);
            else o.UseSqlite(connectionString);
        });
        return services;
    }

    /// <summary>ConnectionStrings:Ledger, or the embedded default's SQLite file in the data directory.</summary>
    public static string LedgerConnectionString(IServiceProvider sp, IConfiguration configuration)
    {
        var hub = sp.GetRequiredService<IOptions<HubOptions>>().Value;
        var configured = configuration.GetConnectionString("Ledger");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        if (hub.IsPostgres()) throw new InvalidOperationException("Hub:Ledger:Provider is Postgres but ConnectionStrings:Ledger is not set.");
        var directory = Path.GetFullPath(hub.DataDirectory);
        Directory.CreateDirectory(directory);
        return $"Data Source={Path.Combine(directory, "ledger.db")};Default Timeout=30";
    }

    public static async Task MigrateLedgerAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        if (db.Database.IsSqlite())
        {
            // WAL lets readers (API) and the writer (consumers) work at once.
            await db.Database.OpenConnectionAsync(ct);
            await using (var pragma = db.Database.GetDbConnection().CreateCommand())
            {
                pragma.CommandText = "PRAGMA journal_mode=WAL;";
                await pragma.ExecuteNonQueryAsync(ct);
            }
            await db.Database.CloseConnectionAsync();
        }
        await LedgerSchema.MigrateAsync(db, ct);
    }

    public static IServiceCollection AddBlobStore(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        if (hub.BlobStore.Provider.Equals("AzureBlob", StringComparison.OrdinalIgnoreCase))
        {
            services.AddAzureBlobStore(configuration);
        }
        else
        {
            services.AddSingleton<IBlobStore>(sp =>
            {
                var directory = Path.GetFullPath(sp.GetRequiredService<IOptions<HubOptions>>().Value.DataDirectory);
                return new FileSystemBlobStore(Path.Combine(directory, "blobs"));
            });
        }
        return services;
    }

    public static IServiceCollection AddHubBus(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        services.AddMassTransit(bus =>
        {
            bus.AddConsumer<SubmissionReceivedConsumer, SubmissionReceivedConsumerDefinition>();
            bus.AddConsumer<SubmissionAcceptedConsumer, SubmissionAcceptedConsumerDefinition>();
            bus.AddConsumer<DeliveryRequestedConsumer, DeliveryRequestedConsumerDefinition>();
            bus.AddConsumer<FaultRecorder, FaultRecorderDefinition>();
            bus.AddErrorQueueIngestion();

            if (hub.Transport.Equals("RabbitMq", StringComparison.OrdinalIgnoreCase))
            {
                var uri = new Uri(configuration.GetConnectionString("RabbitMq")
                    ?? throw new InvalidOperationException("Hub:Transport is RabbitMq but ConnectionStrings:RabbitMq is not set."));
                // Durable quorum queues for every hub endpoint (replicated, safe across broker restarts).
                bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
                {
                    if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit && hub.RabbitMq.QuorumQueues) rabbit.SetQuorumQueue();
                });
                services.AddHostedService<BusRecovery>();
                bus.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(uri, h =>
                    {
                        var credentials = Uri.UnescapeDataString(uri.UserInfo).Split(':', 2);
                        if (credentials[0].Length > 0) h.Username(credentials[0]);
                        if (credentials.Length > 1) h.Password(credentials[1]);
                        h.PublisherConfirmation = hub.RabbitMq.PublisherConfirmation;
                        h.Heartbeat(TimeSpan.FromSeconds(10));
                    });
                    cfg.ConfigureEndpoints(context);
                    // MassTransit declares an error queue with its input queue's arguments: quorum when that is.
                    cfg.ConfigureErrorQueueIngestion(context, e =>
                    {
                        if (e is IRabbitMqReceiveEndpointConfigurator rabbit && hub.RabbitMq.QuorumQueues) rabbit.SetQuorumQueue();
                    });
                });
            }
            else
            {
                bus.UsingInMemory((context, cfg) =>
                {
                    cfg.ConfigureEndpoints(context);
                    cfg.ConfigureErrorQueueIngestion(context);
                });
            }
        });
        return services;
    }

    /// <summary>Quartz with its persistent store in the ledger database (clustered on PostgreSQL) running the ledger sweep.</summary>
    public static IServiceCollection AddLedgerSweep(this IServiceCollection services, IConfiguration configuration, HubOptions hub)
    {
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = "integrationhub";
                o.GenerateInstanceId = true; // one id per process: the cluster tells the hubs apart
            });
            q.UsePersistentStore(store =>
            {
                store.UseSystemTextJsonSerializer();
                store.ProvisionSchema();
                var connectionString = configuration.GetConnectionString("Ledger");
                if (hub.IsPostgres())
                {
                    store.UsePostgres(connectionString!);
                    store.UseClustering(c => c.CheckinInterval = TimeSpan.FromSeconds(10));
                }
                else
                {
                    var directory = Path.GetFullPath(hub.DataDirectory);
                    Directory.CreateDirectory(directory);
                    store.UseSqlite(connectionString ?? $"Data Source={Path.Combine(directory, "ledger.db")};Default Timeout=30");
                }
            });
            q.ScheduleJob<LedgerSweepJob>(
                t => t.WithIdentity(LedgerSweepJob.Name).StartNow()
                    .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(hub.Outbox.SweepInterval).RepeatForever()),
                j => j.WithIdentity(LedgerSweepJob.Name).DisallowConcurrentExecution());
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }
}
