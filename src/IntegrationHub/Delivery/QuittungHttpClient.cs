using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.ExceptionServices;
using IntegrationHub.Hosting;
using IntegrationHub.Signing;
using IntegrationHub.Validation;

namespace IntegrationHub.Delivery;

/// <summary>
/// Posts a signed case handover to a procedure that answers with a fall.quittung.0002, the
/// push style both specialist procedures speak today. Sorts answers into receipt, permanent
/// refusal and transient failure, which decides between "done", "error queue" and "retry".
/// </summary>
/// <remarks>
/// The request is an XFall-style container, <c>multipart/related; type="application/xml"; start="&lt;handover&gt;"</c>:
/// first the signed XML (<c>Content-ID: &lt;handover&gt;</c>), then one part per attachment (<c>Content-ID: &lt;{anlageId}&gt;</c>,
/// its MIME type and <c>Content-Length</c>) in the order of the call. An attachment is opened only when its part is
/// written and copied in 64 KiB chunks, so memory does not grow with its size.
/// <para>
/// Timeout: <see cref="Tenancy.TargetOptions.Timeout"/> is the longest time the exchange may go without progress
/// (connecting, or the upload not moving because the source or the target stalls). Every chunk of the upload re-arms
/// it, so a healthy slow upload of 100 MB is not cut off; once the last byte is sent, the target has one more
/// <c>Timeout</c> for its whole answer, Quittung body included (an answer that starts earlier gets what is left of the current one).
/// </para>
/// </remarks>
public static class QuittungHttpClient
{
    private const long MaxQuittungBytes = 1024 * 1024;
    private const int CopyChunkBytes = 64 * 1024;

