using System.Collections.Concurrent;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using DuisPrioritiser.Tests.Journal;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Release;

/// <summary>
/// The back-end fails every call for 10 simulated minutes in the middle of draining a flood: nothing may be
/// dead-lettered, every message is handled exactly once, calls during the outage stay few, and after recovery
/// releases follow the drain policy as if there had been no outage.
/// </summary>
[Category("Stress")]
public sealed class BackendOutageTests
{
    private const int Upfront = 16_000;
    private const int DuringOutage = 4_000;
    private static readonly TimeSpan s_outageStart = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_outage = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan s_serviceTime = TimeSpan.FromMilliseconds(10);

    [Test]
    public async Task Outage_StrictPriority_NoDeadLettersExactlyOnceAndAllCriticalFirstAfterRecovery()
    {
        var result = await RunAsync(noMinimumShares: true, restartDuringOutage: false);
        AssertCommon(result);
        Assert.That(result.AfterRecovery.Take(result.CriticalHeldAtRecovery), Is.All.EqualTo(PriorityLevel.Critical), "every release is Critical until no Critical is held");
        Assert.That(result.CriticalShare, Is.EqualTo(1.0));
    }

    [Test]
    public async Task Outage_DefaultPolicy_CriticalShareIsWhatBulksMinimumShareLeaves()
    {
        var result = await RunAsync(noMinimumShares: false, restartDuringOutage: false);
        AssertCommon(result);
        var window = result.AfterRecovery.Take(result.CriticalWindow).ToList();
        Assert.That(window.Where(l => l != PriorityLevel.Critical), Is.All.EqualTo(PriorityLevel.Bulk), "only Bulk's minimum share goes ahead of Critical");
        Assert.That(result.CriticalShare, Is.InRange(0.94, 0.96), "Bulk's minimum share is 5%");
    }

    [Test]
    public async Task Outage_StrictPriorityWithRestartDuringOutage_JournalKeepsOrderAndExactlyOnce()
    {
        var result = await RunAsync(noMinimumShares: true, restartDuringOutage: true);
        AssertCommon(result);
        Assert.That(result.AfterRecovery.Take(result.CriticalHeldAtRecovery), Is.All.EqualTo(PriorityLevel.Critical));
    }

