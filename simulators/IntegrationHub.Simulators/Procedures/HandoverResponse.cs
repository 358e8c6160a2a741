using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Simulators.Procedures;

/// <summary>
/// A procedure's answer independent of the transport (HTTP today, a mailbox later): status,
/// media type and body bytes, plus what the test recording needs.
/// </summary>
public sealed record HandoverResponse(int StatusCode, string ContentType, byte[] Body)
{
    public const string ProblemJson = "application/problem+json";
    public const string Xml = "application/xml";

    /// <summary>The case file number, for 200/201 answers.</summary>
    public string? Aktenzeichen { get; init; }

    /// <summary>Location of the created case, for 201 answers (relative to the simulator's base).</summary>
    public string? Location { get; init; }

    public string BodyText => Encoding.UTF8.GetString(Body);

    /// <summary>An RFC 7807 problem whose type is urn:integrationhub:simulator:{simulator}:{kind}.</summary>
    public static HandoverResponse Problem(string simulator, int status, string kind, string title, string? detail = null, JsonArray? errors = null)
    {
        var problem = new JsonObject
        {
            ["type"] = ProblemType(simulator, kind),
            ["title"] = title,
            ["status"] = status,
        };
        if (detail is not null)
        {
            problem["detail"] = detail;
        }

        if (errors is not null)
        {
            problem["errors"] = errors;
        }

        return new HandoverResponse(status, ProblemJson, Encoding.UTF8.GetBytes(problem.ToJsonString()));
    }

    public static string ProblemType(string simulator, string kind) => $"urn:integrationhub:simulator:{simulator}:{kind}";
}
