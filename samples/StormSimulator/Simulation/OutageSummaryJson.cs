using System.Text.Json;
using DuisPrioritiser.Classification;

namespace StormSimulator.Simulation;

/// <summary>
/// The <c>--backend-outage</c> fields of a policy in summary.json: <c>dead_lettered</c>,
/// <c>backend_calls_during_outage</c>, <c>critical_share_after_outage</c> (null when no Critical message was held at
/// the back-end's return), a few more counts, and <c>no_outage</c>: the same policy's waits with the same settings and
/// no outage.
/// </summary>
internal static class OutageSummaryJson
{
    public static void Write(Utf8JsonWriter json, OutageMetrics outage)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(outage);
        json.WriteStartObject("backend_outage");
        json.WriteNumber("start_seconds", outage.Outage.StartSeconds);
        json.WriteNumber("duration_seconds", outage.Outage.DurationSeconds);
        json.WriteEndObject();
        json.WriteNumber("dead_lettered", outage.DeadLettered);
        json.WriteNumber("backend_calls_during_outage", outage.BackendCallsDuringOutage);
        if (outage.CriticalShareAfterOutage is { } share)
        {
            json.WriteNumber("critical_share_after_outage", Math.Round(share, 6));
        }
        else
        {
            json.WriteNull("critical_share_after_outage");
        }

        json.WriteNumber("critical_held_at_recovery", outage.CriticalHeldAtRecovery);
        json.WriteNumber("releases_until_no_critical_held", outage.WindowReleases);
        json.WriteNumber("backend_calls", outage.BackendCalls);
        json.WriteNumber("breaker_openings", outage.BreakerOpenings);
        if (outage.NoOutage is { } baseline)
        {
            json.WriteStartObject("no_outage");
            json.WriteStartObject("classes");
            var sorted = WaitStatistics.SortByLevel(baseline.WaitTicks, baseline.Levels, PriorityLevels.Count);
            foreach (var level in PriorityLevels.All)
            {
                var stats = WaitStatistics.FromSorted(sorted[(int)level]);
                json.WriteStartObject(level.ToString());
                json.WriteNumber("count", stats.Count);
                json.WriteNumber("p50", Round(stats.P50));
                json.WriteNumber("p95", Round(stats.P95));
                json.WriteNumber("p99", Round(stats.P99));
                json.WriteNumber("max", Round(stats.Max));
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteNumber("clearSeconds", Round(baseline.ClearSeconds));
            json.WriteNumber("utilisation", Math.Round(baseline.Utilisation, 6));
            json.WriteEndObject();
        }
    }

    private static double Round(double seconds) => double.IsFinite(seconds) ? Math.Round(seconds, 3) : -1;
}
