using System.Diagnostics;
using System.Reflection;

namespace DuisPrioritiser.Tests.Journal;

/// <summary>
/// Kills a child process that enqueues and drains with the journal at seeded random moments, restarts it on the same
/// directory, and checks from its logs that no accepted message was lost and that only messages in flight at a kill
/// were delivered twice.
/// </summary>
[Category("Stress")]
public class CrashTests
{
    private const int KillPoints = 24;
    private const int Seed = 20_260_601;

    [Test]
    public void Journal_KilledAtRandomMomentsAndRestarted_LosesNoAcceptedMessage()
    {
        using var directory = new JournalTestDirectory();
        string journal = Path.Combine(directory.Path, "journal");
        var rng = new Random(Seed);
        var runs = new List<Run>();
        var killTimes = new List<int>();
        for (int k = 0; k < KillPoints; k++)
        {
            int delay = rng.Next(150, 900);
            var run = new Run($"r{k}", Path.Combine(directory.Path, $"r{k}.log"), Killed: true);
            using var process = StartHost(journal, run, producers: 4);

            // Most kill points are timed from the moment the scheduler is open (its "S" line), so that a loaded machine's
            // slow process start-up does not eat the window; every fourth is timed from the process start, to kill during
            // start-up and recovery too.
            if (k % 4 != 0)
            {
                WaitForStart(run, process);
            }

            KillAfter(run, process, delay);
            runs.Add(run);
            killTimes.Add(delay);
        }

        var final = DrainToTheEnd(journal, directory.Path, TimeSpan.FromSeconds(60));
        runs.Add(final);
        var report = Verify(runs);
        TestContext.Out.WriteLine(
            $"Crash test (seed {Seed}): {KillPoints} kill points at {string.Join(",", killTimes)} ms after start (or after the scheduler opened); " +
            $"{report.Accepted} messages accepted, {report.Deliveries} deliveries, {report.Redelivered} redelivered after a kill " +
            $"(all in flight), {report.Recovered} recovered at restarts, {report.Lost} lost.");
        Assert.Multiple(() =>
        {
            Assert.That(report.Accepted, Is.GreaterThan(1000), "Too few messages were accepted for the test to mean anything.");
            Assert.That(report.Failures, Is.Empty);
            Assert.That(report.Lost, Is.Zero);
            Assert.That(File.ReadAllText(final.Log), Does.Contain("E \n"), "The final run did not drain to the end.");
        });
    }

    /// <summary>
    /// The journal is the backlog: a large backlog is built first (no consumers), then drained by runs that are killed
    /// while they release messages read back from disk, restarted each time, and finally drained to the end.
    /// </summary>
    [Test]
    public void Journal_KilledDuringReleaseFromDisk_LosesNoAcceptedMessage()
    {
        const int Backlog = 30_000;
        const int DrainKills = 8;
        using var directory = new JournalTestDirectory();
        string journal = Path.Combine(directory.Path, "journal");
        var runs = new List<Run>();

        // Fill: producers only, until the backlog is held (FullMode.Wait at capacity), then killed.
        var fill = new Run("fill", Path.Combine(directory.Path, "fill.log"), Killed: true);
        using (var process = StartHost(journal, fill, producers: 4, consumers: 0, capacity: Backlog))
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(120) && !process.HasExited && CountLines(fill.Log, "A ") < Backlog)
            {
                process.WaitForExit(100);
            }

            Assert.That(process.HasExited, Is.False, () => $"The fill run exited by itself: {process.StandardError.ReadToEnd()}");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        runs.Add(fill);
        var rng = new Random(Seed + 1);
        var killTimes = new List<int>();
        for (int k = 0; k < DrainKills; k++)
        {
            int delay = rng.Next(50, 600);
            var run = new Run($"d{k}", Path.Combine(directory.Path, $"d{k}.log"), Killed: true);
            using var process = StartHost(journal, run, producers: 0, consumers: 2, capacity: Backlog, keep: true);
            WaitForStart(run, process);
            KillAfter(run, process, delay);
            runs.Add(run);
            killTimes.Add(delay);
        }

