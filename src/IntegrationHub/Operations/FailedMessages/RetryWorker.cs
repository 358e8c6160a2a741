using System.Text.Json;
using System.Threading.Channels;
using IntegrationHub.Contracts.Messages;
using IntegrationHub.Ledger;
using IntegrationHub.Operations.Access;
using IntegrationHub.Security.AtRest;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Operations.FailedMessages;

/// <summary>Retry batches waiting for the worker (in this process; the ledger's Running batches are the durable list).</summary>
public sealed class RetryQueue
{
    private readonly Channel<Guid> _channel = Channel.CreateUnbounded<Guid>();
    public void Enqueue(Guid batchId) => _channel.Writer.TryWrite(batchId);
    public ChannelReader<Guid> Reader => _channel.Reader;
}

/// <summary>
/// Works off retry batches page by page (bounded memory whatever their size) and resolves retried messages whose work
/// has succeeded. On start it resumes the batches still running, so a restart loses nothing.
/// Per message: work already done meanwhile → resolved and skipped, never sent; otherwise the ledger is put back first
/// (delivery pending again, the submission's fault cleared: should the send be lost, the ledger sweep requests the work
/// again) and then the original message is sent to its queue under its own message id with its headers.
/// </summary>
public sealed class RetryWorker(IServiceScopeFactory scopes, RetryQueue queue, IBus bus, IOptions<OperationsOptions> options, FailedMessageColumns columns,
    IHostApplicationLifetime lifetime, ILogger<RetryWorker> logger) : BackgroundService
{
    /// <summary>How often retried messages are checked against the ledger.</summary>
    public static readonly TimeSpan ResolveInterval = TimeSpan.FromSeconds(1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly Dictionary<string, Type> MessageTypes = new()
    {
        [nameof(SubmissionReceived)] = typeof(SubmissionReceived),
        [nameof(SubmissionAccepted)] = typeof(SubmissionAccepted),
        [nameof(DeliveryRequested)] = typeof(DeliveryRequested),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The bus must be up before anything is sent.
        var started = new TaskCompletionSource();
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try { await started.Task; }
            catch (TaskCanceledException) { return; }
        }

        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            foreach (var id in await db.RetryBatches.AsNoTracking().Where(b => b.Status == RetryBatchStatus.Running)
                         .OrderBy(b => b.CreatedAt).Select(b => b.Id).ToListAsync(stoppingToken))
                queue.Enqueue(id);
        }

        var resolving = ResolveLoopAsync(stoppingToken);
        try
        {
            await foreach (var batchId in queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await RunBatchAsync(batchId, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Retry batch {BatchId} failed", batchId);
                    await FailBatchAsync(batchId, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await resolving;
    }

    private async Task ResolveLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(ResolveInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
                    var resolved = await FailedMessageResolution.ResolveSucceededAsync(db, ct);
                    if (resolved > 0) logger.LogInformation("{Count} retried messages resolved: their work has succeeded", resolved);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Checking retried messages against the ledger failed; trying again");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Runs one batch to its end; returns when no member is left to issue.</summary>
    public async Task RunBatchAsync(Guid batchId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var pageSize = Math.Clamp(options.Value.RetryPageSize, 1, 5000);
        while (true)
        {
            db.ChangeTracker.Clear();
            var batch = await db.RetryBatches.AsNoTracking().FirstOrDefaultAsync(b => b.Id == batchId, ct);
            if (batch is not { Status: RetryBatchStatus.Running }) return;

            // Members not yet issued; one that failed again after its retry (updated after the batch began) is not taken twice.
            var page = await db.FailedMessages.AsNoTracking()
                .Where(f => f.RetryBatchId == batchId && f.Status == FailedMessageStatus.Unresolved && f.UpdatedAt <= batch.CreatedAt)
                .OrderBy(f => f.FirstFailedAt).Take(pageSize)
                .Select(f => new Member(f.Id, f.MessageId, f.MessageType, f.Endpoint, f.Ars, f.SubmissionId, f.DeliveryId, f.Body, f.Headers))
                .ToListAsync(ct);
            if (page.Count == 0)
            {
                await CompleteAsync(db, batch, ct);
                return;
            }
            await IssuePageAsync(db, batch, page, ct);
        }
    }

    private async Task IssuePageAsync(HubDbContext db, RetryBatch batch, List<Member> page, CancellationToken ct)
    {
        var ids = page.Select(m => m.Id).ToList();
        var succeeded = (await db.FailedMessages.AsNoTracking().Where(f => ids.Contains(f.Id)).WhoseWorkSucceeded(db).Select(f => f.Id).ToListAsync(ct))
            .ToHashSet();
        var toSend = page.Where(m => !succeeded.Contains(m.Id)).ToList();
        var edits = (await db.MessageEdits.AsNoTracking()
                .Where(e => ids.Contains(e.FailedMessageId) && e.Status == MessageEditStatus.Approved && e.EditedHeaders != null)
                .Select(e => new { e.Id, e.FailedMessageId, e.DecidedAt, e.EditedHeaders }).ToListAsync(ct))
            .GroupBy(e => e.FailedMessageId).ToDictionary(g => g.Key, g => g.OrderByDescending(e => e.DecidedAt).Select(e => new EditedHeaders(e.Id, e.EditedHeaders!)).First());

        var now = DateTimeOffset.UtcNow;
        var skippedIds = succeeded.ToList();
        var sendIds = toSend.Select(m => m.Id).ToList();
        var deliveryIds = toSend.Where(m => m.DeliveryId is not null).Select(m => m.DeliveryId!.Value).ToList();
        var submissionIds = toSend.Where(m => m.SubmissionId is not null).Select(m => m.SubmissionId!.Value).Distinct().ToList();
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await db.FailedMessages.Where(f => skippedIds.Contains(f.Id) && f.Status == FailedMessageStatus.Unresolved)
                .ExecuteUpdateAsync(u => u.SetProperty(f => f.Status, FailedMessageStatus.Resolved).SetProperty(f => f.ResolvedAt, now)
                    .SetProperty(f => f.UpdatedAt, now), ct);
            // The ledger first: once it says "to do", the consumer does the work, and a lost send is made good by the sweep.
            if (batch.RedirectTo is { } redirect)
                await db.Deliveries.Where(d => deliveryIds.Contains(d.Id) && d.Status == DeliveryStatus.Failed)
                    .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeliveryStatus.Pending).SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                        .SetProperty(d => d.RedirectedTo, redirect).SetProperty(d => d.UpdatedAt, now), ct);
            else
                await db.Deliveries.Where(d => deliveryIds.Contains(d.Id) && d.Status == DeliveryStatus.Failed)
                    .ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, DeliveryStatus.Pending).SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                        .SetProperty(d => d.UpdatedAt, now), ct);
            await db.Submissions.Where(s => submissionIds.Contains(s.Id) && s.ProcessingFault != null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.ProcessingFault, (string?)null).SetProperty(s => s.UpdatedAt, now), ct);
            await db.FailedMessages.Where(f => sendIds.Contains(f.Id))
                .ExecuteUpdateAsync(u => u.SetProperty(f => f.Status, FailedMessageStatus.RetryIssued).SetProperty(f => f.UpdatedAt, now), ct);
            db.FailedMessageEvents.AddRange(skippedIds.Select(id => new FailedMessageEvent
                { FailedMessageId = id, At = now, Action = FailedMessageActions.RetrySkipped, Actor = batch.RequestedBy, Detail = $"batch {batch.Id}" }));
            db.FailedMessageEvents.AddRange(sendIds.Select(id => new FailedMessageEvent
            {
                FailedMessageId = id, At = now, Action = FailedMessageActions.RetryIssued, Actor = batch.RequestedBy,
                Detail = batch.RedirectTo is null ? $"batch {batch.Id}" : $"batch {batch.Id}, redirected to {batch.RedirectTo}",
            }));
            await db.SaveChangesAsync(ct);
            await db.RetryBatches.Where(b => b.Id == batch.Id).ExecuteUpdateAsync(u => u
                .SetProperty(b => b.Issued, b => b.Issued + sendIds.Count).SetProperty(b => b.Skipped, b => b.Skipped + skippedIds.Count)
                .SetProperty(b => b.UpdatedAt, now), ct);
            await transaction.CommitAsync(ct);
        }

        // Several sends in flight: with publisher confirmation each one waits for the broker.
        foreach (var chunk in toSend.Chunk(SendsInFlight))
            await Task.WhenAll(chunk.Select(member => TrySendAsync(member, edits.GetValueOrDefault(member.Id), ct)));
    }

    private const int SendsInFlight = 32;

    private async Task TrySendAsync(Member member, EditedHeaders? editedHeaders, CancellationToken ct)
    {
        try
        {
            await SendAsync(member, editedHeaders, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The ledger already says "to do": the sweep requests the work again.
            logger.LogWarning("Retry of message {MessageId} could not be sent ({Reason}); the ledger sweep requests its work again",
                member.MessageId, e.GetType().Name);
        }
    }

    /// <summary>The original message to its input queue: same message id, its headers without the fault's, edited headers over them.</summary>
    private async Task SendAsync(Member member, EditedHeaders? editedHeaders, CancellationToken ct)
    {
        if (!MessageTypes.TryGetValue(member.MessageType, out var type))
            throw new InvalidOperationException($"Unknown message type {member.MessageType}.");
        // The original body and headers, decrypted from the ledger (FailedMessageColumns).
        var body = (await columns.ReadAsync(member.Id, member.Ars, FailedMessageColumns.Body, member.Body, ct))!;
        var storedHeaders = (await columns.ReadAsync(member.Id, member.Ars, FailedMessageColumns.Headers, member.Headers, ct))!;
        using var envelope = JsonDocument.Parse(body);
        var message = envelope.RootElement.TryGetProperty("message", out var inner)
            ? inner.Deserialize(type, Json)
            : envelope.RootElement.Deserialize(type, Json);
        var headers = (JsonSerializer.Deserialize<Dictionary<string, string>>(storedHeaders) ?? [])
            .Where(h => ErrorQueueHeaders.KeptOnRetry(h.Key)).ToDictionary(h => h.Key, h => h.Value);
        if (editedHeaders is not null)
            foreach (var (key, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(
                         (await columns.ReadEditedHeadersAsync(editedHeaders.EditId, member.Ars, editedHeaders.Stored, ct))!) ?? [])
                headers[key] = value;
        // To the endpoint's exchange (bound to its queue), not "queue:": sending there would declare the queue again
        // with default arguments, which RabbitMQ refuses for a quorum queue (PRECONDITION_FAILED).
        var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{member.Endpoint}"));
        await endpoint.Send(message!, type, Pipe.Execute<SendContext>(context =>
        {
            context.MessageId = member.MessageId;
            foreach (var (key, value) in headers) context.Headers.Set(key, value);
        }), ct);
    }

    private static async Task CompleteAsync(HubDbContext db, RetryBatch batch, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var left = batch.Total - batch.Issued - batch.Skipped;
        string? note = left > 0 ? $"{left} of the selected messages were archived or changed before their turn and were not retried." : null;
        await db.RetryBatches.Where(b => b.Id == batch.Id && b.Status == RetryBatchStatus.Running).ExecuteUpdateAsync(u => u
            .SetProperty(b => b.Status, RetryBatchStatus.Completed).SetProperty(b => b.CompletedAt, now).SetProperty(b => b.UpdatedAt, now)
            .SetProperty(b => b.Error, note), ct);
    }

    private async Task FailBatchAsync(Guid batchId, Exception e)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            var now = DateTimeOffset.UtcNow;
            await db.RetryBatches.Where(b => b.Id == batchId && b.Status == RetryBatchStatus.Running).ExecuteUpdateAsync(u => u
                .SetProperty(b => b.Status, RetryBatchStatus.Failed).SetProperty(b => b.Error, e.GetType().Name)
                .SetProperty(b => b.CompletedAt, now).SetProperty(b => b.UpdatedAt, now));
        }
        catch (Exception inner)
        {
            logger.LogError(inner, "Retry batch {BatchId} could not be marked failed", batchId);
        }
    }

    /// <summary>An approved edit's headers as stored (encrypted, see FailedMessageColumns).</summary>
    private sealed record EditedHeaders(Guid EditId, string Stored);

    private sealed record Member(Guid Id, Guid MessageId, string MessageType, string Endpoint, string? Ars, Guid? SubmissionId, Guid? DeliveryId, string Body, string Headers);
}
