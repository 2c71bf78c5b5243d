using System.Globalization;
using System.Text;
using System.Text.Json;
using DuisPrioritiser.Classification;
using StormSimulator.Simulation;

namespace StormSimulator.ScaleOut;

/// <summary>Writes report.md and summary.json of a scale-out run.</summary>
internal static class ScaleOutReportWriter
{
    /// <summary>The name of the run in summary.json's <c>policies</c>.</summary>
    public const string RunName = "Default";

    public static string Write(ScaleOutResult result, string commandLine, string loadBefore, string loadAfter)
    {
        ArgumentNullException.ThrowIfNull(result);
        var s = result.Scenario;
        const int Critical = (int)PriorityLevel.Critical;
        var md = new StringBuilder();
        md.AppendLine(Invariant($"# Storm simulation on PostgreSQL, {s.Instances} instances"));
        md.AppendLine();
        md.AppendLine("```");
        md.AppendLine(commandLine);
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine(Invariant($"- **Backlog**: {result.BacklogCount:N0} messages queued during the outage, all handed to the adapter at t = 0 (accepted with the clock stopped at t = 0, in {result.BacklogIntakeSeconds:0.0} s of wall-clock time, {result.BacklogCount / Math.Max(0.001, result.BacklogIntakeSeconds):N0}/s)."));
        md.AppendLine(Invariant($"- **Ongoing arrivals**: Poisson, {s.NormalRate:0.###}/s for {s.DurationSeconds:0.###} s ({result.TraceCount - result.BacklogCount:N0} messages, fed at their trace times; the latest was fed {result.MaxFeedLagSeconds:0.000} s of simulated time late); {result.TraceCount:N0} in all."));
        md.AppendLine(Invariant($"- **Back-end**: {s.Capacity:0.###} messages/s, shared by the instances: {s.Workers} workers, {s.Workers / s.Capacity:0.###} s per call, worker w calling instance w mod {s.Instances}."));
        md.AppendLine(Invariant($"- **Instances**: {s.Instances} `ResponseReleaseScheduler`s in one process, each built with `AddResponsePrioritisation(...).UsePostgreSql(connectionString, o => o.Schema = <fresh schema>)` and the Default policy (library defaults), the simulator's capacity and classification settings as in every other run; arrivals round-robin over the instances."));
        md.AppendLine(Invariant($"- **Scaled time**: 1 simulated second = {s.TimeScaleMilliseconds:0.###} ms of wall-clock time ({1000 / s.TimeScaleMilliseconds:0.##}x faster than real time): the back-end releases {s.Capacity * 1000 / s.TimeScaleMilliseconds:N0} messages per wall-clock second while backlogged. Drain: {result.DrainSeconds:0.0} s of wall-clock time; whole run {result.Elapsed.TotalSeconds:0.0} s."));
        md.AppendLine(Invariant($"- **Clock held back** {result.HeldBackSeconds:0.0} s of wall-clock time in all ({result.HeldBackSeconds / Math.Max(0.001, result.DrainSeconds) * 100:0}% of the drain): simulated time never ran more than {ScaleOutSimulation.LagSeconds:0.0} s past a back-end worker due to pull while the backlog held work for every worker, or past an arrival still to be fed, so a loaded host slows the run down instead of adding to the waits; {result.HoldsCutShort:N0} holds lasted {ScaledTimeProvider.MaxHold.TotalSeconds:0} s and were cut short (the clock then ran on, and lags beyond 0.2 s counted)."));
        md.AppendLine("- **Levels** (as the scheduler's classifier decides): " + string.Join(", ", PriorityLevels.All.Select(l => Invariant($"{l} {result.CountByLevel[(int)l]:N0}"))) + ".");
        md.AppendLine(Invariant($"- **Seed** {s.Seed}. Waits are simulated seconds from arrival to the moment `DequeueAsync` returned the message. Percentiles are nearest-rank."));
        md.AppendLine(Invariant($"- **Load of the machine** (2 shared cores, `/proc/loadavg`): {loadBefore} before, {loadAfter} after."));
        if (!result.Complete)
        {
            md.AppendLine(Invariant($"- **Incomplete**: stopped at the wall-clock limit ({s.WallLimitSeconds:0} s) at t = {result.StopTicks / (double)TimeSpan.TicksPerSecond:N0} s simulated with {result.TraceCount - result.Released:N0} messages not yet released (") + string.Join(", ", PriorityLevels.All.Select(l => Invariant($"{l} {result.UnreleasedByLevel[(int)l]:N0}"))) + "). Their waits are counted up to the stop (lower bounds), so a level's percentiles are lower bounds where it has unreleased messages.");
        }

        md.AppendLine();
        md.AppendLine("## Waits per class (simulated seconds)");
        md.AppendLine();
        md.AppendLine("| Class | Count | | p50 | p95 | p99 | max | p99 / ideal |");
        md.AppendLine("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var level in PriorityLevels.All)
        {
            var w = result.Statistics[(int)level];
            var ideal = result.Ideal[(int)level];
            string ratio = ideal.P99 > 0 ? Invariant($"{w.P99 / ideal.P99:0.000}x") : "n/a";
            md.AppendLine(Invariant($"| **{level}** | {w.Count:N0} | {s.Instances} instances | {F(w.P50)} | {F(w.P95)} | {F(w.P99)} | {F(w.Max)} | {ratio} |"));
            md.AppendLine(Invariant($"| | | *Ideal* | *{F(ideal.P50)}* | *{F(ideal.P95)}* | *{F(ideal.P99)}* | *{F(ideal.Max)}* | |"));
        }

        md.AppendLine();
        md.AppendLine("## Conservation and the run");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("| --- | ---: |");
        md.AppendLine(Invariant($"| Accepted (committed) | {result.Accepted:N0} |"));
        md.AppendLine(Invariant($"| Released, each exactly once (matched by id) | {result.Released:N0} |"));
        md.AppendLine(Invariant($"| Lost | {result.Lost:N0} |"));
        md.AppendLine(Invariant($"| Released more than once | {result.DuplicateReleases:N0} |"));
        md.AppendLine(Invariant($"| Duplicates suppressed at intake | {result.DuplicatesSuppressed:N0} (the default scenario has no DCC redeliveries) |"));
        md.AppendLine(Invariant($"| Left in the backlog table / dead-lettered | {result.LeftInBacklog:N0} / {result.DeadLettered:N0} |"));
        md.AppendLine(Invariant($"| Releases per instance | {string.Join(" / ", result.ReleasesByInstance.Select(n => n.ToString("N0", CultureInfo.InvariantCulture)))} |"));
        md.AppendLine(Invariant($"| Backlog cleared (s), run / ideal | {Seconds(result.ClearTicks)} / {Seconds(result.IdealClearTicks)} |"));
        md.AppendLine(Invariant($"| Utilisation while backlogged | {(result.Utilisation) * 100:0.00}% |"));
        md.AppendLine(Invariant($"| New Critical (arrived after the Critical backlog cleared) p99 / max (s) | {result.NewCritical.P99:0.000} / {result.NewCritical.Max:0.000} |"));
        md.AppendLine(Invariant($"| Outage-backlog Bulk released before its last Critical | {result.FloodBulkReleasedBeforeLastCritical:N0} of {result.FloodBulkCount:N0} (the 5% minimum share) |"));
        md.AppendLine();
        md.AppendLine("## Target");
        md.AppendLine();
        md.AppendLine("| Target | Measured | Met |");
        md.AppendLine("| --- | --- | :---: |");
        var critical = result.Statistics[Critical];
        var idealCritical = result.Ideal[Critical];
        md.AppendLine(Invariant($"| Critical p99 within {ScaleOutResult.CriticalIdealFactor:0.0}x of the single-instance ideal | {critical.P99:N1} s vs ideal {idealCritical.P99:N1} s = {result.CriticalRatio:0.000}x | {(result.CriticalRatio <= ScaleOutResult.CriticalIdealFactor ? "yes" : "no")} |"));
        md.AppendLine(Invariant($"| Nothing lost, every message released exactly once | {result.Lost:N0} lost, {result.DuplicateReleases:N0} released twice | {(result.Lost == 0 && result.DuplicateReleases == 0 ? "yes" : "no")} |"));
        return md.ToString();
    }

    public static void WriteJson(Stream stream, ScaleOutResult result, string loadBefore, string loadAfter)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(result);
        var s = result.Scenario;
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("scenario");
        json.WriteNumber("backlog", result.BacklogCount);
        json.WriteNumber("messages", result.TraceCount);
        json.WriteNumber("capacity", s.Capacity);
        json.WriteNumber("normalRate", s.NormalRate);
        json.WriteNumber("durationSeconds", s.DurationSeconds);
        json.WriteNumber("workers", s.Workers);
        json.WriteNumber("seed", s.Seed);
        json.WriteNumber("instances", s.Instances);
        json.WriteString("store", "PostgreSQL");
        json.WriteNumber("timeScaleMillisecondsPerSimulatedSecond", s.TimeScaleMilliseconds);
        json.WriteString("loadBefore", loadBefore);
        json.WriteString("loadAfter", loadAfter);
        json.WriteEndObject();
        json.WriteStartObject("policies");
        json.WriteStartObject(RunName);
        json.WriteStartObject("classes");
        foreach (var level in PriorityLevels.All)
        {
            WriteStatistics(json, level.ToString(), result.Statistics[(int)level]);
        }

        json.WriteEndObject();
        json.WriteNumber("clearSeconds", Round(result.ClearTicks / (double)TimeSpan.TicksPerSecond));
        json.WriteNumber("utilisation", Math.Round(result.Utilisation, 6));
        json.WriteNumber("criticalP99OverIdeal", Math.Round(result.CriticalRatio, 4));
        json.WriteBoolean("complete", result.Complete);
        json.WriteNumber("stopSeconds", Round(result.StopTicks / (double)TimeSpan.TicksPerSecond));
        json.WriteStartObject("unreleased");
        foreach (var level in PriorityLevels.All)
        {
            json.WriteNumber(level.ToString(), result.UnreleasedByLevel[(int)level]);
        }

        json.WriteEndObject();
        json.WriteNumber("accepted", result.Accepted);
        json.WriteNumber("released", result.Released);
        json.WriteNumber("lost", result.Lost);
        json.WriteNumber("releasedTwice", result.DuplicateReleases);
        json.WriteNumber("duplicatesSuppressed", result.DuplicatesSuppressed);
        json.WriteNumber("leftInBacklog", result.LeftInBacklog);
        json.WriteNumber("deadLettered", result.DeadLettered);
        json.WriteStartArray("releasesByInstance");
        foreach (long n in result.ReleasesByInstance)
        {
            json.WriteNumberValue(n);
        }

        json.WriteEndArray();
        json.WriteNumber("backlogIntakeWallSeconds", Round(result.BacklogIntakeSeconds));
        json.WriteNumber("drainWallSeconds", Round(result.DrainSeconds));
        json.WriteNumber("clockHeldBackWallSeconds", Round(result.HeldBackSeconds));
        json.WriteNumber("clockHoldsCutShort", result.HoldsCutShort);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("ideal");
        foreach (var level in PriorityLevels.All)
        {
            WriteStatistics(json, level.ToString(), result.Ideal[(int)level]);
        }

        json.WriteEndObject();
        json.WriteNumber("idealClearSeconds", Round(result.IdealClearTicks / (double)TimeSpan.TicksPerSecond));
        json.WriteEndObject();
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

    private static string Seconds(long ticks) => ticks < 0 ? "never" : Invariant($"{ticks / (double)TimeSpan.TicksPerSecond:N1}");

    private static string F(double seconds) => seconds.ToString("N1", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
