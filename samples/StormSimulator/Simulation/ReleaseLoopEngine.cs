using System.Diagnostics;
using DuisPrioritiser;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace StormSimulator.Simulation;

/// <summary>
/// The push-mode engine behind <c>--backend-outage</c>: the scheduler and its hosted release loop built as an
/// integrator builds them (<c>AddResponsePrioritisation(...).UseHandler(...)</c>, the production Polly pipeline with
/// retry, circuit breaker and time-out, and the back-end gate that holds the backlog while the breaker is open),
/// driven in virtual time by a <see cref="VirtualClock"/>. The <see cref="SimulatedBackEnd"/> is the handler.
/// </summary>
/// <remarks>
/// <para>Each step lets the release loop settle (run until it waits for a slot, a message, the gate or a timer),
/// then moves the clock to the next event: the earliest timer (a call finishing, a retry delay, the breaker's break,
/// a throttle), the next arrival, or the outage's start or end. Nothing else moves time, so the waits are those of
/// the real loop against a back-end of the scenario's capacity.</para>
/// <para>The in-flight limit is fixed at the back-end's worker count (<see cref="ScenarioOptions.Workers"/>), the
/// pull engine's model of the same back-end; everything else is the library default (2 retries with jittered
/// exponential backoff from 1 s, breaker at 50% failures over 5 s with at least 10 calls, breaks of 5 s doubling to
/// 30 s, 30 s time-out per call, no maximum age or attempts).</para>
/// </remarks>
internal static class ReleaseLoopEngine
{
    /// <summary>How far past the trace's end virtual time may run before the run is declared stuck.</summary>
    private static readonly long s_overrunTicks = TimeSpan.TicksPerDay;

    /// <summary>How long (wall clock) a run with nothing left to wait for gives the release loop to show a late continuation before it is declared stuck.</summary>
    private static readonly TimeSpan s_stragglerGrace = TimeSpan.FromSeconds(10);

    /// <summary>Runs policy <paramref name="name"/> (StrictPriority or Default) through the trace in push mode.</summary>
    /// <param name="name">The policy.</param>
    /// <param name="trace">The arrivals.</param>
    /// <param name="options">The scenario.</param>
    /// <param name="outage">The back-end outage, or <see langword="null"/> for the same run without one.</param>
    /// <param name="progress">Receives progress lines; may be <see langword="null"/>.</param>
    /// <returns>The run, with its <see cref="PolicyRun.Outage"/> metrics.</returns>
    /// <exception cref="InvalidOperationException">A message was lost, handled twice, or the loop stopped making progress.</exception>
    public static PolicyRun Run(string name, ArrivalTrace trace, ScenarioOptions options, BackendOutage? outage, Action<string>? progress = null)
        => RunAsync(name, trace, options, outage, progress).GetAwaiter().GetResult();

    private static async Task<PolicyRun> RunAsync(string name, ArrivalTrace trace, ScenarioOptions options, BackendOutage? outage, Action<string>? progress)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(options);
        if (name is not (PolicyNames.StrictPriority or PolicyNames.Default))
        {
            throw new ArgumentOutOfRangeException(nameof(name), name, "The release-loop engine runs the scheduler's policies only: StrictPriority or Default.");
        }

        var wall = Stopwatch.StartNew();
        string label = outage is null ? name + " (no outage)" : name;
        var clock = new VirtualClock(ArrivalTrace.Start);
        var backEnd = new SimulatedBackEnd(clock, trace, options, outage);
        var sink = new CountingDeadLetterSink();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        var builder = services.AddResponsePrioritisation(o =>
        {
            SchedulerQueue.Configure(o, trace, options);
            o.Pace.Mode = PaceMode.Fixed;
            o.Pace.FixedLimit = options.Workers;
        });
        if (name == PolicyNames.StrictPriority)
        {
            builder.UseDrainPolicy(DrainPolicies.StrictPriority());
        }

