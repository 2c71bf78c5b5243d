using System.Diagnostics;
using DuisPrioritiser.Classification;
using Microsoft.Extensions.Time.Testing;

namespace StormSimulator.Simulation;

/// <summary>
/// The discrete-event loop. Time is virtual: a <see cref="FakeTimeProvider"/> is moved to each event's time before
/// the event runs, so the scheduler's own clock (waits, token buckets, recovery-mode hysteresis) sees exactly the
/// simulated time. Events are arrivals (enqueued at their time), back-end workers becoming free (each then pulls one
/// message), retries of failed calls, and polls of a queue that holds messages but releases none (throttled).
/// </summary>
/// <remarks>
/// <para>The back-end has <c>W = round(capacity x latency)</c> workers; each call takes <c>W / capacity</c> seconds
/// (times the jitter), so the back-end handles <c>capacity</c> messages per second. Workers start staggered by
/// <c>1 / capacity</c>, so a saturated back-end pulls one message every <c>1 / capacity</c>, as the ideal does.</para>
/// <para>A failed call is retried by the back-end after the retry delay, ahead of new pulls; the message's wait in the
/// queue is its first release, and it is acknowledged once handled.</para>
/// </remarks>
internal static class StormEngine
{
    private const int Bulk = (int)PriorityLevel.Bulk;
    private static readonly long s_windowTicks = TimeSpan.TicksPerMinute;

    /// <summary>How long a queue may hold messages without releasing any before the run is declared stuck (a lost message).</summary>
    private static readonly long s_stallLimitTicks = TimeSpan.TicksPerHour;

