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

    [Test]
    public void TrySuppress_SameIdOtherPayloadName_SharesTheTagButIsNeverSuppressed()
    {
        // The payload name is not hashed: these keys land in one bucket with one tag, and only the full comparison
        // tells them apart. A match on the tag alone would drop a distinct message.
        var window = new DuplicateWindow(new DeduplicationOptions(), new FakeTimeProvider());
        var first = new DeduplicationKey("id-1", true, DuisCode.Parse("I0"), DuisMessageKind.DccAlert, DuisCode.Parse("N24"), default, "PayloadA");
        var second = first with { PayloadName = "PayloadB" };
        Assert.That(window.Hash(in second), Is.EqualTo(window.Hash(in first)));

        window.Add(first);
        Assert.That(window.TrySuppress(second), Is.False);
        Assert.That(window.TrySuppress(first with { PayloadName = null }), Is.False);
        Assert.That(window.TrySuppress(first), Is.True);
        Assert.That(window.SuppressedCount, Is.EqualTo(1));
    }

    [Test]
    public void TrySuppress_SameIdAnyOtherFieldDifferent_IsNeverSuppressed()
    {
        var window = new DuplicateWindow(new DeduplicationOptions(), new FakeTimeProvider());
        var key = new DeduplicationKey("id-1", true, DuisCode.Parse("I0"), DuisMessageKind.Response, DuisCode.None, ServiceReferenceVariant.Parse("4.1.1"));
        window.Add(key);
        DeduplicationKey[] others =
        [
            key with { IsResponseId = false },
            key with { ResponseCode = DuisCode.Parse("E3") },
            key with { Kind = DuisMessageKind.Smets1Response },
            key with { AlertCode = DuisCode.Parse("8F1C") },
            key with { Srv = ServiceReferenceVariant.Parse("4.1.2") },
            key with { Id = "id-1 " },
            key with { Id = "ID-1" },
        ];

        Assert.That(others.Select(other => window.TrySuppress(other)), Is.All.False);
        Assert.That(window.TrySuppress(key with { Id = string.Concat("id-", "1") }), Is.True, "An equal id in another string instance is the same key.");
    }

    [Test]
    public void Hash_DependsOnTheSeed_SoCollisionsDoNotCarryAcrossWindows()
    {
        var keys = Enumerable.Range(0, 64).Select(i => Key(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        var a = new DuplicateWindow(new DeduplicationOptions(), new FakeTimeProvider());
        var b = new DuplicateWindow(new DeduplicationOptions(), new FakeTimeProvider());
        Assert.That(keys.Select(k => a.Hash(in k)), Is.Not.EqualTo(keys.Select(k => b.Hash(in k))));
        Assert.That(keys.Select(k => a.Hash(in k)).Distinct().Count(), Is.EqualTo(keys.Length));
    }

    [Test]
    public void Add_FullBuckets_CountsLiveEvictionsButNotExpiredOnes()
    {
        var clock = new FakeTimeProvider();
        var window = new DuplicateWindow(new DeduplicationOptions { MaxCount = 16, MaxAge = TimeSpan.FromMinutes(1) }, clock);
        Assert.That(window.SlotCount, Is.EqualTo(16));
        for (int i = 0; i < 16; i++)
        {
            window.Add(Key("first" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.That(window.EvictedLiveCount, Is.EqualTo(16 - window.Count), "Sixteen keys in sixteen slots: only an uneven spread between the two buckets evicts.");
        for (int i = 0; i < 100; i++)
        {
            window.Add(Key("second" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        // 116 live keys through 16 slots: at least 100 were forgotten while live, and each is counted.
        Assert.That(window.EvictedLiveCount, Is.EqualTo(116 - window.Count));

        clock.Advance(TimeSpan.FromMinutes(2));
        long beforeExpired = window.EvictedLiveCount;
        window.Add(Key("third"));
        Assert.That(window.EvictedLiveCount, Is.EqualTo(beforeExpired), "Replacing an expired key forgets nothing live.");
        Assert.That(window.Count, Is.EqualTo(1));
    }

    [Test]
    [Category("Stress")]
    public void SharedKeys_FourThreadsRacing_NeverSuppressAnUnaddedKeyAndSuppressEveryAddedOne()
    {
        // Four threads take turns through rounds: each round, every thread adds its own fresh keys and looks up the
        // other threads' keys of the previous round (added before the barrier, so they must be found) and of the next
        // round (not added by anyone yet, so they must not be).
        const int Threads = 4;
        const int Rounds = 200;
        const int PerRound = 50;
        var window = new DuplicateWindow(new DeduplicationOptions { MaxCount = 1_000_000 }, TimeProvider.System);
        var keys = new DeduplicationKey[Rounds + 1, Threads, PerRound];
        for (int r = 0; r <= Rounds; r++)
        {
            for (int t = 0; t < Threads; t++)
            {
                for (int i = 0; i < PerRound; i++)
                {
                    keys[r, t, i] = Key($"{r}:{t}:{i}");
                }
            }
        }

        int falsePositives = 0;
        int misses = 0;
        using var barrier = new Barrier(Threads);
        var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                for (int r = 0; r < Rounds; r++)
                {
                    for (int i = 0; i < PerRound; i++)
                    {
                        window.Add(keys[r, t, i]);
                        int other = (t + 1 + (i % (Threads - 1))) % Threads;
                        if (r > 0 && !window.TrySuppress(keys[r - 1, other, i]))
                        {
                            Interlocked.Increment(ref misses);
                        }

                        if (window.TrySuppress(keys[r + 1, other, i]))
                        {
                            Interlocked.Increment(ref falsePositives);
                        }
                    }

                    barrier.SignalAndWait();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        Assert.That(Task.WaitAll(workers, TimeSpan.FromSeconds(60)), Is.True);

        Assert.That(falsePositives, Is.Zero, "A key nobody added was reported as seen: a distinct message would be dropped.");
        Assert.That(misses, Is.Zero, "A key added before the barrier was not found (40,000 keys cannot overflow a bucket of a 1,000,000-key window).");
        Assert.That(window.SuppressedCount, Is.EqualTo((Rounds - 1) * Threads * PerRound));
    }

    [Test]
    public void RingLength_IsTheSlotCountRoundedUpToAPowerOfTwo()
    {
        Assert.That(new DuplicateWindow(new DeduplicationOptions(), new FakeTimeProvider()).RingLength, Is.EqualTo(131_072));
        Assert.That(new DuplicateWindow(new DeduplicationOptions { MaxCount = 1_000 }, new FakeTimeProvider()).RingLength, Is.EqualTo(1_024));
        Assert.That(new DuplicateWindow(new DeduplicationOptions { MaxCount = 16 }, new FakeTimeProvider()).RingLength, Is.EqualTo(256), "At least one page of recorded times.");
    }

    [Test]
    public void Add_ARingLapLater_TheOldKeyIsForgottenAndTheNewestAreRemembered()
    {
        // 1,024 slots and a ring of 1,024: after 1,024 newer keys the first one's entry holds another key, whatever its slot says.
        var window = new DuplicateWindow(new DeduplicationOptions { MaxCount = 1_024 }, new FakeTimeProvider());
        window.Add(Key("first"));
        for (int i = 0; i < window.RingLength; i++)
        {
            window.Add(Key(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.That(window.TrySuppress(Key("first")), Is.False);
        Assert.That(window.TrySuppress(Key((window.RingLength - 1).ToString(System.Globalization.CultureInfo.InvariantCulture))), Is.True);
        Assert.That(window.Count, Is.LessThanOrEqualTo(window.SlotCount));
    }

    [Test]
    [Category("Stress")]
    public void SmallRingLappedThousandsOfTimes_FourThreads_NeverSuppressAnUnaddedKey()
    {
        // A 256-entry ring shared by four writers laps about 800 times: stale slots, lapped entries and entries being
        // rewritten while read are all common here. None may make a key nobody added look seen.
        var window = new DuplicateWindow(new DeduplicationOptions { MaxCount = 64 }, TimeProvider.System);
        int falsePositives = 0;
        long found = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            for (int i = 0; i < 50_000; i++)
            {
                var key = Key($"{worker}:{i}");
                if (window.TrySuppress(Key($"never:{worker}:{i}")) || window.TrySuppress(Key($"{worker}:{i + 1}")))
                {
                    Interlocked.Increment(ref falsePositives);
                }

                window.Add(key);
                if (window.TrySuppress(key))
                {
                    Interlocked.Increment(ref found);
                }
            }
        });

        Assert.That(falsePositives, Is.Zero, "A key nobody added was reported as seen: a distinct message would be dropped.");
        Assert.That(window.SuppressedCount, Is.EqualTo(found));
        Assert.That(found, Is.GreaterThan(100_000), "Most keys are found right after their add even in a small ring.");
    }
}
