using System.Globalization;
using IntegrationHub.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Operations.FailedMessages;

/// <summary>
/// Takes what lands in the hub's error queues into the failed-message store: the original body and headers (MassTransit
/// puts the fault's exception type, message, stack trace, consumer and input address in MT-Fault-* headers) and the
/// message's identifiers. The message is consumed from the error queue once stored: the ledger keeps it from then on.
/// </summary>
public sealed class ErrorQueueConsumer(IFailureRecorder recorder, ILogger<ErrorQueueConsumer> logger) :
    IConsumer<SubmissionReceived>, IConsumer<SubmissionAccepted>, IConsumer<DeliveryRequested>
{
    public Task Consume(ConsumeContext<SubmissionReceived> context) =>
        RecordAsync(context, nameof(SubmissionReceived), context.Message.SubmissionId, null, context.Message.Ars, null);

    public Task Consume(ConsumeContext<SubmissionAccepted> context) =>
        RecordAsync(context, nameof(SubmissionAccepted), context.Message.SubmissionId, null, context.Message.Ars, null);

    public Task Consume(ConsumeContext<DeliveryRequested> context) =>
        RecordAsync(context, nameof(DeliveryRequested), context.Message.SubmissionId, context.Message.DeliveryId, context.Message.Ars, context.Message.Target);

    private async Task RecordAsync(ConsumeContext context, string messageType, Guid submissionId, Guid? deliveryId, string ars, string? target)
    {
        var headers = ErrorQueueHeaders.Read(context);
        var failure = new FailureRecord(
            MessageId: context.MessageId ?? Guid.NewGuid(),
            Source: "error-queue",
            MessageType: messageType,
            Endpoint: ErrorQueues.EndpointOf(context.ReceiveContext.InputAddress),
            Consumer: headers.GetValueOrDefault(ErrorQueueHeaders.ConsumerType),
            Ars: ars,
            Target: target,
            SubmissionId: submissionId,
            DeliveryId: deliveryId,
            ExceptionType: headers.GetValueOrDefault(ErrorQueueHeaders.ExceptionType) ?? "unknown",
            ExceptionMessage: headers.GetValueOrDefault(ErrorQueueHeaders.ExceptionMessage),
            StackTrace: headers.GetValueOrDefault(ErrorQueueHeaders.StackTrace),
            // GetBytes: RabbitMQ's body gives no text from GetString.
            Body: System.Text.Encoding.UTF8.GetString(context.ReceiveContext.Body.GetBytes()),
            Headers: headers,
            FailedAt: DateTimeOffset.TryParse(headers.GetValueOrDefault(ErrorQueueHeaders.Timestamp), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.UtcNow);
        await recorder.RecordAsync(failure, context.CancellationToken);
        logger.LogDebug("Stored failed message {MessageId} from {Queue}", failure.MessageId, context.ReceiveContext.InputAddress);
    }
}

/// <summary>The headers MassTransit (8.4) writes on a message it moves to an error queue.</summary>
public static class ErrorQueueHeaders
{
    public const string FaultPrefix = "MT-Fault-";
    public const string Reason = "MT-Reason";
    public const string ExceptionType = "MT-Fault-ExceptionType";
    public const string ExceptionMessage = "MT-Fault-Message";
    public const string StackTrace = "MT-Fault-StackTrace";
    public const string ConsumerType = "MT-Fault-ConsumerType";
    public const string InputAddress = "MT-Fault-InputAddress";
    public const string Timestamp = "MT-Fault-Timestamp";

    /// <summary>Transport headers and the envelope's headers, as strings (the envelope's win).</summary>
    public static Dictionary<string, string> Read(ConsumeContext context)
    {
        var headers = Read(context.ReceiveContext);
        foreach (var (key, value) in context.Headers.GetAll())
            if (value is not null) headers[key] = Text(value);
        return headers;
    }

    /// <summary>The transport's headers only, as strings: all there is of a message no consumer could read.</summary>
    public static Dictionary<string, string> Read(ReceiveContext context)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in context.TransportHeaders.GetAll())
            if (value is not null) headers[key] = Text(value);
        return headers;
    }

    /// <summary>Set by the transport on every receive (RabbitMQ's delivery and consumer tags, the publisher's sequence number, …).</summary>
    private static readonly string[] TransportPrefixes = ["RabbitMQ-", "x-dotnet-"];
    private static readonly string[] TransportHeaders = ["MessageId", "Content-Type"];

    /// <summary>What a retry sends again: the original headers without the fault's own and without those the transport sets.</summary>
    public static bool KeptOnRetry(string key) =>
        !key.StartsWith(FaultPrefix, StringComparison.OrdinalIgnoreCase) && !key.Equals(Reason, StringComparison.OrdinalIgnoreCase)
        && !TransportPrefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase))
        && !TransportHeaders.Contains(key, StringComparer.OrdinalIgnoreCase);

    private static string Text(object value) => value switch
    {
        string s => s,
        byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
        DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}

