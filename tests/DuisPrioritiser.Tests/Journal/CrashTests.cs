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

            if (process.WaitForExit(delay))
            {
                Assert.Fail($"The host exited by itself in {run.Name}: {process.StandardError.ReadToEnd()}");
            }

            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            runs.Add(run);
            killTimes.Add(delay);
        }

        var final = new Run("final", Path.Combine(directory.Path, "final.log"), Killed: false);
        using (var process = StartHost(journal, final, producers: 0))
        {
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail("The final drain did not finish.");
            }

            Assert.That(process.ExitCode, Is.Zero, () => process.StandardError.ReadToEnd());
        }

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

    private static Process StartHost(string journal, Run run, int producers)
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
        return Process.Start(start)!;
    }

    private sealed record Run(string Name, string Log, bool Killed);

    private sealed record Report(int Accepted, int Deliveries, int Redelivered, long Recovered, int Lost, List<string> Failures);
}