    [Test]
    public async Task Outage_LongerThanMaxWait_DowntimeDoesNotMakeHeldWorkOverdue()
    {
        // High's wait bound is 1 minute; the outage lasts 10. Without discounting the downtime, every held High
        // message would be overdue and take the overdue share ahead of Critical after recovery.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = new ResponsePrioritisationOptions();
        options.Traffic.High.MaxWait = TimeSpan.FromMinutes(1);
        options.Traffic.OverdueShare = 0.5;
        using var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        for (int i = 0; i < 50; i++)
        {
            Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.High), Is.True);
            Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(1000 + i), PriorityLevel.Critical), Is.True);
        }

        scheduler.Downtime.MarkDown(time.GetTimestamp());
        time.Advance(TimeSpan.FromMinutes(10));
        scheduler.Downtime.MarkUp(time.GetTimestamp());
        var order = new List<PriorityLevel>();
        for (int i = 0; i < 50; i++)
        {
            Assert.That(scheduler.TryDequeue(out var released), Is.True);
            order.Add(released.Level);
            Assert.That(released.Wait, Is.GreaterThanOrEqualTo(TimeSpan.FromMinutes(10)), "the real wait is still reported");
        }

        Assert.That(order, Is.All.EqualTo(PriorityLevel.Critical));
    }

    private static void AssertCommon(OutageResult result)
    {
        TestContext.Out.WriteLine(result.ToString());
        Assert.That(result.DeadLettered, Is.Zero, "a transient outage dead-letters nothing");
        Assert.That(result.NotHandledOnce, Is.Empty, "every message handled exactly once");
        Assert.That(result.CallsDuringOutage, Is.LessThan(200), "calls during the outage stay a small bounded number, not attempts x messages");
        Assert.That(result.CriticalHeldAtRecovery, Is.GreaterThan(100), "the outage left Critical work held");
    }

    private static async Task<OutageResult> RunAsync(bool noMinimumShares, bool restartDuringOutage)
    {
        using var directory = restartDuringOutage ? new JournalTestDirectory() : null;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = new ResponsePrioritisationOptions { Capacity = 100_000 };
        if (noMinimumShares)
        {
            // Strict priority alone: no minimum shares, no wait bounds.
            foreach (var level in new[] { options.Traffic.High, options.Traffic.Normal, options.Traffic.Low, options.Traffic.Bulk })
            {
                level.MinShare = 0;
                level.MaxWait = null;
            }
        }

        options.Pace.Mode = PaceMode.Fixed;
        options.Pace.FixedLimit = 16;
        options.Recovery.AutoDetect = false; // the recovery-mode throttles are another test's subject
        if (directory is not null)
        {
            options.Journal.Directory = directory.Path;
        }

        var backEnd = new OutageBackEnd(time, s_serviceTime);
        var sink = new ReleaseLoopHarness.RecordingSink();
        var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        var service = new ResponseReleaseService(scheduler, backEnd, sink, Options.Create(options), time);
        var random = new Random(7);
        long tag = 0;
        for (int i = 0; i < Upfront; i++)
        {
            Assert.That(await scheduler.EnqueueReplayAsync(TestMessages.Tagged(tag++), Pick(random), CancellationToken.None), Is.EqualTo(EnqueueResult.Accepted));
        }

        await service.StartAsync(CancellationToken.None);
        var start = time.GetUtcNow();
        var outageEnd = start + s_outageStart + s_outage;
        bool restarted = !restartDuringOutage;
        int arrived = 0;
        int criticalAtRecovery = -1;
        int total = Upfront + DuringOutage;
        var deadline = start + TimeSpan.FromHours(1);
        while (backEnd.HandledCount < total || service.ActiveCount > 0)
        {
            Assert.That(time.GetUtcNow(), Is.LessThan(deadline), $"not drained: {scheduler.GetSnapshot()}, {backEnd.HandledCount} handled");
            await SettleAsync(service, scheduler, backEnd);
            var elapsed = time.GetUtcNow() - start;
            bool down = elapsed >= s_outageStart && time.GetUtcNow() < outageEnd;
            backEnd.Down = down;
            if (down)
            {
                // Work keeps arriving during the outage, at every level.
                int due = (int)Math.Min(DuringOutage, DuringOutage * (elapsed - s_outageStart).TotalSeconds / (s_outage.TotalSeconds * 0.8));
                while (arrived < due)
                {
                    Assert.That(await scheduler.EnqueueReplayAsync(TestMessages.Tagged(tag++), Pick(random), CancellationToken.None), Is.EqualTo(EnqueueResult.Accepted));
                    arrived++;
                }

                if (!restarted && elapsed >= s_outageStart + s_outage / 2)
                {
                    // Restart in the middle of the outage: stop the loop, close the journal, open it again.
                    restarted = true;
                    await service.StopAsync(CancellationToken.None);
                    await scheduler.DisposeAsync();
                    scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
                    service = new ResponseReleaseService(scheduler, backEnd, sink, Options.Create(options), time);
                    await service.StartAsync(CancellationToken.None);
                }
            }
            else if (elapsed >= s_outageStart && criticalAtRecovery < 0)
            {
                criticalAtRecovery = (int)scheduler.GetSnapshot().Levels[(int)PriorityLevel.Critical].Count;
                backEnd.MarkRecovered();
            }

            time.Advance(down ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromMilliseconds(5));
        }

        await service.StopAsync(CancellationToken.None);
        await scheduler.DisposeAsync();

        var after = backEnd.SuccessesAfterRecovery;
        int lastCritical = after.FindLastIndex(l => l == PriorityLevel.Critical);
        int window = lastCritical + 1;
        double share = window == 0 ? 1 : after.Take(window).Count(l => l == PriorityLevel.Critical) / (double)window;
        return new OutageResult(
            sink.Count,
            backEnd.NotHandledOnce(tag),
            backEnd.CallsDuringOutage,
            criticalAtRecovery,
            after,
            window,
            share);
    }

    private static PriorityLevel Pick(Random random) => random.Next(100) switch
    {
        < 10 => PriorityLevel.Critical,
        < 30 => PriorityLevel.High,
        < 60 => PriorityLevel.Normal,
        < 80 => PriorityLevel.Low,
        _ => PriorityLevel.Bulk,
    };

    private static async Task SettleAsync(ResponseReleaseService service, ResponseReleaseScheduler scheduler, OutageBackEnd backEnd)
    {
        var last = (backEnd.Calls, service.ActiveCount, scheduler.Count);
        int stable = 0;
        for (int i = 0; i < 100_000 && stable < 4; i++)
        {
            await Task.Yield();
            var now = (backEnd.Calls, service.ActiveCount, scheduler.Count);
            bool blocked = service.IsLoopWaiting && (service.Limiter.InFlight >= service.Limiter.Limit || scheduler.Count == 0 || service.Gate.IsHolding);
            if (now == last && blocked)
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

    private sealed record OutageResult(int DeadLettered, IReadOnlyList<string> NotHandledOnce, long CallsDuringOutage, int CriticalHeldAtRecovery, List<PriorityLevel> AfterRecovery, int CriticalWindow, double CriticalShare)
    {
        public override string ToString()
            => $"dead-lettered {DeadLettered}, not handled once {NotHandledOnce.Count}, calls during outage {CallsDuringOutage}, Critical held at recovery {CriticalHeldAtRecovery}, Critical share until none held {CriticalShare:F4} over {CriticalWindow} releases";
    }

    /// <summary>A back-end with a service time that, while <see cref="Down"/>, fails every call asynchronously (like a refused connection).</summary>
    private sealed class OutageBackEnd(FakeTimeProvider time, TimeSpan serviceTime) : IResponseHandler
    {
        private readonly ConcurrentDictionary<string, int> _handled = new();
        private readonly Lock _lock = new();
        private long _calls;
        private long _callsDuringOutage;
        private bool _recovered;

        public volatile bool Down;

        public long Calls => Interlocked.Read(ref _calls);

        public long CallsDuringOutage => Interlocked.Read(ref _callsDuringOutage);

        public int HandledCount => _handled.Count;

        public List<PriorityLevel> SuccessesAfterRecovery { get; } = [];

        public void MarkRecovered()
        {
            lock (_lock)
            {
                _recovered = true;
            }
        }

        public IReadOnlyList<string> NotHandledOnce(long tags)
        {
            var wrong = new List<string>();
            for (long i = 0; i < tags; i++)
            {
                string key = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (_handled.GetValueOrDefault(key) != 1)
                {
                    wrong.Add($"{key}: {_handled.GetValueOrDefault(key)}");
                }
            }

            return wrong;
        }

        public async ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Down)
            {
                Interlocked.Increment(ref _callsDuringOutage);
                await Task.Yield();
                throw new HttpRequestException("503 Service Unavailable (simulated outage)");
            }

            lock (_lock)
            {
                if (_recovered)
                {
                    SuccessesAfterRecovery.Add(message.Level);
                }
            }

            await Task.Delay(serviceTime, time, cancellationToken);
            _handled.AddOrUpdate(message.Message.RequestId!, 1, static (_, count) => count + 1);
        }
    }
}