/// <summary>The hub endpoints whose error queues are ingested, and how their receive endpoints are set up.</summary>
public static class ErrorQueues
{
    public const string Suffix = "_error";

    /// <summary>The input queues of the hub's work (see the consumer definitions).</summary>
    public static readonly IReadOnlyList<string> HubEndpoints = ["submission-validation", "submission-routing", "submission-delivery"];

    public static string EndpointOf(Uri errorQueue)
    {
        var name = errorQueue.AbsolutePath.TrimEnd('/');
        name = name[(name.LastIndexOf('/') + 1)..];
        var query = name.IndexOf('?');
        if (query >= 0) name = name[..query];
        return name.EndsWith(Suffix, StringComparison.Ordinal) ? name[..^Suffix.Length] : name;
    }

    public static void AddErrorQueueIngestion(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<ErrorQueueConsumer>().ExcludeFromConfigureEndpoints();

    /// <summary>
    /// One receive endpoint per error queue. It must not subscribe to the message types' exchanges (that would copy
    /// every new message into the error queue); <paramref name="queue"/> applies the transport's queue settings, which
    /// must match how MassTransit declares error queues.
    /// </summary>
    public static void ConfigureErrorQueueIngestion<T>(this T cfg, IBusRegistrationContext context, Action<IReceiveEndpointConfigurator>? queue = null)
        where T : IBusFactoryConfigurator
    {
        foreach (var endpoint in HubEndpoints)
        {
            cfg.ReceiveEndpoint(endpoint + Suffix, e =>
            {
                e.ConfigureConsumeTopology = false;
                queue?.Invoke(e);
                e.UseMessageRetry(r => r.Intervals(500, 2000, 5000));
                e.ConfigureConsumer<ErrorQueueConsumer>(context);
                // What no consumer here can read (a poison body, an unknown message type) is stored raw instead of
                // moving on to yet another queue nobody watches.
                e.ConfigureError(x => x.UseFilter(new UnreadableMessages.Recorder<ExceptionReceiveContext>(context)));
                e.ConfigureDeadLetter(x => x.UseFilter(new UnreadableMessages.Recorder<ReceiveContext>(context)));
            });
        }
    }
}

/// <summary>
/// Messages in an error queue that are no hub message the ingestion can read: stored with their raw body and headers
/// under the message type "unreadable", so operations see them (and archive them); they cannot be retried.
/// </summary>
public static class UnreadableMessages
{
    public const string MessageType = "unreadable";

    public sealed class Recorder<T>(IServiceProvider services) : IFilter<T> where T : class, ReceiveContext
    {
        public async Task Send(T context, IPipe<T> next)
        {
            var headers = ErrorQueueHeaders.Read(context);
            var exception = (context as ExceptionReceiveContext)?.Exception;
            var messageId = context.GetMessageId() ?? NewId.NextGuid();
            await using var scope = services.CreateAsyncScope();
            // Throws when the ledger cannot take it: then the message stays in the error queue and comes again.
            await scope.ServiceProvider.GetRequiredService<IFailureRecorder>().RecordAsync(new FailureRecord(
                MessageId: messageId,
                Source: "error-queue",
                MessageType: MessageType,
                Endpoint: ErrorQueues.EndpointOf(context.InputAddress),
                Consumer: headers.GetValueOrDefault(ErrorQueueHeaders.ConsumerType),
                Ars: null, Target: null, SubmissionId: null, DeliveryId: null,
                ExceptionType: headers.GetValueOrDefault(ErrorQueueHeaders.ExceptionType) ?? exception?.GetType().FullName ?? "unknown",
                ExceptionMessage: headers.GetValueOrDefault(ErrorQueueHeaders.ExceptionMessage),
                StackTrace: headers.GetValueOrDefault(ErrorQueueHeaders.StackTrace),
                Body: System.Text.Encoding.UTF8.GetString(context.Body.GetBytes()),
                Headers: headers,
                FailedAt: DateTimeOffset.UtcNow), context.CancellationToken);
        }

        public void Probe(ProbeContext context) => context.CreateFilterScope("record-unreadable-message");
    }
}