        builder.UseHandler(backEnd).UseDeadLetterSink(sink);
        await using var provider = services.BuildServiceProvider(validateScopes: true);
        var scheduler = provider.GetRequiredService<ResponseReleaseScheduler>();
        var loop = provider.GetRequiredService<ResponseReleaseService>();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        string stage = "started";
        long watchedSteps = -1;
        long steps = 0;
        // A diagnostic, not a guard: says on stderr when the engine has made no step for 10 s of wall time.
        var watchdog = new Thread(() =>
        {
            while (stage != "stopped")
            {
                Thread.Sleep(10_000);
                if (Volatile.Read(ref steps) == watchedSteps && stage != "stopped")
                {
                    Console.Error.WriteLine($"{label}: no progress in 10 s at stage {stage}: t = {TimeSpan.FromTicks(clock.Ticks)}, next due {clock.NextDue()}, {scheduler.Count} held, {backEnd.HandledDistinct} handled, active {loop.ActiveCount}, running {backEnd.Running}, loop waiting {loop.IsLoopWaiting}, pool pending {ThreadPool.PendingWorkItemCount}, threads {ThreadPool.ThreadCount}");
                }

                watchedSteps = Volatile.Read(ref steps);
            }
        }) { IsBackground = true };
        watchdog.Start();
        int n = trace.Count;
        long[] arrivals = trace.ArrivalTicks;
        long sampleTicks = Math.Max(1, (long)Math.Round(options.SampleSeconds * TimeSpan.TicksPerSecond));
        long deadline = (n == 0 ? 0 : arrivals[^1]) + (outage?.EndTicks ?? 0) + s_overrunTicks;
        var samples = new List<long[]>();
        var modeChanges = new List<(long, string)>();
        TrafficMode? mode = null;
        long nextSample = 0;
        int next = 0;
        var lastProgress = TimeSpan.Zero;

        try
        {
            while (backEnd.HandledDistinct + sink.Count < n || backEnd.Running > 0 || loop.ActiveCount > 0)
            {
                Settle(loop, scheduler, clock, backEnd, label);
                long now = clock.Ticks;
                if (scheduler.Mode != mode)
                {
                    mode = scheduler.Mode;
                    modeChanges.Add((now, mode.Value.ToString()));
                }

                long t = clock.NextDue();
                if (next < n)
                {
                    t = Math.Min(t, arrivals[next]);
                }

                if (outage is not null)
                {
                    if (outage.StartTicks > now)
                    {
                        t = Math.Min(t, outage.StartTicks);
                    }

                    if (outage.EndTicks > now)
                    {
                        t = Math.Min(t, outage.EndTicks);
                    }
                }

                if (t == long.MaxValue && AwaitsStragglers(loop, scheduler, clock, backEnd))
                {
                    // Settle saw the loop parked while a thread-pool thread was still running its continuation (it
                    // was woken, but had not yet taken the message, started the call or set its timer): not stuck.
                    continue;
                }

                if (t == long.MaxValue || t > deadline)
                {
                    throw new InvalidOperationException($"{label}: stuck at virtual t = {TimeSpan.FromTicks(now)}: {scheduler.Count:N0} held, {backEnd.HandledDistinct:N0} handled, {sink.Count} dead-lettered, {loop.ActiveCount} in flight, breaker {loop.Gate.State}; no timer, call or release for {s_stragglerGrace.TotalSeconds:0} s of wall-clock time.");
                }

                while (nextSample <= t)
                {
                    samples.Add(backEnd.HeldByLevel());
                    nextSample += sampleTicks;
                }

                clock.AdvanceTo(t);
                steps++;
                while (next < n && arrivals[next] <= t)
                {
                    backEnd.OnArrived(next);
                    if (!scheduler.TryEnqueue(trace.Messages[next]))
                    {
                        throw new InvalidOperationException($"{label}: the scheduler refused message {next} ({scheduler.Count:N0} held).");
                    }

                    next++;
                }

                if (progress is not null && (steps & 0xFF) == 0 && wall.Elapsed - lastProgress > TimeSpan.FromSeconds(5))
                {
                    lastProgress = wall.Elapsed;
                    progress($"{label,-28} {backEnd.HandledDistinct * 100.0 / n,5:0.0}% handled, virtual t = {t / (double)TimeSpan.TicksPerSecond,7:0} s, {scheduler.Count,9:N0} held, breaker {loop.Gate.State}, {wall.Elapsed.TotalSeconds,5:0.0} s");
                }
            }
        }
        catch (Exception failure)
        {
            // Stop the loop with the clock still moving before the exception leaves: disposing the provider stops
            // the hosted loop, whose shutdown waits on this virtual clock (the shutdown time-out, calls in flight),
            // and would otherwise hang with nothing advancing it, hiding this exception.
            stage = "failed: " + failure.Message;
            try
            {
                await StopDrivingClockAsync(hosted, loop, scheduler, clock, backEnd, label, TimeSpan.FromSeconds(30));
            }
            catch (Exception stopFailure)
            {
                throw new AggregateException(failure, stopFailure);
            }
            finally
            {
                stage = "stopped";
            }

            throw;
        }

