using System.Globalization;
using System.Text;
using DuisPrioritiser.Classification;

namespace StormSimulator.Simulation;

/// <summary>Writes report.md: the scenario, the per-class wait table, the per-policy table and the targets.</summary>
internal static class MarkdownReportWriter
{
    public static string Write(SimulationResult result, string chartFileName)
    {
        ArgumentNullException.ThrowIfNull(result);
        var s = result.Scenario;
        var md = new StringBuilder();
        md.AppendLine("# Outage-recovery storm simulation");
        md.AppendLine();
        md.AppendLine(Invariant($"- **Backlog**: {result.BacklogCount:N0} messages queued during the outage, all handed to the adapter at t = 0."));
        md.AppendLine(Invariant($"- **Ongoing arrivals**: Poisson, {s.NormalRate:0.###}/s for {s.DurationSeconds:0.###} s ({result.TraceCount - result.BacklogCount:N0} messages); {result.TraceCount:N0} in all."));
        md.AppendLine(Invariant($"- **Back-end**: {s.Capacity:0.###} messages/s: {s.Workers} workers, {s.Workers / s.Capacity:0.###} s per call") +
            (s.LatencyJitter > 0 ? Invariant($" (jitter ±{(s.LatencyJitter) * 100:0}%)") : string.Empty) +
            (s.FailureRate > 0 ? Invariant($", {(s.FailureRate) * 100:0.0}% of calls fail and are retried after {s.RetryDelaySeconds:0.###} s") : ", no failures") + ".");
        md.AppendLine("- **Mix**: " + s.Mix + ".");
        md.AppendLine("- **Levels** (as the scheduler's classifier decides): " + string.Join(", ", PriorityLevels.All.Select(l => Invariant($"{l} {result.CountByLevel[(int)l]:N0} ({(result.CountByLevel[(int)l] / (double)Math.Max(1, result.TraceCount)) * 100:0.0}%)"))) + ".");
        md.AppendLine(Invariant($"- **Default policy**: the scheduler with the drain policy `AddResponsePrioritisation()` registers by default: strict priority with bounded waits (Bulk {Bound(result.BulkBoundSeconds)}), Bulk minimum share {(result.BulkMinShare) * 100:0}%, overdue share {(result.OverdueShare) * 100:0}%") +
            (s.BulkRecoveryRate is > 0 ? Invariant($", Bulk throttled to {s.BulkRecoveryRate:0.###}/s in Recovery") : ", no throttles") +
            (s.BulkMaxWaitSeconds is not null || s.BulkMinShare is not null || s.OverdueShare is not null || s.BulkRecoveryRate is > 0 ? " (set from the command line; the rest are library defaults)." : " (library defaults)."));
        md.AppendLine(Invariant($"- **Seed** {s.Seed}. Waits are in seconds, from arrival to release to the back-end. Percentiles are nearest-rank."));
        md.AppendLine();

        md.AppendLine("## Waits per class (seconds)");
        md.AppendLine();
        md.AppendLine("| Class | Count | Policy | p50 | p95 | p99 | max |");
        md.AppendLine("| --- | ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var level in PriorityLevels.All)
        {
            bool first = true;
            foreach (var run in result.Runs)
            {
                var w = result.Statistics[run.Name][(int)level];
                md.AppendLine(Invariant($"| {(first ? $"**{level}**" : string.Empty)} | {(first ? w.Count.ToString("N0", CultureInfo.InvariantCulture) : string.Empty)} | {run.Name} | {F(w.P50)} | {F(w.P95)} | {F(w.P99)} | {F(w.Max)} |"));
                first = false;
            }

            var ideal = result.Ideal[(int)level];
            md.AppendLine(Invariant($"| | | *Ideal* | *{F(ideal.P50)}* | *{F(ideal.P95)}* | *{F(ideal.P99)}* | *{F(ideal.Max)}* |"));
        }

        md.AppendLine();
        md.AppendLine("## Per policy");
        md.AppendLine();
        md.AppendLine("| Policy | Backlog cleared (s) | Utilisation while backlogged | Critical p99 / ideal | FIFO Critical p99 / this | New Critical p99 / max (s) | Bulk max wait (s) | Bulk share while contested | Lowest Bulk share per minute while Bulk backlogged |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        const int Critical = (int)PriorityLevel.Critical;
        const int Bulk = (int)PriorityLevel.Bulk;
        result.Statistics.TryGetValue(PolicyNames.Fifo, out var fifo);
        foreach (var run in result.Runs)
        {
            var stats = result.Statistics[run.Name];
            double p99 = stats[Critical].P99;
            string vsIdeal = result.Ideal[Critical].P99 > 0 ? Invariant($"{p99 / result.Ideal[Critical].P99:0.000}x") : "n/a";
            string vsFifo = fifo is not null && p99 > 0 ? Invariant($"{fifo[Critical].P99 / p99:0.00}x") : "n/a";
            string share = run.ContestedBulkShare is { } c ? Invariant($"{c * 100:0.00}%") : "n/a";
            string minute = run.MinWindowBulkShare is { } m ? Invariant($"{m * 100:0.00}%") : "n/a";
            md.AppendLine(Invariant($"| {run.Name} | {F(run.ClearSeconds)} | {(run.Utilisation) * 100:0.00}% | {vsIdeal} | {vsFifo} | {F(result.NewCritical[run.Name].P99)} / {F(result.NewCritical[run.Name].Max)} | {F(stats[Bulk].Max)} | {share} | {minute} |"));
        }

        md.AppendLine();
        md.AppendLine(Invariant($"*Contested*: releases made while Bulk and a higher class both held messages. *New Critical*: Critical messages that arrived after the Critical backlog had cleared, i.e. after every earlier Critical message had been released (ideal: {F(result.IdealNewCritical.P99)} / {F(result.IdealNewCritical.Max)}). *Per minute*: the lowest Bulk share of releases in any minute with at least 1,000 releases made while Bulk held messages (the minimum-share guarantee). *Utilisation*: busy back-end time over available back-end time from t = 0 until the backlog was cleared."));
        foreach (var run in result.Runs.Where(r => r.ModeChanges.Count > 0))
        {
            md.AppendLine();
            md.AppendLine(Invariant($"{run.Name} traffic mode: ") + string.Join(", then ", run.ModeChanges.Select(c => Invariant($"{c.Mode} at {c.Ticks / (double)TimeSpan.TicksPerSecond:0.0} s"))) + ".");
        }

        var targets = result.EvaluateTargets();
        if (targets.Count > 0)
        {
            AppendTargets(md, "Targets (Default policy)", targets);
        }

        md.AppendLine();
        md.AppendLine("## Chart");
        md.AppendLine();
        md.AppendLine($"![Per-class wait distribution per policy, and backlog by class over time]({chartFileName})");
        md.AppendLine();
        md.AppendLine("Conservation: every policy released every message exactly once" +
            (result.Runs.Any(r => r.LevelMismatches > 0) ? Invariant($" (level mismatches: {string.Join(", ", result.Runs.Select(r => $"{r.Name} {r.LevelMismatches}"))})") : "; the scheduler classified every message as the trace did") + ".");
        md.AppendLine(Invariant($"Run time: ") + string.Join(", ", result.Runs.Select(r => Invariant($"{r.Name} {r.Elapsed.TotalSeconds:0.0} s"))) + ".");
        return md.ToString();
    }

    /// <summary>Formats seconds: three decimals below 1 s, one above.</summary>
    public static string F(double seconds)
        => !double.IsFinite(seconds) ? "n/a" : seconds < 1 ? seconds.ToString("0.000", CultureInfo.InvariantCulture) : seconds.ToString("#,0.0", CultureInfo.InvariantCulture);

    private static string Bound(double? seconds) => seconds is { } s ? Invariant($"max wait {s:0} s") : "unbounded";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Appends a "Target | Measured | Met" table under a level-2 heading (shared with the outage report).</summary>
    internal static void AppendTargets(StringBuilder md, string heading, IEnumerable<TargetResult> targets)
    {
        md.AppendLine();
        md.AppendLine($"## {heading}");
        md.AppendLine();
        md.AppendLine("| Target | Measured | Met |");
        md.AppendLine("| --- | --- | :---: |");
        foreach (var t in targets)
        {
            md.AppendLine($"| {t.Target} | {t.Measured} | {(t.Met ? "yes" : "**no**")} |");
        }
    }
}
