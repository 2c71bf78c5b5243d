using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Release;

public class ConcurrencyLimiterTests
{
    [Test]
    public void TryAcquire_FixedLimit_HoldsToIt()
    {
        var limiter = new ConcurrencyLimiter(new PaceOptions { Mode = PaceMode.Fixed, FixedLimit = 3 }, new FakeTimeProvider());
        Assert.That(Enumerable.Range(0, 5).Count(_ => limiter.TryAcquire()), Is.EqualTo(3));
        limiter.Release();
        Assert.That(limiter.TryAcquire(), Is.True);
        for (int i = 0; i < 100; i++)
        {
            limiter.OnSample(TimeSpan.FromSeconds(10), PaceSample.Timeout);
        }

        Assert.That(limiter.Limit, Is.EqualTo(3), "a fixed limit ignores samples");
    }

    [Test]
    public async Task AcquireAsync_AtLimit_WaitsForRelease()
    {
        var limiter = new ConcurrencyLimiter(new PaceOptions { Mode = PaceMode.Fixed, FixedLimit = 1 }, new FakeTimeProvider());
        Assert.That(limiter.TryAcquire(), Is.True);
        var waiting = limiter.AcquireAsync(CancellationToken.None).AsTask();
        await Task.Delay(20);
        Assert.That(waiting.IsCompleted, Is.False);
        limiter.Release();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(limiter.InFlight, Is.EqualTo(1));
    }

    [Test]
    public void OnSample_Timeouts_MultiplicativeDecreaseToMinimum()
    {
        var limiter = new ConcurrencyLimiter(new PaceOptions { InitialLimit = 100, MinLimit = 4, BackoffRatio = 0.5 }, new FakeTimeProvider());
        Feed(limiter, 100, TimeSpan.FromMilliseconds(10), PaceSample.Timeout);
        Assert.That(limiter.Limit, Is.EqualTo(50));
        Feed(limiter, 2000, TimeSpan.FromMilliseconds(10), PaceSample.Timeout);
        Assert.That(limiter.Limit, Is.EqualTo(4));
    }

    [Test]
    public void OnSample_FailureRatioBelowThreshold_DoesNotBackOff()
    {
        var limiter = new ConcurrencyLimiter(new PaceOptions { InitialLimit = 20, FailureRatioThreshold = 0.5 }, new FakeTimeProvider());
        for (int i = 0; i < 400; i++)
        {
            limiter.OnSample(TimeSpan.FromMilliseconds(10), i % 5 == 0 ? PaceSample.Failure : PaceSample.Success);
        }

        Assert.That(limiter.Limit, Is.GreaterThan(20), "20% failures at steady latency: keep growing");
    }

    [Test]
    public void OnSample_FailureRatioAboveThreshold_BacksOff()
    {
        var limiter = new ConcurrencyLimiter(new PaceOptions { InitialLimit = 40, FailureRatioThreshold = 0.5 }, new FakeTimeProvider());
        Feed(limiter, 400, TimeSpan.FromMilliseconds(10), PaceSample.Failure);
        Assert.That(limiter.Limit, Is.LessThan(20));
    }

    [TestCase(8)]
    [TestCase(32)]
    [TestCase(100)]
    public void OnSample_BackEndWithFixedConcurrency_ConvergesNearIt(int capacity)
    {
        // A back-end with `capacity` workers and 20 ms service time: beyond its capacity, calls queue and latency
        // grows in proportion (Little's law), which is what the gradient reads.
        var time = new FakeTimeProvider();
        var limiter = new ConcurrencyLimiter(new PaceOptions { InitialLimit = 4, MaxLimit = 1000 }, time);
        var service = TimeSpan.FromMilliseconds(20);
        var limits = new List<int>();
        for (int i = 0; i < 40_000; i++)
        {
            int inFlight = limiter.Limit;
            double factor = Math.Max(1.0, inFlight / (double)capacity);
            limiter.OnSample(service * factor, PaceSample.Success);
            if (i > 30_000)
            {
                limits.Add(limiter.Limit);
            }
        }

        double average = limits.Average();
        Assert.That(average, Is.InRange(capacity * 1.0, (capacity * 1.3) + 6), "at or a little above the back-end's concurrency: busy, not overrun");
    }

    [Test]
    public void OnSample_LatencyJitterWithoutQueueing_DoesNotCollapse()
    {
        var limiter = new ConcurrencyLimiter(new PaceOptions { InitialLimit = 20, MaxLimit = 64 }, new FakeTimeProvider());
        var random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            limiter.OnSample(TimeSpan.FromMilliseconds(5 + (random.NextDouble() * 30)), PaceSample.Success);
        }

        Assert.That(limiter.Limit, Is.GreaterThanOrEqualTo(56), "latency that does not rise with load is no reason to back off");
    }

    private static void Feed(ConcurrencyLimiter limiter, int count, TimeSpan latency, PaceSample sample)
    {
        for (int i = 0; i < count; i++)
        {
            limiter.OnSample(latency, sample);
        }
    }
}