        stage = "stopping";
        samples.Add(backEnd.HeldByLevel());
        long breakerOpenings = loop.Gate.OpenedCount;
        await StopDrivingClockAsync(hosted, loop, scheduler, clock, backEnd, label, Timeout.InfiniteTimeSpan);
        stage = "stopped";

        var waits = backEnd.WaitTicks;
        int lost = 0;
        for (int i = 0; i < n; i++)
        {
            if (backEnd.HandledCount(i) != 1)
            {
                lost++;
            }
        }

        if (lost > sink.Count || backEnd.Duplicates > 0)
        {
            throw new InvalidOperationException($"{label}: {lost} messages not handled exactly once ({backEnd.Duplicates} duplicates, {sink.Count} dead-lettered).");
        }

        long clear = backEnd.ClearTicks;
        long downBeforeClear = outage is null || clear < 0 ? 0 : Math.Max(0, Math.Min(clear, outage.EndTicks) - outage.StartTicks);
        double utilisation = clear > 0 ? Math.Min(1, backEnd.BusyTicksBeforeClear / ((double)options.Workers * (clear - downBeforeClear))) : 1;
        progress?.Invoke($"{label,-28} done: {backEnd.HandledDistinct:N0} handled, {sink.Count} dead-lettered, {backEnd.CallsDuringOutage:N0} calls during the outage, backlog cleared at {clear / (double)TimeSpan.TicksPerSecond:0.0} s, utilisation {utilisation * 100:0.0}%, {steps:N0} steps, {wall.Elapsed.TotalSeconds:0.0} s");
        return new PolicyRun
        {
            Name = name,
            WaitTicks = waits,
            Levels = trace.Levels,
            ClearTicks = clear,
            Utilisation = utilisation,
            BacklogSamples = samples,
            SampleTicks = sampleTicks,
            ModeChanges = modeChanges,
            Releases = n - lost,
            Failures = backEnd.Failures,
            LevelMismatches = backEnd.LevelMismatches,
            Elapsed = wall.Elapsed,
            Outage = outage is null ? null : new OutageMetrics
            {
                Outage = outage,
                DeadLettered = sink.Count,
                BackendCallsDuringOutage = backEnd.CallsDuringOutage,
                BackendCalls = backEnd.Calls,
                BreakerOpenings = breakerOpenings,
                CriticalHeldAtRecovery = backEnd.CriticalHeldAtRecovery,
                WindowReleases = backEnd.WindowReleases,
                WindowCriticalReleases = backEnd.WindowCriticalReleases,
                FirstNonCriticalInWindow = backEnd.FirstNonCriticalInWindow,
                Duplicates = backEnd.Duplicates,
            },
        };
    }

    /// <summary>
    /// Stops the hosted services in reverse order, moving the clock to each next timer while a stop waits on it (the
    /// shutdown time-out, calls in flight). Gives up after <paramref name="limit"/> of wall-clock time (infinite: never).
    /// </summary>
    private static async Task StopDrivingClockAsync(IHostedService[] hosted, ResponseReleaseService loop, ResponseReleaseScheduler scheduler, VirtualClock clock, SimulatedBackEnd backEnd, string label, TimeSpan limit)
    {
        var wall = Stopwatch.StartNew();
        for (int i = hosted.Length - 1; i >= 0; i--)
        {
            var stop = hosted[i].StopAsync(CancellationToken.None);
            for (int step = 0; !stop.IsCompleted; step++)
            {
                if (limit != Timeout.InfiniteTimeSpan && wall.Elapsed > limit)
                {
                    throw new TimeoutException($"{label}: the release loop did not stop within {limit.TotalSeconds:0} s of wall-clock time.");
                }

                Settle(loop, scheduler, clock, backEnd, label);
                long due = clock.NextDue();
                if (!stop.IsCompleted && due != long.MaxValue && step < 10_000)
                {
                    clock.AdvanceTo(due);
                }
                else if (!stop.IsCompleted)
                {
                    Thread.Sleep(1);
                }
            }

            await stop;
        }
    }

    /// <summary>
    /// Called when no timer is pending and no arrival or outage edge is left although messages are unhandled: waits
    /// (up to <see cref="s_stragglerGrace"/> of wall-clock time) for a late continuation of the release loop to
    /// show itself — a timer set, a call started, a message taken or returned.
    /// </summary>
    /// <returns><see langword="true"/> when something changed (the run goes on); <see langword="false"/> when the run is stuck.</returns>
    /// <remarks>
    /// <see cref="Settle"/> cannot see a continuation that a thread-pool thread has dequeued and is still running
    /// (it is neither queued nor has it changed anything yet; on a loaded machine its thread may be preempted for
    /// milliseconds), so it can report the loop parked just after a wake-up. Mid-run that only lets the clock move on
    /// a little early; with nothing left to move to, it would read as a stall.
    /// </remarks>
    private static bool AwaitsStragglers(ResponseReleaseService loop, ResponseReleaseScheduler scheduler, VirtualClock clock, SimulatedBackEnd backEnd)
    {
        var before = (backEnd.Calls, scheduler.Count, clock.Scheduled, loop.ActiveCount, backEnd.Running, loop.Limiter.InFlight, loop.LoopIterations);
        var wall = Stopwatch.StartNew();
        while (wall.Elapsed < s_stragglerGrace)
        {
            if (clock.NextDue() != long.MaxValue
                || (backEnd.Calls, scheduler.Count, clock.Scheduled, loop.ActiveCount, backEnd.Running, loop.Limiter.InFlight, loop.LoopIterations) != before)
            {
                return true;
            }

            Thread.Sleep(1);
        }

        return false;
    }

    /// <summary>
    /// Lets the release loop run until it is parked: waiting on an incomplete task (a slot, a message, the back-end
    /// gate or a timer), no thread-pool work queued, and nothing it touches (calls, held count, timers, work in
    /// flight) changing over several looks in a row.
    /// </summary>
    private static void Settle(ResponseReleaseService loop, ResponseReleaseScheduler scheduler, VirtualClock clock, SimulatedBackEnd backEnd, string label)
    {
        var last = (backEnd.Calls, scheduler.Count, clock.Scheduled, loop.ActiveCount, backEnd.Running, loop.Limiter.InFlight);
        int stable = 0;
        for (long i = 0; stable < 3; i++)
        {
            if (i > 50_000_000)
            {
                throw new InvalidOperationException($"{label}: the release loop never settled at virtual t = {TimeSpan.FromTicks(clock.Ticks)}.");
            }

            // Spin briefly (the loop's continuation is usually already running on the other core); after a while, give
            // the processor away so that a thread-pool thread that has been preempted can finish.
            if (i < 200)
            {
                Thread.SpinWait(32);
            }
            else
            {
                Thread.Sleep(0);
            }

            var now = (backEnd.Calls, scheduler.Count, clock.Scheduled, loop.ActiveCount, backEnd.Running, loop.Limiter.InFlight);
            bool parked = loop.IsLoopWaiting && ThreadPool.PendingWorkItemCount == 0;
            if (now == last && parked)
            {
                stable++;
            }
            else
            {
                stable = 0;
                last = now;
            }
        }
    }

    /// <summary>Counts dead letters (an outage should cause none).</summary>
    private sealed class CountingDeadLetterSink : IDeadLetterSink
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return ValueTask.CompletedTask;
        }
    }
}
