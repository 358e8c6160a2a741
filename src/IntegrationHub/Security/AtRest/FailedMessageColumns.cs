using IntegrationHub.Operations;

namespace IntegrationHub.Security.AtRest;

/// <summary>
/// The failed-message columns that may hold personal data (the original body and headers, the exception's message and
/// stack trace, which can quote a target's answer), protected with the municipality's data key (the hub-wide key when
/// the message names none), bound to their row and column. Legacy rows written in plaintext are read as they are.
/// </summary>
public sealed class FailedMessageColumns(AtRestProtector protector)
{
    public const string Body = nameof(FailedMessage.Body);
    public const string Headers = nameof(FailedMessage.Headers);
    public const string ExceptionMessage = nameof(FailedMessage.ExceptionMessage);
    public const string StackTrace = nameof(FailedMessage.StackTrace);

    public static string Context(Guid rowId, string column) => $"failed-messages/{rowId:N}/{column}";

    public Task<string?> ProtectAsync(Guid rowId, string? ars, string column, string? value, CancellationToken ct) =>
        protector.ProtectTextAsync(ars, value, Context(rowId, column), ct);

    public Task<string?> ReadAsync(Guid rowId, string? ars, string column, string? stored, CancellationToken ct) =>
        protector.UnprotectTextAsync(ars, stored, Context(rowId, column), ct);

    /// <summary>An operator's edited headers (MessageEdit.EditedHeaders), under the failed message's municipality, bound to the edit.</summary>
    public Task<string?> ProtectEditedHeadersAsync(Guid editId, string? ars, string? json, CancellationToken ct) =>
        protector.ProtectTextAsync(ars, json, $"message-edits/{editId:N}/EditedHeaders", ct);

    public Task<string?> ReadEditedHeadersAsync(Guid editId, string? ars, string? stored, CancellationToken ct) =>
        protector.UnprotectTextAsync(ars, stored, $"message-edits/{editId:N}/EditedHeaders", ct);

    /// <summary>Encrypts a new row's protected columns in place, before it is added.</summary>
    public async Task ProtectAsync(FailedMessage row, CancellationToken ct)
    {
        row.Body = (await ProtectAsync(row.Id, row.Ars, Body, row.Body, ct))!;
        row.Headers = (await ProtectAsync(row.Id, row.Ars, Headers, row.Headers, ct))!;
        row.ExceptionMessage = await ProtectAsync(row.Id, row.Ars, ExceptionMessage, row.ExceptionMessage, ct);
        row.StackTrace = await ProtectAsync(row.Id, row.Ars, StackTrace, row.StackTrace, ct);
    }

    /// <summary>Decrypts a row read without tracking, in place (it is never saved back).</summary>
    public async Task<FailedMessage> ReadAsync(FailedMessage row, CancellationToken ct)
    {
        row.Body = (await ReadAsync(row.Id, row.Ars, Body, row.Body, ct))!;
        row.Headers = (await ReadAsync(row.Id, row.Ars, Headers, row.Headers, ct))!;
        row.ExceptionMessage = await ReadAsync(row.Id, row.Ars, ExceptionMessage, row.ExceptionMessage, ct);
        row.StackTrace = await ReadAsync(row.Id, row.Ars, StackTrace, row.StackTrace, ct);
        return row;
    }
}
