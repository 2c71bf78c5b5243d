using System.Text.Json;
using DuisPrioritiser.Classification;

namespace StormSimulator.Simulation;

/// <summary>
/// Writes summary.json in the shape (waits in seconds):
/// <c>{"policies": {"Fifo": {"classes": {"Critical": {"count":n,"p50":s,"p95":s,"p99":s,"max":s}, ...}, "clearSeconds": s, "utilisation": u}, ...}, "ideal": {"Critical": {"p99": s, ...}, ...}}</c>.
/// The ideal's classes carry the same statistics as the policies' (a superset of the required <c>p99</c>).
/// </summary>
internal static class SummaryJsonWriter
{
    public static void Write(Stream stream, SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(result);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("policies");
        foreach (var run in result.Runs)
        {
            json.WriteStartObject(run.Name);
            json.WriteStartObject("classes");
            var stats = result.Statistics[run.Name];
            foreach (var level in PriorityLevels.All)
            {
                WriteStatistics(json, level.ToString(), stats[(int)level]);
            }

            json.WriteEndObject();
            json.WriteNumber("clearSeconds", Round(run.ClearSeconds));
            json.WriteNumber("utilisation", Math.Round(run.Utilisation, 6));
            if (run.Outage is { } outage)
            {
                OutageSummaryJson.Write(json, outage);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteStartObject("ideal");
        foreach (var level in PriorityLevels.All)
        {
            WriteStatistics(json, level.ToString(), result.Ideal[(int)level]);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static string ToJson(SimulationResult result)
    {
        using var stream = new MemoryStream();
        Write(stream, result);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteStatistics(Utf8JsonWriter json, string name, WaitStatistics stats)
    {
        json.WriteStartObject(name);
        json.WriteNumber("count", stats.Count);
        json.WriteNumber("p50", Round(stats.P50));
        json.WriteNumber("p95", Round(stats.P95));
        json.WriteNumber("p99", Round(stats.P99));
        json.WriteNumber("max", Round(stats.Max));
        json.WriteEndObject();
    }

    private static double Round(double seconds) => double.IsFinite(seconds) ? Math.Round(seconds, 3) : -1;
}
