using System.Text.Json.Nodes;

namespace IntegrationHub.Benchmarks;

/// <summary>Median and spread of a figure measured in several runs.</summary>
public sealed record Figure(string Unit, IReadOnlyList<double> Runs)
{
    public double Median => Quantile(0.5);
    public double Min => Runs.Min();
    public double Max => Runs.Max();
    public double Q1 => Quantile(0.25);
    public double Q3 => Quantile(0.75);

    public double Quantile(double q)
    {
        var sorted = Runs.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var position = q * (sorted.Length - 1);
        var low = (int)Math.Floor(position);
        var high = (int)Math.Ceiling(position);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }

    public JsonObject ToJson() => new()
    {
        ["unit"] = Unit,
        ["median"] = Round(Median), ["min"] = Round(Min), ["max"] = Round(Max), ["q1"] = Round(Q1), ["q3"] = Round(Q3),
        ["n"] = Runs.Count,
        ["runs"] = new JsonArray(Runs.Select(r => (JsonNode)Round(r)).ToArray()),
    };

    public static double Round(double value) => Math.Round(value, value >= 100 ? 1 : value >= 1 ? 3 : 5);
}
