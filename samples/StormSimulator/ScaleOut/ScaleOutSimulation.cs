using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using DuisPrioritiser;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using StormSimulator.Simulation;

namespace StormSimulator.ScaleOut;

/// <summary>
/// The storm scenario on several real schedulers sharing one PostgreSQL backlog (<c>--instances N</c>), in scaled
/// time: each instance is built as an integrator builds it (<c>AddResponsePrioritisation(...).UsePostgreSql(...)</c>,
/// the Default policy), one freshly created schema per run; arrivals are spread round-robin over the instances (a load
/// balancer); a back-end of the scenario's capacity, shared by all instances, pulls from them.
/// </summary>
/// <remarks>
/// <para><b>Scaled time.</b> PostgreSQL runs on the real clock (commits, leases, notifications), so the run does too, with
/// simulated time <see cref="ScenarioOptions.TimeScaleMilliseconds"/> times slower or faster than wall-clock time
/// (<see cref="ScaledTimeProvider"/>, registered as every scheduler's <see cref="TimeProvider"/>). The outage backlog is
/// accepted with the clock stopped at t = 0 (in the virtual-time simulator it arrives at one instant too), then the
/// clock starts, ongoing arrivals are fed at their trace times and the back-end starts pulling. On a shared, loaded host
/// the process can fall behind the simulation (a continuation not scheduled for tens of milliseconds); then the clock
/// waits for it (<see cref="ScaledTimeProvider.Limit"/>: no further than 0.2 simulated seconds, <see cref="LagTicks"/>,
/// past a worker due to pull while the backlog holds work for every worker, or past an arrival still to be fed), so the
/// host's starvation is not counted as the scheduler's wait; lags up to that are counted. The report says how much
/// wall-clock time the clock was held back.</para>
/// <para><b>The back-end.</b> <see cref="ScenarioOptions.Workers"/> workers (the same as the single-instance simulator),
/// worker <c>w</c> calling instance <c>w mod N</c>. A worker takes a message with <c>DequeueAsync</c>, holds it for
/// <c>workers / capacity</c> simulated seconds, acknowledges it (Handled) without holding up its next pull, and pulls
/// again. Its calls are on a schedule: each call ends <c>workers / capacity</c> after it began; while the backlog holds
/// work for every worker the next call begins at that end (the pull's latency and the host timer's lateness are not
/// lost capacity, as in the virtual-time simulator, where a pull takes no time; the message's wait still runs until
/// the pull returned), otherwise when the pull returns. So the back-end has the scenario's capacity whatever the timer
/// resolution of the host.</para>
/// <para><b>Waits</b> are simulated time from a message's arrival in the trace (t = 0 for the outage backlog) to the
/// moment <c>DequeueAsync</c> returned it. Every message carries its trace index as its <c>RequestID</c>, so each release is
/// matched to its arrival by id across instances.</para>
/// </remarks>
internal static class ScaleOutSimulation
{
    private const string IdPrefix = "storm-";

    /// <summary>Gets the lag behind the simulation the host may have before the clock pauses, in simulated ticks (0.2 s).</summary>
    internal static long LagTicks => TimeSpan.TicksPerSecond / 5;

    /// <summary>Gets <see cref="LagTicks"/> in seconds.</summary>
    internal static double LagSeconds => LagTicks / (double)TimeSpan.TicksPerSecond;
    private static readonly TimeSpan s_stallLimit = TimeSpan.FromSeconds(60);

