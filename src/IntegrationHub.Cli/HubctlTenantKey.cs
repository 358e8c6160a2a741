using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace IntegrationHub.Cli;

// What hubctl reads from the key rotation endpoints (/api/v1/operations/municipalities/{ars}/destinations/{id}/keys).
public sealed record DestinationKeyInfo(int Version, string Kid, string State, DateTimeOffset? CreatedAt, string? CreatedBy, DateTimeOffset? RetiresAt);

public sealed record DestinationKeys(string Ars, Guid DestinationId, string CurrentKid, List<DestinationKeyInfo> Keys);

public sealed record DestinationKeyRotated(string Ars, Guid DestinationId, string Kid, int Version, string PreviousKid, DateTimeOffset PreviousRetiresAt);

public sealed record DestinationKeyRetired(string Ars, Guid DestinationId, string Kid, DateTimeOffset RetiredAt, bool AlreadyRetired);

public sealed partial class Hubctl
{
    /// <summary>hubctl tenant: rotate and retire destination keys.</summary>
    private IEnumerable<Command> TenantKeyCommands()
    {
        var ars = new Argument<string>("ars") { Description = "The municipality's ARS (12 digits)" };
        var destination = new Argument<Guid>("destination") { Description = "The destination's id" };
        var keys = new Command("keys", "A destination's encryption keys: current, accepted until the end of their overlap, retired") { ars, destination };
        keys.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var body = await hub.GetAsync(KeysPath(r.GetValue(ars)!, r.GetValue(destination)), ct);
            if (json) return Json(body);
            var view = HubClient.Read<DestinationKeys>(body);
            _console.WriteLine($"Destination {view.DestinationId} ({view.Ars}) publishes key {view.CurrentKid}.");
            _console.Write(KeyTable(view.Keys));
            return Ok;
        }));
        yield return keys;

        var overlap = new Option<string?>("--overlap") { Description = "How long the previous key stays accepted, e.g. 14d, 36h (default: Hub:Keys:RotationOverlap)" };
        var rotate = new Command("rotate-key", "Publishes a new encryption key for the destination; the previous one stays accepted for the overlap (admin)")
        {
            ars, destination, overlap,
        };
        rotate.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var request = new JsonObject();
            if (r.GetValue(overlap) is { } given) request["overlap"] = given;
            var body = await hub.PostAsync(KeysPath(r.GetValue(ars)!, r.GetValue(destination)), request, ct);
            if (json) return Json(body);
            var rotated = HubClient.Read<DestinationKeyRotated>(body);
            _console.WriteLine($"Destination {rotated.DestinationId} now publishes key {rotated.Kid}.");
            _console.WriteLine($"Key {rotated.PreviousKid} stays accepted until {Time(rotated.PreviousRetiresAt)}.");
            return Ok;
        }));
        yield return rotate;

        var kid = new Argument<string>("kid") { Description = "The key's kid (see hubctl tenant keys)" };
        var retire = new Command("retire-key", "Retires a previous key of the destination now, before its overlap ends (admin)") { ars, destination, kid };
        retire.SetAction((r, ct) => RunAsync(r, ct, async (hub, json) =>
        {
            var path = $"{KeysPath(r.GetValue(ars)!, r.GetValue(destination))}/{Uri.EscapeDataString(r.GetValue(kid)!)}/retire";
            var body = await hub.PostAsync(path, new JsonObject(), ct);
            if (json) return Json(body);
            var retired = HubClient.Read<DestinationKeyRetired>(body);
            _console.WriteLine(retired.AlreadyRetired
                ? $"Key {retired.Kid} was already retired at {Time(retired.RetiredAt)}."
                : $"Key {retired.Kid} is retired: no longer published, submissions encrypted to it are rejected.");
            return Ok;
        }));
        yield return retire;
    }

    private static string KeysPath(string ars, Guid destination) => $"municipalities/{Uri.EscapeDataString(ars)}/destinations/{destination}/keys";

    private static Table KeyTable(IEnumerable<DestinationKeyInfo> keys)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in new[] { "Version", "Kid", "State", "Created", "Created by" }) table.AddColumn(new TableColumn(new Text(column)));
        foreach (var key in keys)
        {
            var state = key.State switch
            {
                "accepted" => $"accepted until {Time(key.RetiresAt)}",
                "retired" => $"retired {Time(key.RetiresAt)}",
                _ => key.State,
            };
            table.AddRow(new IRenderable[]
            {
                new Text(key.Version.ToString(CultureInfo.InvariantCulture)), new Text(key.Kid), new Text(state),
                new Text(Time(key.CreatedAt)), new Text(key.CreatedBy ?? (key.Version == 1 ? "(set up with the destination)" : "")),
            });
        }
        return table;
    }

    private static string Time(DateTimeOffset? at) => at?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";
}
