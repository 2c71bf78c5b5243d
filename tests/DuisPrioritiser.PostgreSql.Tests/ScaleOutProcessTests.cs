using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Storage;

namespace DuisPrioritiser.PostgreSql.Tests;

/// <summary>
/// Three instances in separate processes (tests/DuisPrioritiser.ScaleOutHost) drain one shared backlog through the
/// PostgreSQL store, while the test kills them with SIGKILL or crash-restarts the server.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Stress")]
public sealed class ScaleOutProcessTests
{
    private static readonly string s_hostPath = typeof(ScaleOutProcessTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ScaleOutHostPath").Value!;

    [Test]
    [CancelAfter(120_000)]
    public async Task KillNineMidDrain_NothingLost_OnlyTheKilledInstancesClaimsAreRedelivered()
    {
        await using var harness = new StoreHarness();
        var producer = await harness.OpenAsync();
        var events = new ConcurrentQueue<(Host Host, string Line)>();
        var hosts = new List<Host>();
        for (int i = 0; i < 3; i++)
        {
            hosts.Add(await Host.StartAsync(harness.Schema, $"h{i}", events, handleDelayMs: 5));
        }

        const int Total = 900;
        var random = new Random(20261201);
        var killAt = new SortedSet<int>(Enumerable.Range(0, 3).Select(_ => random.Next(100, Total - 100)));
        var killed = new List<Host>();
        for (int n = 0; n < Total; n += 30)
        {
            var outcomes = await StoreHarness.AppendAsync(producer, Enumerable.Range(n, 30).Select(k => (Name(k), (PriorityLevel)(k % 5), (string?)Name(k))).ToArray());
            Assert.That(outcomes, Is.All.EqualTo(AppendOutcome.Accepted));
            if (killAt.Count > 0 && n >= killAt.Min)
            {
                killAt.Remove(killAt.Min);
                var victim = hosts.Where(h => !h.Exited).OrderBy(_ => random.Next()).First();
                victim.Kill();
                killed.Add(victim);
                hosts.Add(await Host.StartAsync(harness.Schema, $"h{hosts.Count}", events, handleDelayMs: 5));
            }

            await Task.Delay(20);
        }

        var all = Enumerable.Range(0, Total).Select(Name).ToHashSet();
        var deadline = Stopwatch.StartNew();
        while (await PostgresServer.ScalarAsync<long>($"SELECT count(*) FROM {harness.Schema}.backlog") > 0 && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100);
        }

        await Task.Delay(200); // the last lines on their way through the pipes
        foreach (var host in hosts)
        {
            host.Kill();
        }

        // Who claimed each message, in the order the claims were reported.
        var claims = events.Where(e => e.Line.StartsWith("claimed ", StringComparison.Ordinal)).GroupBy(e => e.Line[8..]).ToDictionary(g => g.Key, g => g.Select(e => e.Host).ToList());
        var acked = events.Where(e => e.Line.StartsWith("acked ", StringComparison.Ordinal)).Select(e => (e.Host, Text: e.Line[6..])).ToHashSet();
        var redelivered = claims.Where(c => c.Value.Count > 1).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(claims.Keys, Is.SupersetOf(all), "every accepted message was released to some instance");
            // Acknowledged by a live instance, or by a killed one whose acknowledgement committed just before the kill
            // (the row is gone, so it was handled, only the log line was cut off).
            var unacknowledged = all.Where(t => !acked.Any(a => a.Text == t) && !(claims.TryGetValue(t, out var c) && killed.Contains(c[^1]))).ToList();
            Assert.That(unacknowledged, Is.Empty, "0 lost");
            Assert.That(await PostgresServer.ScalarAsync<long>($"SELECT count(*) FROM {harness.Schema}.backlog"), Is.Zero);
            Assert.That(killed, Has.Count.EqualTo(3));
            foreach (var (text, claimants) in redelivered)
            {
                var earlier = claimants.Take(claimants.Count - 1);
                Assert.That(earlier.All(h => killed.Contains(h) && !acked.Contains((h, text))), Is.True,
                    $"{text} was claimed again only because a killed instance had claimed it without acknowledging");
            }
        });
        TestContext.Out.WriteLine($"{Total} messages, 3 kills, {redelivered.Count} redelivered (all claimed by a killed instance).");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task CriticalAcceptedByA_IsReleasedBeforeBulkAcceptedEarlierByB()
    {
        await using var harness = new StoreHarness();
        var a = await harness.OpenAsync();
        var b = await harness.OpenAsync();
        var events = new ConcurrentQueue<(Host Host, string Line)>();
        var hosts = new List<Host>();
        for (int i = 0; i < 3; i++)
        {
            hosts.Add(await Host.StartAsync(harness.Schema, $"h{i}", events, handleDelayMs: 50));
        }

        await StoreHarness.AppendAsync(b, Enumerable.Range(0, 300).Select(k => ($"bulk-{k}", PriorityLevel.Bulk, (string?)null)).ToArray());
        await Task.Delay(100);
        await StoreHarness.AppendAsync(a, ("critical", PriorityLevel.Critical, null));
        await WaitUntilAsync(() => Acked(events).Contains("critical"), TimeSpan.FromSeconds(30));
        foreach (var host in hosts)
        {
            host.Kill();
        }

        var claimed = events.Where(e => e.Line.StartsWith("claimed ", StringComparison.Ordinal)).Select(e => e.Line[8..]).ToList();
        int position = claimed.IndexOf("critical");
        // At most what the three instances had in hand when it arrived (one claim of 8 each) plus one more round.
        Assert.That(position, Is.InRange(0, 3 * 8 * 2), $"the Critical message was the {position}th claim; the Bulk backlog was 300");
        TestContext.Out.WriteLine($"Critical claimed after {position} Bulk claims out of 300 accepted before it.");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task PostgresRestartedImmediately_MidRun_NoAcceptedMessageIsLost_AndReleaseResumes()
    {
        await using var harness = new StoreHarness();
        var producer = await harness.OpenAsync();
        var events = new ConcurrentQueue<(Host Host, string Line)>();
        var hosts = new List<Host>();
        for (int i = 0; i < 3; i++)
        {
            hosts.Add(await Host.StartAsync(harness.Schema, $"h{i}", events, handleDelayMs: 5));
        }

        var accepted = new HashSet<string>();
        int unavailable = 0;
        // Accept batches before, during and after a crash (pg_ctl stop -m immediate) and restart: the server stays down
        // until intake has answered "unavailable" a few times (a plain restart-immediate can be over between two
        // batches on a quiet machine), then comes back; the loop ends 10 batches after it is back.
        Task? restart = null;
        bool down = false;
        int afterRestart = 0;
        for (int n = 0; afterRestart < 10 && n < 100_000; n += 20)
        {
            if (n == 200)
            {
                await Task.Run(() => PostgresServer.Control("kill-immediate"));
                down = true;
            }

            if (restart is { IsCompleted: true })
            {
                afterRestart++;
            }

            var items = Enumerable.Range(n, 20).Select(k => (Name(k), (PriorityLevel)(k % 5), (string?)Name(k))).ToArray();
            while (true)
            {
                try
                {
                    var outcomes = await StoreHarness.AppendAsync(producer, items);
                    for (int i = 0; i < items.Length; i++)
                    {
                        if (outcomes[i] == AppendOutcome.Accepted)
                        {
                            accepted.Add(items[i].Item1);
                        }
                    }

                    break;
                }
                catch (BacklogStoreUnavailableException)
                {
                    unavailable++; // intake answers "unavailable"; the DCC redelivers (here: the loop retries)
                    if (down && unavailable >= 3)
                    {
                        down = false;
                        restart = Task.Run(() => PostgresServer.Control("resume"));
                    }

                    await Task.Delay(100);
                }
            }

            await Task.Delay(10);
        }

        Assert.That(restart, Is.Not.Null, "the server was crashed and resumed");
        await restart!;
        await WaitUntilAsync(() => Acked(events).IsSupersetOf(accepted), TimeSpan.FromSeconds(60));
        foreach (var host in hosts)
        {
            host.Kill();
        }

        Assert.Multiple(() =>
        {
            Assert.That(Acked(events).IsSupersetOf(accepted), Is.True, "every accepted message was released after the restart");
            Assert.That(unavailable, Is.GreaterThan(0), "intake saw the outage as unavailable");
            Assert.That(events.Any(e => e.Line == "unavailable"), Is.True, "the instances saw the outage and resumed by themselves");
        });
        TestContext.Out.WriteLine($"{accepted.Count} accepted, {unavailable} unavailable answers during the restart, all released.");
    }

    private static string Name(int k) => k.ToString("D5", CultureInfo.InvariantCulture);

    private static HashSet<string> Acked(ConcurrentQueue<(Host Host, string Line)> events)
        => events.Where(e => e.Line.StartsWith("acked ", StringComparison.Ordinal)).Select(e => e.Line[6..]).ToHashSet();

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < timeout)
        {
            await Task.Delay(50);
        }
    }

    private sealed class Host
    {
        private readonly Process _process;

        private Host(Process process, string name)
        {
            _process = process;
            Name = name;
        }

        public string Name { get; }

        public bool Exited => _process.HasExited;

        public static async Task<Host> StartAsync(string schema, string name, ConcurrentQueue<(Host, string)> events, int handleDelayMs)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[] { s_hostPath, PostgresServer.ConnectionString, schema, name, handleDelayMs.ToString(CultureInfo.InvariantCulture) })
            {
                info.ArgumentList.Add(argument);
            }

            var process = Process.Start(info)!;
            var host = new Host(process, name);
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                if (e.Data == "ready")
                {
                    ready.TrySetResult();
                }

                events.Enqueue((host, e.Data));
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    TestContext.Progress.WriteLine($"[{name}] {e.Data}");
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30))) != ready.Task)
            {
                host.Kill();
                Assert.Fail($"instance {name} did not start within 30 s");
            }

            return host;
        }

        public void Kill()
        {
            if (!_process.HasExited)
            {
                _process.Kill(); // SIGKILL: no clean-up, no acknowledgements
                _process.WaitForExit();
            }
        }

        public override string ToString() => Name;
    }
}