    /// <summary>Runs the scenario of <paramref name="options"/> on <see cref="ScenarioOptions.Instances"/> instances.</summary>
    /// <param name="options">The scenario; <see cref="ScenarioOptions.Instances"/> and <see cref="ScenarioOptions.PostgresConnectionString"/> set.</param>
    /// <param name="progress">Receives progress lines; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>The result.</returns>
    /// <exception cref="InvalidOperationException">The run lost, duplicated or misclassified a message, or stalled.</exception>
    public static async Task<ScaleOutResult> RunAsync(ScenarioOptions options, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string connectionString = options.PostgresConnectionString
            ?? throw new ArgumentException("--instances needs --postgres <connection string> (or DUIS_TEST_POSTGRES).");
        var wall = Stopwatch.StartNew();
        var trace = ArrivalTrace.Generate(options, SchedulerClassification.CreateChain());
        var idealRelease = IdealSchedule.ComputeReleaseTicks(trace.ArrivalTicks, trace.Levels, PriorityLevels.Count, options.ServiceTicks);
        var messages = Tag(trace);
        progress?.Invoke($"Trace: {trace.Count:N0} messages ({trace.BacklogCount:N0} backlog), ideal computed - {wall.Elapsed.TotalSeconds:0.0} s");

        string schema = "storm_" + Guid.NewGuid().ToString("N")[..12];
        var clock = new ScaledTimeProvider(ArrivalTrace.Start, 1000 / options.TimeScaleMilliseconds);
        var providers = new List<ServiceProvider>();
        var run = new Run(trace, messages, options.Instances, clock);
        try
        {
            var schedulers = new ResponseReleaseScheduler[options.Instances];
            for (int i = 0; i < schedulers.Length; i++)
            {
                var services = new ServiceCollection();
                services.AddSingleton<TimeProvider>(clock);
                services.AddLogging(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
                services.AddResponsePrioritisation(o => SchedulerQueue.Configure(o, trace, options))
                    .UsePostgreSql(connectionString, o => o.Schema = schema);
                var provider = services.BuildServiceProvider(validateScopes: true);
                providers.Add(provider);
                schedulers[i] = provider.GetRequiredService<ResponseReleaseScheduler>();
            }

            run.Schedulers = schedulers;
            progress?.Invoke($"{schedulers.Length} schedulers on PostgreSQL, schema {schema} - {wall.Elapsed.TotalSeconds:0.0} s");

            // The outage backlog, all at t = 0: the clock stands still while it is accepted.
            var intake = Stopwatch.StartNew();
            const int Chunk = 3_000;
            for (int start = 0; start < trace.BacklogCount; start += Chunk)
            {
                int end = Math.Min(trace.BacklogCount, start + Chunk);
                await Task.WhenAll(Enumerable.Range(start, end - start).Select(run.AcceptAsync)).ConfigureAwait(false);
            }

            run.BacklogIntakeSeconds = intake.Elapsed.TotalSeconds;
            progress?.Invoke($"Backlog of {trace.BacklogCount:N0} accepted in {intake.Elapsed.TotalSeconds:0.0} s ({trace.BacklogCount / Math.Max(0.001, intake.Elapsed.TotalSeconds):N0}/s); clock started - {wall.Elapsed.TotalSeconds:0.0} s");

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            clock.Start();
            var drain = Stopwatch.StartNew();
            run.SetWorkers(options.Workers);
            clock.Limit = run.Limit;
            var workers = Enumerable.Range(0, options.Workers).Select(w => Task.Run(() => run.WorkAsync(w, options, stop.Token), CancellationToken.None)).ToArray();
            var feeder = Task.Run(() => run.FeedAsync(stop.Token), CancellationToken.None);
            bool complete = await run.WaitAsync(progress, s_stallLimit, options.WallLimitSeconds, stop.Token).ConfigureAwait(false);
            run.StopTicks = clock.SimulatedTicks;
            if (!complete)
            {
                progress?.Invoke($"Stopped at the wall-clock limit ({options.WallLimitSeconds:0} s) at t = {run.StopTicks / (double)TimeSpan.TicksPerSecond:0} s simulated: {run.ReleasedCount:N0} of {trace.Count:N0} released");
            }

            await stop.CancelAsync().ConfigureAwait(false);
            clock.Limit = null;
            await Task.WhenAll(workers.Append(feeder)).ConfigureAwait(false);
            await run.AcknowledgementsAsync().ConfigureAwait(false);
            run.DrainSeconds = drain.Elapsed.TotalSeconds;

            await using (var dataSource = NpgsqlDataSource.Create(connectionString))
            {
                run.LeftInBacklog = await ScalarAsync(dataSource, $"SELECT count(*) FROM {schema}.backlog").ConfigureAwait(false);
                run.DeadLettered = await ScalarAsync(dataSource, $"SELECT count(*) FROM {schema}.dead_letter").ConfigureAwait(false);
            }

            progress?.Invoke($"Done: {run.ReleasedCount:N0} released in {run.DrainSeconds:0.0} s of wall-clock time - {wall.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            foreach (var provider in providers)
            {
                await provider.DisposeAsync().ConfigureAwait(false);
            }

            await DropSchemaAsync(connectionString, schema).ConfigureAwait(false);
        }

        var result = new ScaleOutResult(options, trace, idealRelease, run.ReleaseTicks, run.Releases, run.ReleasedBy, run.StopTicks)
        {
            Accepted = run.AcceptedCount,
            DuplicatesSuppressed = run.DuplicateAccepts,
            DuplicateReleases = run.DuplicateReleases,
            LevelMismatches = run.LevelMismatches,
            LeftInBacklog = run.LeftInBacklog,
            DeadLettered = run.DeadLettered,
            BacklogIntakeSeconds = run.BacklogIntakeSeconds,
            DrainSeconds = run.DrainSeconds,
            MaxFeedLagSeconds = run.MaxFeedLagTicks / (double)TimeSpan.TicksPerSecond,
            HeldBackSeconds = clock.HeldBack.TotalSeconds,
            HoldsCutShort = clock.HoldsCutShort,
            Elapsed = wall.Elapsed,
        };
        if (result.Complete)
        {
            result.ThrowIfNotConserved();
        }

        return result;
    }

    /// <summary>Copies the trace's envelopes with their index as <c>RequestID</c> (<c>storm-&lt;index&gt;</c>), the id a release is matched by.</summary>
    /// <param name="trace">The trace.</param>
    /// <returns>One tagged envelope per arrival.</returns>
    internal static DuisMessage[] Tag(ArrivalTrace trace)
    {
        var tagged = new DuisMessage[trace.Count];
        for (int i = 0; i < tagged.Length; i++)
        {
            var m = trace.Messages[i];
            tagged[i] = new DuisMessage(m.Kind)
            {
                ServiceReferenceVariant = m.ServiceReferenceVariant,
                ResponseCode = m.ResponseCode,
                AlertCode = m.AlertCode,
                DccAlertPayloadName = m.DccAlertPayloadName,
                IsDccScheduled = m.IsDccScheduled,
                FutureDatedOutcome = m.FutureDatedOutcome,
                ReceivedAt = m.ReceivedAt,
                RequestId = IdPrefix + i.ToString(CultureInfo.InvariantCulture),
            };
        }

        return tagged;
    }

    /// <summary>Reads the trace index back from a released message's <c>RequestID</c>; -1 if it is not one of ours.</summary>
    internal static int IndexOf(DuisMessage message)
        => message.RequestId is { } id && id.StartsWith(IdPrefix, StringComparison.Ordinal)
            && int.TryParse(id.AsSpan(IdPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int index) ? index : -1;

    private static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    private static async Task DropSchemaAsync(string connectionString, string schema)
    {
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using var command = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // The run's result stands; a schema left behind is named storm_<id> and harmless.
        }
    }

    /// <summary>The shared state of one run: who accepted and released what, and when.</summary>
    private sealed class Run(ArrivalTrace trace, DuisMessage[] messages, int instances, ScaledTimeProvider clock)
    {
        private readonly int[] _released = new int[trace.Count];
        private readonly ConcurrentBag<Task> _acknowledgements = [];
        private readonly ConcurrentQueue<string> _errors = new();
        private readonly TaskCompletionSource _allReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<Task> _accepts = [];
        private long _releasedCount;
        private long _accepted;
        private long _duplicateAccepts;
        private long _duplicateReleases;
        private long _levelMismatches;
        private long _maxFeedLag;
        private long _nextFeed = long.MaxValue;
        private long[] _nextFree = [];

        public void SetWorkers(int workers) => _nextFree = Enumerable.Repeat(long.MaxValue, workers).ToArray();

        public ResponseReleaseScheduler[] Schedulers { get; set; } = [];

        public long[] ReleaseTicks { get; } = Enumerable.Repeat(-1L, trace.Count).ToArray();

        public int[] ReleasedBy { get; } = new int[trace.Count];

        /// <summary>Gets the trace indexes in the order of their releases (by the time recorded).</summary>
        public ConcurrentQueue<int> Releases { get; } = new();

        public long ReleasedCount => Volatile.Read(ref _releasedCount);

        public long AcceptedCount => Volatile.Read(ref _accepted);

        public long DuplicateAccepts => Volatile.Read(ref _duplicateAccepts);

        public long DuplicateReleases => Volatile.Read(ref _duplicateReleases);

        public long LevelMismatches => Volatile.Read(ref _levelMismatches);

        public long MaxFeedLagTicks => Volatile.Read(ref _maxFeedLag);

        public long LeftInBacklog { get; set; }

        public long StopTicks { get; set; }

        public long DeadLettered { get; set; }

        public double BacklogIntakeSeconds { get; set; }

        public double DrainSeconds { get; set; }

        /// <summary>Accepts arrival <paramref name="index"/> on instance <c>index mod N</c> (round-robin, as a load balancer would).</summary>
        public async Task AcceptAsync(int index)
        {
            var result = await Schedulers[index % instances].EnqueueWithResultAsync(messages[index]).ConfigureAwait(false);
            if (result == EnqueueResult.Accepted)
            {
                Interlocked.Increment(ref _accepted);
            }
            else if (result == EnqueueResult.AcceptedDuplicate)
            {
                Interlocked.Increment(ref _duplicateAccepts);
                Fail($"message {index} was taken for a duplicate: the run has no redeliveries");
            }
            else
            {
                Fail($"message {index} was not accepted: {result}");
            }
        }

        /// <summary>Feeds the ongoing arrivals at their trace times.</summary>
        public async Task FeedAsync(CancellationToken cancellationToken)
        {
            try
            {
                for (int i = trace.BacklogCount; i < trace.Count; i++)
                {
                    Volatile.Write(ref _nextFeed, trace.ArrivalTicks[i]);
                    await clock.DelayUntilAsync(trace.ArrivalTicks[i], cancellationToken).ConfigureAwait(false);
                    long lag = clock.SimulatedTicks - trace.ArrivalTicks[i];
                    if (lag > Volatile.Read(ref _maxFeedLag))
                    {
                        Volatile.Write(ref _maxFeedLag, lag);
                    }

                    lock (_accepts)
                    {
                        _accepts.Add(AcceptAsync(i));
                    }
                }

                Volatile.Write(ref _nextFeed, long.MaxValue);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        }

        /// <summary>One back-end worker pulling from <paramref name="scheduler"/> (see the type's remarks for the schedule).</summary>
        public async Task WorkAsync(int worker, ScenarioOptions options, CancellationToken cancellationToken)
        {
            int instance = worker % instances;
            var scheduler = Schedulers[instance];
            long callTicks = options.Workers * options.ServiceTicks;
            long nextFree = worker * options.ServiceTicks; // staggered, so a saturated back-end pulls every 1 / capacity
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    Volatile.Write(ref _nextFree[worker], nextFree);
                    await clock.DelayUntilAsync(nextFree, cancellationToken).ConfigureAwait(false);
                    bool workWaiting = AcceptedCount - ReleasedCount >= _nextFree.Length;
                    var released = await scheduler.DequeueAsync(cancellationToken).ConfigureAwait(false);
                    long now = clock.SimulatedTicks;
                    Record(released, now, instance);

                    // The call begins when the worker was due if work was waiting for every worker then (the pull's
                    // latency is hidden, as a release loop with a few messages in flight hides it; the message's wait
                    // still runs to the moment the pull returned), else when the pull returned. Lateness beyond the
                    // lag the governor allows is not caught up.
                    long began = workWaiting ? Math.Max(nextFree, now - LagTicks) : now;
                    nextFree = began + callTicks;
                    _acknowledgements.Add(AcknowledgeLaterAsync(scheduler, released, nextFree, cancellationToken));
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            finally
            {
                Volatile.Write(ref _nextFree[worker], long.MaxValue);
            }
        }

        /// <summary>
        /// The latest time the clock may show: <see cref="LagTicks"/> past the earliest worker still due to pull while
        /// the backlog holds work for every worker, and past the next arrival still to be fed. A host that falls
        /// further behind holds simulated time back rather than making the scheduler look slow.
        /// </summary>
        public long Limit()
        {
            long bound = Volatile.Read(ref _nextFeed);
            if (AcceptedCount - ReleasedCount >= _nextFree.Length)
            {
                foreach (ref long due in _nextFree.AsSpan())
                {
                    bound = Math.Min(bound, Volatile.Read(ref due));
                }
            }

            return bound >= long.MaxValue - LagTicks ? long.MaxValue : bound + LagTicks;
        }

        /// <summary>Waits until every arrival has been released, failing if releases stop for <paramref name="stallLimit"/> of wall-clock time.</summary>
        /// <returns><see langword="false"/> if the run reached <paramref name="wallLimitSeconds"/> first.</returns>
        public async Task<bool> WaitAsync(Action<string>? progress, TimeSpan stallLimit, double? wallLimitSeconds, CancellationToken cancellationToken)
        {
            var wall = Stopwatch.StartNew();
            long last = -1;
            var sinceProgress = Stopwatch.StartNew();
            var sinceReport = Stopwatch.StartNew();
            while (!_allReleased.Task.IsCompleted)
            {
                await Task.WhenAny(_allReleased.Task, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (_errors.TryPeek(out var error))
                {
                    throw new InvalidOperationException($"The scale-out run failed: {error} ({_errors.Count} errors).");
                }

                long count = ReleasedCount;
                if (count != last)
                {
                    last = count;
                    sinceProgress.Restart();
                }
                else if (sinceProgress.Elapsed > stallLimit)
                {
                    throw new InvalidOperationException($"The scale-out run stalled: {count:N0} of {trace.Count:N0} released and none for {stallLimit.TotalSeconds:0} s of wall-clock time.");
                }

                if (wallLimitSeconds is { } limit && wall.Elapsed.TotalSeconds > limit)
                {
                    return false;
                }

                if (sinceReport.Elapsed >= TimeSpan.FromSeconds(10))
                {
                    sinceReport.Restart();
                    progress?.Invoke($"  t = {clock.SimulatedTicks / (double)TimeSpan.TicksPerSecond:0} s simulated: {count:N0} released, {AcceptedCount:N0} accepted");
                }
            }

            await _allReleased.Task.ConfigureAwait(false);
            Task[] accepts;
            lock (_accepts)
            {
                accepts = [.. _accepts];
            }

            await Task.WhenAll(accepts).ConfigureAwait(false);
            if (_errors.TryPeek(out var late))
            {
                throw new InvalidOperationException($"The scale-out run failed: {late} ({_errors.Count} errors).");
            }

            return true;
        }

        public Task AcknowledgementsAsync() => Task.WhenAll(_acknowledgements);

        private void Record(ReleasedMessage released, long now, int instance)
        {
            int index = IndexOf(released.Message);
            if (index < 0)
            {
                Fail($"released a message that is not from the trace: {released.Message}");
                return;
            }

            if ((byte)released.Level != trace.Levels[index])
            {
                Interlocked.Increment(ref _levelMismatches);
            }

            if (Interlocked.Increment(ref _released[index]) > 1)
            {
                Interlocked.Increment(ref _duplicateReleases);
                return;
            }

            ReleaseTicks[index] = now;
            ReleasedBy[index] = instance;
            Releases.Enqueue(index);
            if (Interlocked.Increment(ref _releasedCount) == trace.Count)
            {
                _allReleased.TrySetResult();
            }
        }

        private async Task AcknowledgeLaterAsync(ResponseReleaseScheduler scheduler, ReleasedMessage released, long handledAt, CancellationToken cancellationToken)
        {
            try
            {
                await clock.DelayUntilAsync(handledAt, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The run is over: acknowledge now.
            }

            try
            {
                await scheduler.AcknowledgeAsync(released, ReleaseOutcome.Handled, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Fail($"acknowledging {released.Message.RequestId} failed: {ex.Message}");
            }
        }

        private void Fail(string error) => _errors.Enqueue(error);
    }
}
