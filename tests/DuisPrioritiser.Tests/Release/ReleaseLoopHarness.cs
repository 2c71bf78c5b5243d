using System.Collections.Concurrent;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Release;

/// <summary>
/// Drives the real scheduler and hosted release loop in virtual time: a simulated back-end with a fixed number of
/// workers and a fixed service time (calls beyond the workers queue, so latency rises with load), optional seeded
/// random failures, a recording dead-letter sink, and a scheduler decorator that counts acknowledgements.
/// </summary>
internal sealed class ReleaseLoopHarness
{
    public ReleaseLoopHarness(ResponsePrioritisationOptions options, int workers, TimeSpan serviceTime, double failureRate = 0, int seed = 42)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Scheduler = new ResponseReleaseScheduler(options, timeProvider: Time);
        Counting = new CountingScheduler(Scheduler);
        BackEnd = new SimulatedBackEnd(Time, workers, serviceTime, failureRate, seed);
        Sink = new RecordingSink();
        Service = new ResponseReleaseService(Counting, BackEnd, Sink, Options.Create(options), Time);
    }

    public FakeTimeProvider Time { get; }

    public ResponseReleaseScheduler Scheduler { get; }

    public CountingScheduler Counting { get; }

    public SimulatedBackEnd BackEnd { get; }

    public RecordingSink Sink { get; }

    public ResponseReleaseService Service { get; }

    /// <summary>Yields until the loop is waiting and nothing has moved for a few rounds, so virtual time may advance.</summary>
    public async Task SettleAsync()
    {
        var last = Signature();
        int stable = 0;
        for (int i = 0; i < 200_000 && stable < 4; i++)
        {
            await Task.Yield();
            var now = Signature();
            if (now == last && IsLoopBlocked())
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

    /// <summary>
    /// The loop is blocked for good (until virtual time moves) only when it waits and has nothing to do: every slot
    /// is taken, or nothing is held. A wake-up travels through thread-pool hops, so "waiting" alone can be stale.
    /// </summary>
    private bool IsLoopBlocked()
        => Service.IsLoopWaiting && (Service.Limiter.InFlight >= Service.Limiter.Limit || Scheduler.Count == 0 || Service.Gate.IsHolding || Service.LoopTask is { IsCompleted: true });

    /// <summary>Advances virtual time in steps until <paramref name="done"/>, calling <paramref name="onStep"/> after each settle.</summary>
    public async Task RunUntilAsync(Func<bool> done, TimeSpan step, TimeSpan limit, Action? onStep = null)
    {
        var end = Time.GetUtcNow() + limit;
        while (Time.GetUtcNow() < end)
        {
            await SettleAsync();
            onStep?.Invoke();
            if (done())
            {
                return;
            }

            Time.Advance(step);
        }

        Assert.Fail($"Not done after {limit} of virtual time: {Scheduler.GetSnapshot()}, {Service.ActiveCount} active.");
    }

    private (long, int, int, long, int, long) Signature()
        => (BackEnd.Calls, BackEnd.Waiting, Service.ActiveCount, Scheduler.Count, Sink.Count, Counting.Acknowledged);

    internal sealed class SimulatedBackEnd(FakeTimeProvider time, int workers, TimeSpan serviceTime, double failureRate, int seed) : IResponseHandler
    {
        private readonly Lock _gate = new();
        private readonly DateTimeOffset[] _freeAt = new DateTimeOffset[workers];
        private readonly Random _random = new(seed);
        private long _calls;
        private long _firstSeen;
        private int _waiting;

        public ConcurrentDictionary<DuisMessage, int> Handled { get; } = new();

        /// <summary>First release of each message: its order, level and wait.</summary>
        public ConcurrentDictionary<DuisMessage, (long Order, PriorityLevel Level, TimeSpan Wait)> FirstRelease { get; } = new();

        public long Calls => Volatile.Read(ref _calls);

        public int Waiting => Volatile.Read(ref _waiting);

        public int Workers => workers;

        public TimeSpan ServiceTime => serviceTime;

        public async ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken)
        {
            TimeSpan delay;
            bool fail;
            lock (_gate)
            {
                _calls++;
                var now = time.GetUtcNow();
                int worker = 0;
                for (int i = 1; i < _freeAt.Length; i++)
                {
                    if (_freeAt[i] < _freeAt[worker])
                    {
                        worker = i;
                    }
                }

                var start = _freeAt[worker] > now ? _freeAt[worker] : now;
                _freeAt[worker] = start + serviceTime;
                delay = _freeAt[worker] - now;
                fail = failureRate > 0 && _random.NextDouble() < failureRate;
                if (!FirstRelease.ContainsKey(message.Message))
                {
                    FirstRelease[message.Message] = (_firstSeen++, message.Level, message.Wait);
                }
            }

            Interlocked.Increment(ref _waiting);
            try
            {
                await Task.Delay(delay, time, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }

            if (fail)
            {
                throw new InvalidOperationException("Simulated back-end failure.");
            }

            Handled.AddOrUpdate(message.Message, 1, static (_, count) => count + 1);
        }
    }

    internal sealed class RecordingSink : IDeadLetterSink
    {
        private int _count;

        public ConcurrentDictionary<DuisMessage, ConcurrentBag<string>> Letters { get; } = new();

        public int Count => Volatile.Read(ref _count);

        public ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
        {
            Letters.GetOrAdd(deadLetter.Message.Message, static _ => []).Add(deadLetter.Reason);
            Interlocked.Increment(ref _count);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Forwards to the real scheduler and counts acknowledgements per message and outcome.</summary>
    internal sealed class CountingScheduler(IResponseReleaseScheduler inner) : IResponseReleaseScheduler, ISchedulerDecorator
    {
        public IResponseReleaseScheduler Inner => inner;

        private long _acknowledged;

        public ConcurrentDictionary<DuisMessage, ConcurrentQueue<ReleaseOutcome>> Acks { get; } = new();

        public long Acknowledged => Volatile.Read(ref _acknowledged);

        public Task Completion => inner.Completion;

        public bool TryEnqueue(DuisMessage message) => inner.TryEnqueue(message);

        public bool TryEnqueue(DuisMessage message, PriorityLevel level) => inner.TryEnqueue(message, level);

        public ValueTask<bool> EnqueueAsync(DuisMessage message, CancellationToken cancellationToken = default) => inner.EnqueueAsync(message, cancellationToken);

        public IntakeResult TryEnqueue(ReadOnlyMemory<byte> xml) => inner.TryEnqueue(xml);

        public ValueTask<IntakeResult> EnqueueAsync(ReadOnlyMemory<byte> xml, CancellationToken cancellationToken = default) => inner.EnqueueAsync(xml, cancellationToken);

        public bool TryDequeue(out ReleasedMessage message) => inner.TryDequeue(out message);

        public ValueTask<ReleasedMessage> DequeueAsync(CancellationToken cancellationToken = default) => inner.DequeueAsync(cancellationToken);

        public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);

        public IAsyncEnumerable<ReleasedMessage> ReadAllAsync(CancellationToken cancellationToken = default) => inner.ReadAllAsync(cancellationToken);

        public ValueTask AcknowledgeAsync(ReleasedMessage message, ReleaseOutcome outcome = ReleaseOutcome.Handled, CancellationToken cancellationToken = default)
        {
            Acks.GetOrAdd(message.Message, static _ => new()).Enqueue(outcome);
            if (outcome != ReleaseOutcome.Returned)
            {
                Interlocked.Increment(ref _acknowledged); // final outcomes only
            }

            return inner.AcknowledgeAsync(message, outcome, cancellationToken);
        }

        public void Complete() => inner.Complete();

        public SchedulerSnapshot GetSnapshot() => inner.GetSnapshot();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