        var final = DrainToTheEnd(journal, directory.Path, TimeSpan.FromSeconds(120));
        runs.Add(final);
        var report = Verify(runs);
        int releasedInKilledDrains = runs.Skip(1).Take(DrainKills).Sum(r => CountLines(r.Log, "D "));
        TestContext.Out.WriteLine(
            $"Crash test, kills during release from disk (seed {Seed + 1}): backlog {report.Accepted} accepted, {DrainKills} drain runs killed at " +
            $"{string.Join(",", killTimes)} ms after the scheduler opened, {releasedInKilledDrains} releases from disk in them; {report.Deliveries} deliveries, " +
            $"{report.Redelivered} redelivered after a kill (all in flight), {report.Recovered} recovered at restarts, {report.Lost} lost.");
        Assert.Multiple(() =>
        {
            Assert.That(report.Accepted, Is.GreaterThanOrEqualTo(Backlog / 2), "Too small a backlog for the test to mean anything.");
            Assert.That(releasedInKilledDrains, Is.GreaterThan(0), "No kill landed during release from disk.");
            Assert.That(report.Failures, Is.Empty);
            Assert.That(report.Lost, Is.Zero);
            Assert.That(File.ReadAllText(final.Log), Does.Contain("E \n"), "The final run did not drain to the end.");
        });
    }

    /// <summary>
    /// Consolidation with the journal: Bulk alerts from 8 devices, consolidated in groups of up to 16, killed at random
    /// moments and restarted: every repeat is recovered with its group (or on its own when its head was completed before
    /// the kill), none is lost, and only what was in flight at a kill is delivered twice.
    /// </summary>
    [Test]
    public void Journal_Consolidated_KilledAtRandomMomentsAndRestarted_LosesNoRepeat()
    {
        const int Kills = 8;
        using var directory = new JournalTestDirectory();
        string journal = Path.Combine(directory.Path, "journal");
        var rng = new Random(Seed + 2);
        var runs = new List<Run>();
        var killTimes = new List<int>();
        for (int k = 0; k < Kills; k++)
        {
            int delay = rng.Next(150, 900);
            var run = new Run($"c{k}", Path.Combine(directory.Path, $"c{k}.log"), Killed: true);
            using var process = StartHost(journal, run, producers: 4, consolidate: true);
            WaitForStart(run, process);
            KillAfter(run, process, delay);
            runs.Add(run);
            killTimes.Add(delay);
        }

        var final = DrainToTheEnd(journal, directory.Path, TimeSpan.FromSeconds(60), consolidate: true);
        runs.Add(final);
        var report = Verify(runs);
        var groupSizes = runs.SelectMany(r => ReadLines(r.Log)).Where(l => l.StartsWith("G ", StringComparison.Ordinal)).Select(l => int.Parse(l[2..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        int recoveredGroups = ReadLines(final.Log).Count(l => l.StartsWith("G ", StringComparison.Ordinal) && l != "G 0");
        TestContext.Out.WriteLine(
            $"Crash test, consolidation (seed {Seed + 2}): {Kills} kill points at {string.Join(",", killTimes)} ms after the scheduler opened; " +
            $"{report.Accepted} alerts accepted, {groupSizes.Count} handler calls ({groupSizes.Sum()} repeats in groups), {report.Deliveries} deliveries, " +
            $"{report.Redelivered} redelivered after a kill (all in flight), {report.Recovered} recovered at restarts ({recoveredGroups} groups with repeats in the final run), {report.Lost} lost.");
        Assert.Multiple(() =>
        {
            Assert.That(report.Accepted, Is.GreaterThan(1000), "Too few messages were accepted for the test to mean anything.");
            Assert.That(groupSizes.Sum(), Is.GreaterThan(0), "Nothing was consolidated.");
            Assert.That(report.Failures, Is.Empty);
            Assert.That(report.Lost, Is.Zero);
            Assert.That(File.ReadAllText(final.Log), Does.Contain("E \n"), "The final run did not drain to the end.");
        });
    }

    /// <summary>Lets the host run for <paramref name="delayMs"/>, then kills it (it must not have exited by itself).</summary>
    private static void KillAfter(Run run, Process process, int delayMs)
    {
        if (process.WaitForExit(delayMs))
        {
            Assert.Fail($"The host exited by itself in {run.Name}: {process.StandardError.ReadToEnd()}");
        }

        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    /// <summary>Runs a host without producers until it has released everything the journal holds.</summary>
    private static Run DrainToTheEnd(string journal, string directory, TimeSpan timeout, bool consolidate = false)
    {
        var final = new Run("final", Path.Combine(directory, "final.log"), Killed: false);
        using var process = StartHost(journal, final, producers: 0, consolidate: consolidate);
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The final drain did not finish.");
        }

        Assert.That(process.ExitCode, Is.Zero, () => process.StandardError.ReadToEnd());
        return final;
    }

    private static int CountLines(string path, string prefix) => ReadLines(path).Count(line => line.StartsWith(prefix, StringComparison.Ordinal));

    private static Report Verify(List<Run> runs)
    {
        var failures = new List<string>();
        var accepted = new HashSet<string>(StringComparer.Ordinal);
        var deliveries = new Dictionary<string, List<(int Run, bool Acking, bool Completed)>>(StringComparer.Ordinal);
        var completions = new Dictionary<string, int>(StringComparer.Ordinal);
        long recovered = 0;
        for (int r = 0; r < runs.Count; r++)
        {
            var state = new Dictionary<string, (bool Acking, bool Completed)>(StringComparer.Ordinal);
            var order = new List<string>();
            foreach (var line in ReadLines(runs[r].Log))
            {
                string kind = line[..1];
                string id = line[2..];
                switch (kind)
                {
                    case "S":
                        recovered += long.Parse(id, System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    case "A":
                        accepted.Add(id);
                        break;
                    case "D":
                        if (state.ContainsKey(id))
                        {
                            failures.Add($"{id} delivered twice within run {runs[r].Name}");
                        }

                        state[id] = (false, false);
                        order.Add(id);
                        break;
                    case "K":
                        state[id] = (true, false);
                        break;
                    case "C":
                        state[id] = (true, true);
                        completions[id] = completions.GetValueOrDefault(id) + 1;
                        break;
                }
            }

            foreach (var id in order)
            {
                if (!deliveries.TryGetValue(id, out var list))
                {
                    deliveries[id] = list = [];
                }

                list.Add((r, state[id].Acking, state[id].Completed));
            }
        }

        int lost = 0;
        int redelivered = 0;
        foreach (var id in accepted)
        {
            if (!deliveries.TryGetValue(id, out var list))
            {
                lost++;
                failures.Add($"{id} accepted but never delivered");
                continue;
            }

            var last = list[^1];
            if (!last.Completed && !(last.Acking && runs[last.Run].Killed))
            {
                // Delivered in a killed run before its acknowledgement started, and never delivered again.
                lost++;
                failures.Add($"{id} accepted, delivered in {runs[last.Run].Name} without completing, and never redelivered");
            }
        }

        foreach (var (id, list) in deliveries)
        {
            for (int i = 0; i < list.Count - 1; i++)
            {
                redelivered++;
                if (!runs[list[i].Run].Killed || list[i].Completed)
                {
                    failures.Add($"{id} was delivered again after {runs[list[i].Run].Name} although it was not in flight at a kill");
                }
            }
        }

        foreach (var (id, count) in completions)
        {
            if (count > 1)
            {
                failures.Add($"{id} completed {count} times");
            }
        }

        return new Report(accepted.Count, deliveries.Values.Sum(l => l.Count), redelivered, recovered, lost, failures.Take(20).ToList());
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        if (!File.Exists(path))
        {
            yield break;
        }

        // A kill can only cut the final line short; every complete line ends with a newline.
        var text = File.ReadAllText(path);
        int end = text.LastIndexOf('\n');
        foreach (var line in text[..(end + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length >= 2)
            {
                yield return line;
            }
        }
    }

    private static void WaitForStart(Run run, Process process)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
        {
            if (File.Exists(run.Log) && ReadLines(run.Log).Any(static line => line.StartsWith("S ", StringComparison.Ordinal)))
            {
                return;
            }

            process.WaitForExit(10);
        }
    }

    private static Process StartHost(string journal, Run run, int producers, int consumers = 2, int capacity = 4_000, bool keep = false, bool consolidate = false)
    {
        string host = typeof(CrashTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CrashHostPath").Value!;
        Assert.That(File.Exists(host), Is.True, $"Build tests/DuisPrioritiser.CrashHost first: {host} is missing.");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(host);
        start.ArgumentList.Add(journal);
        start.ArgumentList.Add(run.Log);
        start.ArgumentList.Add(run.Name);
        start.ArgumentList.Add(producers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(consumers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(capacity.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (keep)
        {
            start.ArgumentList.Add("keep");
        }

        if (consolidate)
        {
            start.ArgumentList.Add("consolidate");
        }

        return Process.Start(start)!;
    }

    private sealed record Run(string Name, string Log, bool Killed);

    private sealed record Report(int Accepted, int Deliveries, int Redelivered, long Recovered, int Lost, List<string> Failures);
}