    /// <summary>Runs <paramref name="queue"/> through the trace.</summary>
    /// <param name="trace">The arrivals.</param>
    /// <param name="options">The scenario.</param>
    /// <param name="timeProvider">The clock the queue reads; starts at <see cref="ArrivalTrace.Start"/>.</param>
    /// <param name="queue">The queue under test.</param>
    /// <param name="progress">Receives progress lines; may be <see langword="null"/>.</param>
    /// <returns>The run.</returns>
    /// <exception cref="InvalidOperationException">The queue released a message twice, or lost one.</exception>
    public static PolicyRun Run(ArrivalTrace trace, ScenarioOptions options, FakeTimeProvider timeProvider, ISimulatedQueue queue, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(queue);
        if (timeProvider.GetUtcNow() != ArrivalTrace.Start)
        {
            throw new ArgumentException("Start the clock at ArrivalTrace.Start.", nameof(timeProvider));
        }

        var wall = Stopwatch.StartNew();
        var lastProgress = TimeSpan.Zero;
        int n = trace.Count;
        long[] arrivals = trace.ArrivalTicks;
        byte[] levels = trace.Levels;
        long[] waits = new long[n];
        Array.Fill(waits, -1L);

        int workers = options.Workers;
        long callTicks = Math.Max(1, (long)Math.Round(workers * (double)TimeSpan.TicksPerSecond / options.Capacity));
        long pollTicks = Math.Max(1, (long)Math.Round(options.PollSeconds * TimeSpan.TicksPerSecond));
        long retryTicks = (long)Math.Round(options.RetryDelaySeconds * TimeSpan.TicksPerSecond);
        long sampleTicks = Math.Max(1, (long)Math.Round(options.SampleSeconds * TimeSpan.TicksPerSecond));
        var random = new Random(options.Seed + 1);

        var busy = new PriorityQueue<int, long>(workers); // message index (-1: a worker's staggered start), free time
        for (int w = 0; w < workers; w++)
        {
            busy.Enqueue(-1, w * callTicks / workers);
        }

        var retries = new PriorityQueue<int, long>();
        var heldByLevel = new long[PriorityLevels.Count];
        var samples = new List<long[]>();
        var modeChanges = new List<(long, string)>();
        var windows = new List<(long Backlogged, long Bulk)>(); // per minute: releases while Bulk held messages, and how many were Bulk
        string? mode = null;
        long nextSample = 0;
        long now = 0;
        long held = 0;
        long releases = 0;
        long failures = 0;
        long contested = 0;
        long contestedBulk = 0;
        long clear = trace.BacklogCount == 0 ? 0 : -1;
        long lastRelease = 0;
        long busyTicksBeforeClear = 0;
        int idle = 0;
        int working = 0; // calls in progress with a message (not a worker's staggered start)
        int next = 0;
        bool stalled = false;
        bool backlogEnqueued = trace.BacklogCount == 0;

        while (next < n || held > 0 || retries.Count > 0 || working > 0)
        {
            long t = next < n ? arrivals[next] : long.MaxValue;
            if (busy.TryPeek(out _, out long free))
            {
                t = Math.Min(t, free);
            }

            if (idle > 0 && stalled)
            {
                t = Math.Min(t, now + pollTicks);
            }

            if (idle > 0 && retries.TryPeek(out _, out long due))
            {
                t = Math.Min(t, due);
            }

            if (t == long.MaxValue)
            {
                throw new InvalidOperationException($"{queue.Name}: {held} messages held but nothing can happen (no worker will ever free up).");
            }

            if (t > now)
            {
                while (nextSample < t)
                {
                    samples.Add((long[])heldByLevel.Clone());
                    nextSample += sampleTicks;
                }

                timeProvider.SetUtcNow(ArrivalTrace.Start.AddTicks(t));
                now = t;
            }

            while (next < n && arrivals[next] <= now)
            {
                queue.Enqueue(next);
                if (held == 0)
                {
                    lastRelease = now; // the stall clock starts when the queue starts holding something
                }

                held++;
                heldByLevel[levels[next]]++;
                next++;
            }

            if (!backlogEnqueued && next >= trace.BacklogCount)
            {
                backlogEnqueued = true;
            }

            while (busy.TryPeek(out _, out long freeAt) && freeAt <= now)
            {
                int done = busy.Dequeue();
                idle++;
                if (done < 0)
                {
                    continue;
                }

                working--;

                if (options.FailureRate > 0 && random.NextDouble() < options.FailureRate)
                {
                    failures++;
                    retries.Enqueue(done, now + retryTicks);
                }
                else
                {
                    queue.OnHandled(done);
                }
            }

            stalled = false;
            while (idle > 0)
            {
                int index;
                if (retries.TryPeek(out int retry, out long retryDue) && retryDue <= now)
                {
                    retries.Dequeue();
                    index = retry;
                }
                else if (held == 0)
                {
                    break;
                }
                else if (queue.TryDequeue(out index))
                {
                    if ((uint)index >= (uint)n || waits[index] >= 0 || arrivals[index] > now)
                    {
                        throw new InvalidOperationException($"{queue.Name}: message {index} released twice, before it arrived, or not from the trace.");
                    }

                    int level = levels[index];
                    long bulkHeld = heldByLevel[Bulk];
                    if (bulkHeld > 0)
                    {
                        int window = (int)(now / s_windowTicks);
                        while (windows.Count <= window)
                        {
                            windows.Add((0, 0));
                        }

                        var (c, b) = windows[window];
                        windows[window] = (c + 1, level == Bulk ? b + 1 : b);
                        if (held - bulkHeld > 0)
                        {
                            contested++;
                            if (level == Bulk)
                            {
                                contestedBulk++;
                            }
                        }
                    }

                    waits[index] = now - arrivals[index];
                    lastRelease = now;
                    held--;
                    heldByLevel[level]--;
                    releases++;
                    if (held == 0 && clear < 0 && backlogEnqueued)
                    {
                        clear = now;
                        busyTicksBeforeClear -= Overhang(busy, now);
                    }
                }
                else
                {
                    stalled = true;
                    if (now - lastRelease > s_stallLimitTicks)
                    {
                        throw new InvalidOperationException($"{queue.Name}: {held} messages held but none released for {TimeSpan.FromTicks(now - lastRelease)} of virtual time: a message was lost or the queue is stuck.");
                    }

                    break;
                }

                idle--;
                long duration = options.LatencyJitter > 0
                    ? Math.Max(1, (long)Math.Round(callTicks * (1 + (options.LatencyJitter * ((2 * random.NextDouble()) - 1)))))
                    : callTicks;
                busy.Enqueue(index, now + duration);
                working++;
                if (clear < 0)
                {
                    busyTicksBeforeClear += duration;
                }
            }

            if (queue.Mode is { } current && current != mode)
            {
                mode = current;
                modeChanges.Add((now, current));
            }

            if (progress is not null && (releases & 0xFFFF) == 0 && wall.Elapsed - lastProgress > TimeSpan.FromSeconds(2))
            {
                lastProgress = wall.Elapsed;
                progress($"{queue.Name,-18} {releases * 100.0 / n,5:0.0}% released, virtual t = {now / (double)TimeSpan.TicksPerSecond,7:0} s, {held,9:N0} held, {wall.Elapsed.TotalSeconds,5:0.0} s");
            }
        }

        samples.Add((long[])heldByLevel.Clone());
        for (int i = 0; i < n; i++)
        {
            if (waits[i] < 0)
            {
                throw new InvalidOperationException($"{queue.Name}: message {i} was never released.");
            }
        }

        double utilisation = clear switch
        {
            > 0 => Math.Min(1, busyTicksBeforeClear / ((double)workers * clear)),
            _ => 1,
        };

        double? minWindowShare = null;
        foreach (var (c, b) in windows)
        {
            if (c >= 1000)
            {
                double share = b / (double)c;
                minWindowShare = minWindowShare is null ? share : Math.Min(minWindowShare.Value, share);
            }
        }

        progress?.Invoke($"{queue.Name,-18} done: {releases:N0} released, backlog cleared at {clear / (double)TimeSpan.TicksPerSecond:0.0} s, utilisation {(utilisation) * 100:0.00}%, {wall.Elapsed.TotalSeconds:0.0} s");
        return new PolicyRun
        {
            Name = queue.Name,
            WaitTicks = waits,
            Levels = levels,
            ClearTicks = clear,
            Utilisation = utilisation,
            ContestedReleases = contested,
            ContestedBulkReleases = contestedBulk,
            MinWindowBulkShare = minWindowShare,
            BacklogSamples = samples,
            SampleTicks = sampleTicks,
            ModeChanges = modeChanges,
            Releases = releases,
            Failures = failures,
            LevelMismatches = queue is SchedulerQueue scheduler ? scheduler.LevelMismatches : 0,
            Elapsed = wall.Elapsed,
        };
    }

    /// <summary>Busy time of calls in progress that falls after <paramref name="now"/>.</summary>
    private static long Overhang(PriorityQueue<int, long> busy, long now)
    {
        long overhang = 0;
        foreach (var (index, freeAt) in busy.UnorderedItems)
        {
            if (index >= 0 && freeAt > now)
            {
                overhang += freeAt - now;
            }
        }

        return overhang;
    }
}