    public static async Task<HandoverReceipt> PostAsync(HttpClient http, string relativePath, HandoverCall call, CancellationToken ct)
    {
        var uri = new Uri(new Uri(call.Options.BaseUrl.TrimEnd('/') + "/"), relativePath);
        using var watchdog = new ProgressTimeout(call.Options.Timeout, ct);
        var attachmentFailure = new AttachmentFailure();
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Headers.Add("Idempotency-Key", call.IdempotencyKey);
        request.Content = HandoverContent.Create(call, watchdog, attachmentFailure);

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, watchdog.Token);
        }
        catch (Exception) when (attachmentFailure.Exception is { } failure && !ct.IsCancellationRequested)
        {
            // Reading an attachment failed (e.g. it is not authentic): that is the cause, not the transport's wrapping of it.
            ExceptionDispatchInfo.Throw(failure);
            throw;
        }
        catch (OperationCanceledException e) when (watchdog.Expired && !ct.IsCancellationRequested)
        {
            throw TimedOut(call, e);
        }

        using (response)
        {
            watchdog.Answered();
            try
            {
                return await ReadAnswerAsync(response, call, watchdog.Token);
            }
            catch (OperationCanceledException e) when (watchdog.Expired && !ct.IsCancellationRequested)
            {
                throw TimedOut(call, e);
            }
        }
    }

    private static async Task<HandoverReceipt> ReadAnswerAsync(HttpResponseMessage response, HandoverCall call, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            // The timeout covers the body too: a target that sends headers and then stalls must not hold a consumer.
            var quittung = SafeXml.Load(await BoundedBody.ReadAsync(response.Content, MaxQuittungBytes, ct)
                ?? throw new PermanentDeliveryException("The target's Quittung exceeds the size limit."), MaxQuittungBytes).DocumentElement!;
            var result = BusinessRules.Path(quittung, "ergebnis");
            var aktenzeichen = BusinessRules.Path(quittung, "aktenzeichen");
            if (result != "ANGENOMMEN" || string.IsNullOrEmpty(aktenzeichen))
                throw new PermanentDeliveryException($"{call.Target} refused the case in its Quittung (ergebnis {result ?? "missing"}).");
            return new HandoverReceipt(aktenzeichen);
        }
        if (IsPermanent(response.StatusCode))
        {
            var problem = await response.Content.ReadAsStringAsync(ct);
            throw new PermanentDeliveryException($"{call.Target} answered {(int)response.StatusCode}: {Truncate(problem, 500)}");
        }
        var message = $"{call.Target} answered {(int)response.StatusCode}.";
        throw new TransientDeliveryException(message, RetryAfter(response), new HttpRequestException(message, null, response.StatusCode));
    }

    /// <summary>The target's Retry-After (delta seconds or an HTTP date), as a delay from now; null if absent or already past.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset? now = null)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta > TimeSpan.Zero ? delta : null;
        if (header?.Date is { } date)
        {
            var wait = date - (now ?? DateTimeOffset.UtcNow);
            return wait > TimeSpan.Zero ? wait : null;
        }
        return null;
    }

    // A TaskCanceledException, as HttpClient's own timeout gives, so callers treat it as the transient failure it is.
    private static TaskCanceledException TimedOut(HandoverCall call, OperationCanceledException e) =>
        new($"{call.Target} made no progress within {call.Options.Timeout}.", new TimeoutException(e.Message, e));

    public static bool IsPermanent(HttpStatusCode status) =>
        (int)status is >= 400 and < 500 && status is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    /// <summary>
    /// Cancels after <c>timeout</c> without progress: every upload chunk re-arms the timer; after the upload (or an
    /// early answer) it is armed once more and then left to run, so the answer must arrive within one timeout.
    /// </summary>
    private sealed class ProgressTimeout : IDisposable
    {
        private readonly CancellationTokenSource _cts;
        private readonly TimeSpan _timeout;
        private int _final;

        public ProgressTimeout(TimeSpan timeout, CancellationToken ct)
        {
            _timeout = timeout;
            _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _cts.CancelAfter(timeout);
        }

        public CancellationToken Token => _cts.Token;

        public bool Expired => _cts.IsCancellationRequested;

        public void Progress()
        {
            if (Volatile.Read(ref _final) == 0) Arm();
        }

        public void UploadCompleted()
        {
            if (Interlocked.Exchange(ref _final, 1) == 0) Arm();
        }

        // Headers arrived: the rest of the current deadline is what the answer gets.
        public void Answered() => Interlocked.Exchange(ref _final, 1);

        private void Arm()
        {
            try
            {
                _cts.CancelAfter(_timeout);
            }
            catch (ObjectDisposedException)
            {
                // The exchange is over.
            }
        }

        public void Dispose() => _cts.Dispose();
    }

    /// <summary>The first exception thrown while opening or reading an attachment (not while writing to the target).</summary>
    private sealed class AttachmentFailure
    {
        private Exception? _exception;

        public Exception? Exception => Volatile.Read(ref _exception);

        public void Set(Exception e) => Interlocked.CompareExchange(ref _exception, e, null);
    }

    /// <summary>
    /// The multipart/related container; tells the watchdog when its last byte (the closing boundary) is written. Wraps
    /// <see cref="MultipartContent"/> rather than deriving from it: a derived class would not get the cancellation token
    /// passed down to its parts.
    /// </summary>
    private sealed class HandoverContent : HttpContent
    {
        private readonly MultipartContent _parts;
        private readonly ProgressTimeout _watchdog;

        private HandoverContent(MultipartContent parts, string boundary, ProgressTimeout watchdog)
        {
            _parts = parts;
            _watchdog = watchdog;
            Headers.ContentType = new MediaTypeHeaderValue("multipart/related")
            {
                Parameters =
                {
                    new NameValueHeaderValue("boundary", boundary),
                    new NameValueHeaderValue("type", "\"application/xml\""),
                    new NameValueHeaderValue("start", "\"" + CaseHandover.RootContentId + "\""),
                },
            };
        }

        public static HandoverContent Create(HandoverCall call, ProgressTimeout watchdog, AttachmentFailure failure)
        {
            // A random boundary per attempt: it cannot be predicted, so no attachment can contain it by design.
            var boundary = "ih-" + Guid.NewGuid().ToString("N");
            var parts = new MultipartContent("related", boundary);

            var xml = new ByteArrayContent(call.SignedXml);
            xml.Headers.ContentType = new MediaTypeHeaderValue("application/xml") { CharSet = "utf-8" };
            xml.Headers.ContentLength = call.SignedXml.LongLength;
            xml.Headers.TryAddWithoutValidation("Content-ID", CaseHandover.RootContentId);
            parts.Add(xml);

            foreach (var attachment in call.Attachments)
            {
                parts.Add(new AttachmentContent(attachment, watchdog, failure));
            }
            return new HandoverContent(parts, boundary, watchdog);
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await _parts.CopyToAsync(stream, context, cancellationToken);
            _watchdog.UploadCompleted();
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            var known = _parts.Headers.ContentLength;
            length = known ?? 0;
            return known.HasValue;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _parts.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// One attachment part: opened when HttpClient writes it (once per attempt), copied chunk by chunk, length checked
    /// against the announced size. Not buffered: HttpClient writes it through <see cref="SerializeToStreamAsync(Stream, TransportContext?, CancellationToken)"/>.
    /// </summary>
    private sealed class AttachmentContent : HttpContent
    {
        private readonly HandoverAttachment _attachment;
        private readonly ProgressTimeout _watchdog;
        private readonly AttachmentFailure _failure;

        public AttachmentContent(HandoverAttachment attachment, ProgressTimeout watchdog, AttachmentFailure failure)
        {
            _attachment = attachment;
            _watchdog = watchdog;
            _failure = failure;
            Headers.ContentType = MediaTypeHeaderValue.TryParse(attachment.MimeType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
            Headers.ContentLength = attachment.SizeBytes;
            Headers.TryAddWithoutValidation("Content-ID", CaseHandover.ContentId(attachment.AttachmentId));
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            Stream source;
            try
            {
                source = await _attachment.OpenAsync(cancellationToken);
            }
            catch (Exception e) when (Observe(e, cancellationToken))
            {
                throw; // not reached: Observe only records
            }

            var buffer = ArrayPool<byte>.Shared.Rent(CopyChunkBytes);
            try
            {
                long total = 0;
                while (true)
                {
                    int read;
                    try
                    {
                        read = await source.ReadAsync(buffer.AsMemory(0, CopyChunkBytes), cancellationToken);
                    }
                    catch (Exception e) when (Observe(e, cancellationToken))
                    {
                        throw;
                    }

                    if (read == 0) break;
                    total += read;
                    if (total > _attachment.SizeBytes) throw Fail($"Attachment {_attachment.AttachmentId} is longer than its announced size.");
                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    _watchdog.Progress();
                }
                if (total != _attachment.SizeBytes) throw Fail($"Attachment {_attachment.AttachmentId} is shorter than its announced size.");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                await source.DisposeAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _attachment.SizeBytes;
            return true;
        }

        // Records what went wrong on the source side (a cancellation of the exchange is not the attachment's fault); never catches.
        private bool Observe(Exception e, CancellationToken ct)
        {
            if (!(e is OperationCanceledException && ct.IsCancellationRequested)) _failure.Set(e);
            return false;
        }

        private IOException Fail(string message)
        {
            var e = new IOException(message);
            _failure.Set(e);
            return e;
        }
    }
}
