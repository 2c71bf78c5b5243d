using DuisPrioritiser.Draining.Internal;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Draining;

public class TokenBucketTests
{
    [Test]
    public void TryAcquire_BurstThenRate_AllowsBurstThenOnePerInterval()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(10, 3, time.TimestampFrequency);
        long now = time.GetTimestamp();

        Assert.That(bucket.TryAcquire(now), Is.True);
        Assert.That(bucket.TryAcquire(now), Is.True);
        Assert.That(bucket.TryAcquire(now), Is.True);
        Assert.That(bucket.TryAcquire(now), Is.False, "the burst is 3");
        Assert.That(bucket.GetDelay(now), Is.EqualTo(time.TimestampFrequency / 10), "the next token is due one interval (100 ms) later");

        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.That(bucket.HasToken(time.GetTimestamp()), Is.False);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(bucket.TryAcquire(time.GetTimestamp()), Is.True);
        Assert.That(bucket.TryAcquire(time.GetTimestamp()), Is.False);
    }

    [Test]
    public void Consume_Overdrawn_CarriesDebtSoLongRunRateHolds()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(100, 1, time.TimestampFrequency);
        long now = time.GetTimestamp();
        bucket.Consume(now);
        bucket.Consume(now); // two racing consumers both took the only token

        Assert.That(bucket.HasToken(now + (time.TimestampFrequency / 100)), Is.False, "the debt delays the next token by one interval");
        Assert.That(bucket.HasToken(now + (2 * time.TimestampFrequency / 100)), Is.True);
    }

    [Test]
    public void TryAcquire_OneSecondAtRate50_ReleasesAbout50()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(50, 1, time.TimestampFrequency);
        int released = 0;
        for (int ms = 0; ms < 1000; ms++)
        {
            if (bucket.TryAcquire(time.GetTimestamp()))
            {
                released++;
            }

            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.That(released, Is.EqualTo(50));
    }
}
