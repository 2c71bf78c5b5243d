using System.Globalization;
using System.Text;
using DuisPrioritiser.Classification;

namespace StormSimulator.Simulation;

/// <summary>Writes report.md for the <c>--backend-outage</c> scenario: what the outage did to each policy, against the same run without it.</summary>
internal static class OutageReportWriter
{
    /// <summary>The Critical share after the outage that strict priority must reach.</summary>
    public const double StrictCriticalShare = 1.0;

    public static string Write(SimulationResult result, string chartFileName)
    {
        ArgumentNullException.ThrowIfNull(result);
        var s = result.Scenario;
        var outage = s.BackendOutage ?? throw new ArgumentException("Not a --backend-outage result.", nameof(result));
        var md = new StringBuilder();
        md.AppendLine("# Back-end outage during the storm");
        md.AppendLine();
        md.AppendLine(Invariant($"- **Outage**: the back-end fails every call (at once, asynchronously: a refused connection or a 503) from t = {outage.StartSeconds:0.###} s for {outage.DurationSeconds:0.###} s (`--backend-outage {outage}`); before and after, it works at full capacity."));
        md.AppendLine(Invariant($"- **Storm**: {result.BacklogCount:N0} messages queued at t = 0, then Poisson arrivals at {s.NormalRate:0.###}/s for {s.DurationSeconds:0.###} s; {result.TraceCount:N0} in all. Levels: ") + string.Join(", ", PriorityLevels.All.Select(l => Invariant($"{l} {result.CountByLevel[(int)l]:N0}"))) + ".");
        md.AppendLine(Invariant($"- **Back-end**: {s.Capacity:0.###} messages/s: {s.Workers} workers, {s.Workers / s.Capacity:0.###} s per call") + (s.FailureRate > 0 ? Invariant($", {s.FailureRate * 100:0.0}% of calls fail outside the outage") : string.Empty) + ".");
        md.AppendLine(Invariant($"- **Release loop**: the scheduler's hosted release loop, built with `AddResponsePrioritisation(...).UseHandler(...)` and driven in virtual time: the production Polly pipeline (2 retries with jittered exponential backoff from 1 s, circuit breaker at 50% failures over 5 s with at least 10 calls and breaks of 5 s doubling to 30 s, 30 s time-out per call), the back-end gate that holds the backlog while the breaker is open, and failed releases returned to the front of their level. In-flight limit fixed at the {s.Workers} workers; everything else library defaults (no maximum age or attempts)."));
        md.AppendLine("- **Waits**: from arrival to the first call that reached a working back-end. *No outage*: the same policy, settings and trace through the same engine with the back-end up throughout.");
        md.AppendLine();
        md.AppendLine("## What the outage did");
        md.AppendLine();
        md.AppendLine("| Policy | Dead-lettered | Back-end calls during the outage | Breaker openings | Critical held at the return | Releases until no Critical held | Critical share of them | First non-Critical release at | Backlog cleared (s), outage / none |");
        md.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var run in result.Runs)
        {
            var o = run.Outage!;
            string share = o.CriticalShareAfterOutage is { } c ? Invariant($"{c:0.0000}") : "n/a";
            string first = o.FirstNonCriticalInWindow < 0 ? "none" : Invariant($"#{o.FirstNonCriticalInWindow + 1:N0}");
            md.AppendLine(Invariant($"| {run.Name} | {o.DeadLettered:N0} | {o.BackendCallsDuringOutage:N0} | {o.BreakerOpenings:N0} | {o.CriticalHeldAtRecovery:N0} | {o.WindowReleases:N0} | {share} | {first} | {F(run.ClearSeconds)} / {F(o.NoOutage?.ClearSeconds ?? double.NaN)} |"));
        }

