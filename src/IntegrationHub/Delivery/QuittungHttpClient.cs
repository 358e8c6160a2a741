using System.Net;
using System.Net.Http.Headers;
using IntegrationHub.Signing;
using IntegrationHub.Validation;

namespace IntegrationHub.Delivery;

/// <summary>
/// Posts a signed case handover to a procedure that answers with a fall.quittung.0002, the
/// push style both specialist procedures speak today. Sorts answers into receipt, permanent
/// refusal and transient failure, which decides between "done", "error queue" and "retry".
/// </summary>
public static class QuittungHttpClient
{
    private const long MaxQuittungBytes = 1024 * 1024;

    public static async Task<HandoverReceipt> PostAsync(HttpClient http, string relativePath, HandoverCall call, CancellationToken ct)
    {
        var uri = new Uri(new Uri(call.Options.BaseUrl.TrimEnd('/') + "/"), relativePath);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Headers.Add("Idempotency-Key", call.IdempotencyKey);
        request.Content = new ByteArrayContent(call.SignedXml);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/xml") { CharSet = "utf-8" };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(call.Options.Timeout);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (response.IsSuccessStatusCode)
        {
            // The timeout covers the body too: a target that sends headers and then stalls must not hold a consumer.
            var quittung = SafeXml.Load(await ReadLimitedAsync(response.Content, MaxQuittungBytes, timeout.Token), MaxQuittungBytes).DocumentElement!;
            var result = BusinessRules.Path(quittung, "ergebnis");
            var aktenzeichen = BusinessRules.Path(quittung, "aktenzeichen");
            if (result != "ANGENOMMEN" || string.IsNullOrEmpty(aktenzeichen))
                throw new PermanentDeliveryException($"{call.Target} refused the case in its Quittung (ergebnis {result ?? "missing"}).");
            return new HandoverReceipt(aktenzeichen);
        }
        if (IsPermanent(response.StatusCode))
        {
            var problem = await response.Content.ReadAsStringAsync(timeout.Token);
            throw new PermanentDeliveryException($"{call.Target} answered {(int)response.StatusCode}: {Truncate(problem, 500)}");
        }
        throw new HttpRequestException($"{call.Target} answered {(int)response.StatusCode}.", null, response.StatusCode);
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpContent content, long maxBytes, CancellationToken ct)
    {
        await using var body = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw new PermanentDeliveryException("The target's Quittung exceeds the size limit.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public static bool IsPermanent(HttpStatusCode status) =>
        (int)status is >= 400 and < 500 && status is not (HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
