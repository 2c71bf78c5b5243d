using System.Diagnostics;
using System.Globalization;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Release;

/// <summary>
/// A per-alert-code throttle may reorder different codes, never one code: with <c>Traffic:AlertCodes:8002</c>
/// throttled and several readers draining, the 8002 alerts of one producer must come out in the order it put them in,
/// none lost and none twice.
/// </summary>
/// <remarks>
/// Only <i>certain</i> inversions are counted: alert <c>i</c> (enqueued before <c>j</c> by the same producer) is
/// overtaken when <c>j</c>'s <see cref="ResponseReleaseScheduler.TryDequeue"/> returned before <c>i</c>'s began, so two
/// readers that merely race to return are never blamed. Virtual time: a reader that finds nothing releasable moves the
/// fake clock on by one token interval, so the throttle opens and closes thousands of times in a bounded run.
/// </remarks>
[Category("Stress")]
public class AlertCodeThrottleOrderingTests
{
    private const string ThrottledCode = "8002";

    [TestCase(1, 2, 200_000)]
    [TestCase(4, 4, 200_000)]
    [CancelAfter(120_000)]
    public async Task TryDequeue_ThrottledAlertCodeManyReaders_KeepsFifoWithinTheCodeAndLosesNothing(int producers, int readers, int throttledAlerts, CancellationToken cancellationToken)
    {
        var result = await RunAsync(producers, readers, throttledAlerts, throttle: true, cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(result.Lost, Is.Zero, "lost");
            Assert.That(result.Duplicated, Is.Zero, "duplicated");
            Assert.That(result.Inversions, Is.Zero, $"certain inversions within alert code {ThrottledCode}");
            Assert.That(result.Parked, Is.GreaterThan(0), "the throttle held some alerts back (the test exercised it)");
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task TryDequeue_NoThrottleManyReaders_KeepsFifoWithinTheCode(CancellationToken cancellationToken)
    {
        var result = await RunAsync(producers: 1, readers: 2, throttledAlerts: 50_000, throttle: false, cancellationToken);

        Assert.That((result.Lost, result.Duplicated, result.Inversions), Is.EqualTo((0L, 0L, 0L)));
    }

    private static async Task<Result> RunAsync(int producers, int readers, int throttledAlerts, bool throttle, CancellationToken cancellationToken)
    {
        var time = new FakeTimeProvider();
        var options = new ResponsePrioritisationOptions { Capacity = 2_000_000 };
        if (throttle)
        {
            var limits = new AlertCodeThrottleOptions();
            limits.Normal.Rate = 1000;
            limits.Normal.Burst = 8;
            limits.Recovery.Rate = 1000;
            limits.Recovery.Burst = 8;
            options.Traffic.AlertCodes[ThrottledCode] = limits;
        }

        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        var step = TimeSpan.FromMilliseconds(1);

        // Each producer: its own stream of 8002 alerts, interleaved 1:1 with other traffic (another alert code and
        // responses at other levels), so the throttled code shares its level and readers with unthrottled work.
        int perProducer = throttledAlerts / producers;
        var streams = new Stream[producers];
        var index = new Dictionary<DuisMessage, (int Producer, int Sequence)>(ReferenceEqualityComparer.Instance);
        var others = new List<DuisMessage>[producers];
        for (int p = 0; p < producers; p++)
        {
            streams[p] = new Stream(perProducer);
            others[p] = new List<DuisMessage>(perProducer);
            for (int i = 0; i < perProducer; i++)
            {
                var alert = new DuisMessage(DuisMessageKind.DeviceAlert)
                {
                    AlertCode = DuisCode.Parse(ThrottledCode),
                    ResponseCode = DuisCode.Parse("I0"),
                    ResponseId = string.Create(CultureInfo.InvariantCulture, $"{p}:8002:{i}"),
                };
                streams[p].Messages[i] = alert;
                index.Add(alert, (p, i));
                others[p].Add(i % 2 == 0
                    ? new DuisMessage(DuisMessageKind.DeviceAlert) { AlertCode = DuisCode.Parse("8F35"), ResponseCode = DuisCode.Parse("I0"), ResponseId = string.Create(CultureInfo.InvariantCulture, $"{p}:8F35:{i}") }
                    : new DuisMessage(DuisMessageKind.Response) { ServiceReferenceVariant = ServiceReferenceVariant.Parse("3.1"), ResponseCode = DuisCode.Parse("I0"), ResponseId = string.Create(CultureInfo.InvariantCulture, $"{p}:3.1:{i}") });
            }
        }

        long otherReleased = 0;
        long maxDeferred = 0;
        int producersLeft = producers;
        var start = new Barrier(producers + readers);

        var producerTasks = Enumerable.Range(0, producers).Select(p => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait(cancellationToken);
                var stream = streams[p];
                for (int i = 0; i < perProducer; i++)
                {
                    Assert.That(scheduler.TryEnqueue(stream.Messages[i]), Is.True);
                    Assert.That(scheduler.TryEnqueue(others[p][i]), Is.True);
                }

                if (Interlocked.Decrement(ref producersLeft) == 0)
                {
                    scheduler.Complete();
                }
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        var readerTasks = Enumerable.Range(0, readers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait(cancellationToken);
                while (!scheduler.Completion.IsCompleted)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long began = Stopwatch.GetTimestamp();
                    if (!scheduler.TryDequeue(out var released))
                    {
                        long deferred = scheduler.GetSnapshot().DeferredCount;
                        if (deferred > Volatile.Read(ref maxDeferred))
                        {
                            Volatile.Write(ref maxDeferred, deferred);
                        }

                        time.Advance(step);
                        continue;
                    }

                    long returned = Stopwatch.GetTimestamp();
                    if (index.TryGetValue(released.Message, out var at))
                    {
                        streams[at.Producer].Record(at.Sequence, began, returned);
                    }
                    else
                    {
                        Interlocked.Increment(ref otherReleased);
                    }

                    scheduler.AcknowledgeAsync(released).AsTask().GetAwaiter().GetResult();
                }
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();

        await Task.WhenAll(producerTasks.Concat(readerTasks));

        long lost = 0;
        long duplicated = 0;
        long inversions = 0;
        foreach (var stream in streams)
        {
            stream.Count(out long streamLost, out long streamDuplicated, out long streamInversions);
            lost += streamLost;
            duplicated += streamDuplicated;
            inversions += streamInversions;
        }

        long otherExpected = (long)perProducer * producers;
        lost += Math.Max(0, otherExpected - otherReleased);
        duplicated += Math.Max(0, otherReleased - otherExpected);
        TestContext.Out.WriteLine($"{producers} producers x {readers} readers, {perProducer * producers} alerts of {ThrottledCode} (throttle {(throttle ? "on" : "off")}): {inversions} certain inversions, {lost} lost, {duplicated} duplicated; up to {maxDeferred} deferred at once; {time.GetUtcNow() - time.Start} virtual time.");
        return new Result(lost, duplicated, inversions, Volatile.Read(ref maxDeferred));
    }

    private sealed record Result(long Lost, long Duplicated, long Inversions, long Parked);

    /// <summary>One producer's throttled alerts and, per alert, when the dequeue that released it began and returned.</summary>
    private sealed class Stream(int count)
    {
        private readonly long[] _began = new long[count];
        private readonly long[] _returned = new long[count];
        private readonly int[] _seen = new int[count];

        public DuisMessage[] Messages { get; } = new DuisMessage[count];

        public void Record(int sequence, long began, long returned)
        {
            if (Interlocked.Increment(ref _seen[sequence]) == 1)
            {
                _began[sequence] = began;
                _returned[sequence] = returned;
            }
        }

        /// <summary>Counts alerts never released, released more than once, and overtaken for certain by a later one.</summary>
        public void Count(out long lost, out long duplicated, out long inversions)
        {
            lost = 0;
            duplicated = 0;
            inversions = 0;
            long earliestLaterReturn = long.MaxValue;
            for (int i = _seen.Length - 1; i >= 0; i--)
            {
                if (_seen[i] == 0)
                {
                    lost++;
                    continue;
                }

                duplicated += _seen[i] - 1;
                if (earliestLaterReturn < _began[i])
                {
                    inversions++;
                }

                earliestLaterReturn = Math.Min(earliestLaterReturn, _returned[i]);
            }
        }
    }
}