        md.AppendLine();
        md.AppendLine(Invariant($"Without holding, {s.Workers} workers failing at once and retrying would have made thousands of calls a second; an outage of {outage.DurationSeconds:0} s costs the back-end only the breaker's probes and the calls that opened it. *Critical share*: the fraction of releases that were Critical from the back-end's return until no Critical message was held (1.0 for strict priority; the Default policy's Bulk minimum share of 5% goes ahead of it)."));
        md.AppendLine();
        md.AppendLine("## Waits per class (seconds), with and without the outage");
        md.AppendLine();
        md.AppendLine("| Class | Count | Policy | p50 | p95 | p99 | max | p99 without the outage | p99 difference |");
        md.AppendLine("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var level in PriorityLevels.All)
        {
            bool firstRow = true;
            foreach (var run in result.Runs)
            {
                var w = result.Statistics[run.Name][(int)level];
                var baseline = NoOutageStatistics(run)[(int)level];
                md.AppendLine(Invariant($"| {(firstRow ? $"**{level}**" : string.Empty)} | {(firstRow ? w.Count.ToString("N0", CultureInfo.InvariantCulture) : string.Empty)} | {run.Name} | {F(w.P50)} | {F(w.P95)} | {F(w.P99)} | {F(w.Max)} | {F(baseline.P99)} | {Delta(w.P99 - baseline.P99)} |"));
                firstRow = false;
            }
        }

        MarkdownReportWriter.AppendTargets(md, "Targets", EvaluateTargets(result));

        md.AppendLine();
        md.AppendLine("## Chart");
        md.AppendLine();
        md.AppendLine($"![Per-class wait distribution per policy, and backlog by class over time]({chartFileName})");
        md.AppendLine();
        md.AppendLine("The ideal in the chart is the no-outage lower bound (one server of the back-end's capacity, strict priority, never down), so it bounds both runs from below.");
        md.AppendLine();
        md.AppendLine("Conservation: every message was handled exactly once" + (result.Runs.Any(r => r.LevelMismatches > 0) ? Invariant($" (level mismatches: {string.Join(", ", result.Runs.Select(r => $"{r.Name} {r.LevelMismatches}"))})") : "; the scheduler classified every message as the trace did") + ".");
        md.AppendLine(Invariant($"Run time: ") + string.Join(", ", result.Runs.Select(r => Invariant($"{r.Name} {r.Elapsed.TotalSeconds:0.0} s (no outage {r.Outage!.NoOutage?.Elapsed.TotalSeconds ?? 0:0.0} s)"))) + ".");
        return md.ToString();
    }

    /// <summary>Evaluates the outage targets: no dead letters, bounded calls during the outage, and Critical first after the return.</summary>
    public static IReadOnlyList<TargetResult> EvaluateTargets(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var targets = new List<TargetResult>();
        var outage = result.Scenario.BackendOutage!;

        // At most one call per 5 s break plus the calls that open the breaker (a small multiple of the in-flight limit).
        long bound = (long)Math.Ceiling(outage.DurationSeconds / 5) + (10L * result.Scenario.Workers);
        foreach (var run in result.Runs)
        {
            var o = run.Outage!;
            targets.Add(new TargetResult($"{run.Name}: no dead letters", Invariant($"{o.DeadLettered:N0}"), o.DeadLettered == 0));
            targets.Add(new TargetResult(Invariant($"{run.Name}: back-end calls during the outage at most {bound:N0} (one per break + 10 x workers)"), Invariant($"{o.BackendCallsDuringOutage:N0}"), o.BackendCallsDuringOutage <= bound));
            if (run.Name == PolicyNames.StrictPriority)
            {
                targets.Add(new TargetResult($"{run.Name}: every release Critical until no Critical held", o.CriticalShareAfterOutage is { } c ? Invariant($"{c:0.0000}") : "no Critical held", o.CriticalShareAfterOutage is null or StrictCriticalShare));
            }
            else if (o.CriticalShareAfterOutage is { } share)
            {
                double bulkShare = result.BulkMinShare;
                targets.Add(new TargetResult(Invariant($"{run.Name}: Critical share what Bulk's {bulkShare * 100:0}% minimum share leaves (within 1 point)"), Invariant($"{share:0.0000}"), Math.Abs(share - (1 - bulkShare)) <= 0.01));
            }
        }

        return targets;
    }

    private static WaitStatistics[] NoOutageStatistics(PolicyRun run)
    {
        var baseline = run.Outage?.NoOutage;
        return baseline is null
            ? PriorityLevels.All.Select(_ => WaitStatistics.Empty).ToArray()
            : WaitStatistics.SortByLevel(baseline.WaitTicks, baseline.Levels, PriorityLevels.Count).Select(w => WaitStatistics.FromSorted(w)).ToArray();
    }

    private static string Delta(double seconds) => !double.IsFinite(seconds) ? "n/a" : (seconds >= 0 ? "+" : "-") + F(Math.Abs(seconds));

    private static string F(double seconds) => MarkdownReportWriter.F(seconds);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
