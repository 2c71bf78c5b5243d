using DuisPrioritiser.Deduplication;
using DuisPrioritiser.Deduplication.Internal;
using DuisPrioritiser.Duis;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Deduplication;

public class DuplicateWindowTests
{
    private static DeduplicationKey Key(string id) => new(id, true, DuisCode.Parse("I0"), DuisMessageKind.Response, DuisCode.None);

    [Test]
    public void TrySuppress_AfterAdd_ReturnsTrueAndCounts()
    {
        var window = new DuplicateWindow(new DeduplicationOptions(), new FakeTimeProvider());
        Assert.That(window.TrySuppress(Key("a")), Is.False);
        window.Add(Key("a"));
        Assert.That(window.TrySuppress(Key("a")), Is.True);
        Assert.That(window.TrySuppress(Key("b")), Is.False);
        Assert.That(window.SuppressedCount, Is.EqualTo(1));
    }

    [Test]
    public void TrySuppress_AfterMaxAge_ReturnsFalse()
    {
        var clock = new FakeTimeProvider();
        var window = new DuplicateWindow(new DeduplicationOptions { MaxAge = TimeSpan.FromMinutes(5) }, clock);
        window.Add(Key("a"));
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.That(window.TrySuppress(Key("a")), Is.True);
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.That(window.TrySuppress(Key("a")), Is.False);
    }

    [Test]
    public void Add_BeyondMaxCount_ForgetsOldestAndStaysBounded()
    {
        var window = new DuplicateWindow(new DeduplicationOptions { MaxCount = 160 }, new FakeTimeProvider());
        for (int i = 0; i < 10_000; i++)
        {
            window.Add(Key(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.That(window.Count, Is.LessThanOrEqualTo(160));
        Assert.That(window.TrySuppress(Key("9999")), Is.True);
        Assert.That(window.TrySuppress(Key("0")), Is.False);
    }

    [Test]
    public void Add_ExpiredKeys_AreEvictedOnLaterAdds()
    {
        var clock = new FakeTimeProvider();
        var window = new DuplicateWindow(new DeduplicationOptions { MaxAge = TimeSpan.FromSeconds(1) }, clock);
        for (int i = 0; i < 1000; i++)
        {
            window.Add(Key(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        for (int i = 0; i < 1000; i++)
        {
            window.Add(Key("new" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        // Each shard evicts lazily on its own adds; 1000 adds reach every shard.
        Assert.That(window.Count, Is.EqualTo(1000));
        Assert.That(window.TrySuppress(Key("5")), Is.False);
    }

    [Test]
    [Category("Stress")]
    public void AddAndTrySuppress_Concurrently_NeverSuppressesAnUnseenKey()
    {
        var window = new DuplicateWindow(new DeduplicationOptions { MaxCount = 1_000_000 }, TimeProvider.System);
        int falseSuppressions = 0;
        Parallel.For(0, 4, worker =>
        {
            for (int i = 0; i < 50_000; i++)
            {
                var key = Key($"{worker}:{i}");
                if (window.TrySuppress(key))
                {
                    Interlocked.Increment(ref falseSuppressions);
                }

                window.Add(key);
                if (!window.TrySuppress(key))
                {
                    Interlocked.Increment(ref falseSuppressions);
                }
            }
        });

        Assert.That(falseSuppressions, Is.Zero);
        Assert.That(window.SuppressedCount, Is.EqualTo(200_000));
    }
}
