using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Draining.Internal;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Draining;

public class BoundedDrainPolicyTests
{
    private FakeTimeProvider _time = null!;
    private StubSource _source = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider();
        _source = new StubSource();
    }

    [Test]
    public void TrySelectLevel_NoBoundReached_BehavesLikeInnerStrictPolicy()
    {
        var policy = Create(new TrafficOptions { Bulk = { MinShare = 0 } });
        _source.Counts = [0, 5, 0, 0, 100];

        Assert.That(Release(policy, 5), Is.All.EqualTo(PriorityLevel.High));
    }

    [Test]
    public void TrySelectLevel_BulkOverdue_ReleasesBulkAheadOfCriticalWithinOverdueShare()
    {
        var policy = Create(new TrafficOptions { OverdueShare = 0.5, Bulk = { MaxWait = TimeSpan.FromMinutes(60), MinShare = 0 } });
        _source.Counts = [1000, 0, 0, 0, 1000];
        _source.Waits[4] = TimeSpan.FromMinutes(61);

        var released = Release(policy, 100);

        Assert.That(released.Count(l => l == PriorityLevel.Bulk), Is.EqualTo(50), "overdue Bulk takes exactly its 50% cap");
        Assert.That(released.Count(l => l == PriorityLevel.Critical), Is.EqualTo(50), "new Critical work keeps the rest");
        Assert.That(released[0], Is.EqualTo(PriorityLevel.Bulk), "overdue work goes ahead of higher levels");
    }

    [Test]
    public void TryPeekLevel_ChoosesAsTrySelectLevel_WithoutSpendingTheOverdueCredit()
    {
        var policy = (BoundedDrainPolicy)Create(new TrafficOptions { OverdueShare = 0.5, Bulk = { MaxWait = TimeSpan.FromMinutes(60), MinShare = 0 } });
        _source.Counts = [1000, 0, 0, 0, 1000];
        _source.Waits[4] = TimeSpan.FromMinutes(61);

        // The coordinator peeks before every release when the backlog is shared; the peeks must leave the overdue
        // credit to the release itself, or overdue work would never be chosen.
        for (int i = 0; i < 10; i++)
        {
            Assert.That(policy.TryPeekLevel(State(), out var peeked), Is.True);
            Assert.That(peeked, Is.EqualTo(PriorityLevel.Bulk));
        }

        Assert.That(policy.TrySelectLevel(State(), out var chosen), Is.True);
        Assert.That(chosen, Is.EqualTo(PriorityLevel.Bulk), "the credit is still there for the release");
        Assert.That(policy.TryPeekLevel(State(), out var afterSpend), Is.True);
        Assert.That(afterSpend, Is.EqualTo(PriorityLevel.Critical), "once spent (and not earned back by a release), the peek sees strict priority, as the release would");
    }

    [Test]
    public void TrySelectLevel_OverdueShareTenPercent_CapsOverdueReleases()
    {
        var policy = Create(new TrafficOptions { OverdueShare = 0.1, Bulk = { MaxWait = TimeSpan.FromMinutes(1), MinShare = 0 } });
        _source.Counts = [1000, 0, 0, 0, 1000];
        _source.Waits[4] = TimeSpan.FromMinutes(5);

        var released = Release(policy, 1000);

        Assert.That(released.Count(l => l == PriorityLevel.Bulk), Is.InRange(99, 101));
    }

    [Test]
    public void TrySelectLevel_BoundReachedLater_DetectedWhenTimeGetsThere()
    {
        var policy = Create(new TrafficOptions { OverdueShare = 0.5, Bulk = { MaxWait = TimeSpan.FromMinutes(60), MinShare = 0 } });
        _source.Counts = [1000, 0, 0, 0, 1000];
        _source.Waits[4] = TimeSpan.FromMinutes(59);
        Assert.That(Release(policy, 4), Is.All.EqualTo(PriorityLevel.Critical));

        _time.Advance(TimeSpan.FromSeconds(61));
        _source.Waits[4] = TimeSpan.FromSeconds((59 * 60) + 61);

        Assert.That(Release(policy, 4), Does.Contain(PriorityLevel.Bulk), "the skipped checks resume once the smallest slack has passed");
    }

    [Test]
    public void TrySelectLevel_OnlyOverdueLevelOccupied_ReleasesItEveryTime()
    {
        var policy = Create(new TrafficOptions { OverdueShare = 0.1, Bulk = { MaxWait = TimeSpan.FromMinutes(1) } });
        _source.Counts = [0, 0, 0, 0, 1000];
        _source.Waits[4] = TimeSpan.FromMinutes(5);

        Assert.That(Release(policy, 50), Is.All.EqualTo(PriorityLevel.Bulk), "the cap never idles the back-end");
    }

    [Test]
    public void TrySelectLevel_WaitAtBound_IsNotOverdue()
    {
        var policy = Create(new TrafficOptions { Bulk = { MaxWait = TimeSpan.FromMinutes(60), MinShare = 0 } });
        _source.Counts = [10, 0, 0, 0, 10];
        _source.Waits[4] = TimeSpan.FromMinutes(60);

        Assert.That(Release(policy, 5), Is.All.EqualTo(PriorityLevel.Critical));
    }

    [Test]
    public void TrySelectLevel_SeveralOverdue_HighestOverdueLevelFirst()
    {
        var policy = Create(new TrafficOptions { OverdueShare = 1, Low = { MaxWait = TimeSpan.FromMinutes(1) }, Bulk = { MaxWait = TimeSpan.FromMinutes(1), MinShare = 0 } });
        _source.Counts = [10, 0, 0, 10, 10];
        _source.Waits[3] = TimeSpan.FromMinutes(2);
        _source.Waits[4] = TimeSpan.FromMinutes(2);

        Assert.That(Release(policy, 3), Is.All.EqualTo(PriorityLevel.Low));
    }

    [Test]
    public void TrySelectLevel_BulkMinShareFivePercent_BulkGetsOneInTwenty()
    {
        var policy = Create(new TrafficOptions { Bulk = { MinShare = 0.05, MaxWait = null } });
        _source.Counts = [100_000, 0, 0, 0, 100_000];

        var released = Release(policy, 2000);

        Assert.That(released.Count(l => l == PriorityLevel.Bulk), Is.InRange(99, 100), "5% of 2000");
        int firstBulk = released.IndexOf(PriorityLevel.Bulk);
        Assert.That(firstBulk, Is.EqualTo(20), "Bulk earns 5% per release and is released once it is owed a whole one");
    }

    [TestCase(false, 100)]
    [TestCase(true, 200)]
    public void MinShare_WithReleasesElsewhere_CountsEveryInstancesReleases(bool shared, int expectedBulk)
    {
        // Bulk sits in this instance's claimed batch (the other instance sees it empty and releases only Critical,
        // 32 at a time as it claims them): the 10% share is of both instances' releases only when they are counted.
        var policy = Create(new TrafficOptions { Bulk = { MinShare = 0.1, MaxWait = null } });
        _source.Counts = [100_000, 0, 0, 0, 100_000];
        _source.SharesReleases = shared;
        var released = new List<PriorityLevel>();
        for (int batch = 0; batch < 1000 / 32; batch++)
        {
            _source.ReleasedElsewhere[0] += 32;
            released.AddRange(Release(policy, 32));
        }

        int local = released.Count;
        int bulk = released.Count(l => l == PriorityLevel.Bulk);
        Assert.That(bulk, Is.InRange(expectedBulk * 9 / 10, expectedBulk * 11 / 10), $"10% of {(shared ? 2 * local : local)} releases");
        if (shared)
        {
            var gaps = released.Select((l, i) => (l, i)).Where(x => x.l == PriorityLevel.Bulk).Select(x => x.i).Zip(released.Select((l, i) => (l, i)).Where(x => x.l == PriorityLevel.Bulk).Select(x => x.i).Skip(1), (a, b) => b - a);
            Assert.That(gaps, Is.All.GreaterThanOrEqualTo(2), "shares earned elsewhere are paid at most every other release, never in a burst");
        }
    }

    [Test]
    public void MinShare_FirstLookAtReleasesElsewhere_SetsTheMarkWithoutAccounting()
    {
        var policy = Create(new TrafficOptions { Bulk = { MinShare = 0.1, MaxWait = null } });
        _source.Counts = [100_000, 0, 0, 0, 100_000];
        _source.SharesReleases = true;
        _source.ReleasedElsewhere[0] = 1_000_000; // what others released before this instance started

        var released = Release(policy, 9);

        Assert.That(released, Is.All.EqualTo(PriorityLevel.Critical), "history before the first look earns nothing");
    }

    [Test]
    public void MinShare_ReleasesElsewhereOfTheLevel_PayItsShare()
    {
        var policy = Create(new TrafficOptions { Bulk = { MinShare = 0.1, MaxWait = null } });
        _source.Counts = [100_000, 0, 0, 0, 100_000];
        _source.SharesReleases = true;
        Release(policy, 1); // first look
        var released = new List<PriorityLevel>();
        for (int i = 0; i < 100; i++)
        {
            // The other instance releases Bulk and Critical in the 1:9 the share asks for: nothing is owed here.
            _source.ReleasedElsewhere[4] += 1;
            _source.ReleasedElsewhere[0] += 9;
            released.AddRange(Release(policy, 10));
        }

        Assert.That(released.Count(l => l == PriorityLevel.Bulk), Is.InRange(95, 105), "10% of all releases, counting the other's Bulk");
    }

    [Test]
    public void TrySelectLevel_MinShareLevelNotBacklogged_EarnsNoCredit()
    {
        var policy = Create(new TrafficOptions { Bulk = { MinShare = 0.05, MaxWait = null } });
        _source.Counts = [100_000, 0, 0, 0, 0];
        Release(policy, 1000);
        _source.Counts[4] = 100;

        var released = Release(policy, 19);

        Assert.That(released, Is.All.EqualTo(PriorityLevel.Critical), "an idle level does not bank a burst");
    }

    [Test]
    public void TrySelectLevel_LevelThrottled_SkipsItAndReleasesLowerLevel()
    {
        var options = new TrafficOptions { Bulk = { MinShare = 0, MaxWait = null } };
        options.Critical.Normal.Rate = 10;
        var policy = Create(options);
        _source.Counts = [100, 0, 0, 0, 100];

        var released = Release(policy, 5);

        Assert.That(released, Is.EqualTo(new[] { PriorityLevel.Critical, PriorityLevel.Bulk, PriorityLevel.Bulk, PriorityLevel.Bulk, PriorityLevel.Bulk }));
    }

    [Test]
    public void TrySelectLevel_AllOccupiedThrottled_ReturnsFalseAndReportsDelay()
    {
        var options = new TrafficOptions();
        options.Bulk.Normal.Rate = 4;
        var policy = (IThrottledDrainPolicy)Create(options);
        _source.Counts = [0, 0, 0, 0, 100];
        Assert.That(Release(policy, 1), Has.Count.EqualTo(1));

        var state = State();
        Assert.That(policy.TrySelectLevel(in state, out _), Is.False);
        Assert.That(policy.GetReleaseDelay(in state), Is.EqualTo(_time.TimestampFrequency / 4));

        _time.Advance(TimeSpan.FromMilliseconds(250));
        state = State();
        Assert.That(policy.GetReleaseDelay(in state), Is.Zero);
        Assert.That(policy.TrySelectLevel(in state, out var level), Is.True);
        Assert.That(level, Is.EqualTo(PriorityLevel.Bulk));
    }

    [Test]
    public void TrySelectLevel_ThrottlePerMode_AppliesOnlyInRecovery()
    {
        var options = new TrafficOptions();
        options.Bulk.Recovery.Rate = 1;
        var policy = Create(options);
        _source.Counts = [0, 0, 0, 0, 100];

        Assert.That(Release(policy, 10), Has.Count.EqualTo(10), "Normal mode: unthrottled");
        _source.Mode = TrafficMode.Recovery;
        Assert.That(Release(policy, 10), Has.Count.EqualTo(1), "Recovery mode: one per second");
    }

    [Test]
    public void GetReleaseDelay_NothingOccupied_IsMaxValue()
    {
        var policy = (IThrottledDrainPolicy)Create(new TrafficOptions());
        var state = State();
        Assert.That(policy.GetReleaseDelay(in state), Is.EqualTo(long.MaxValue));
    }

    [Test]
    public void TrySelectLevel_WeightedFairInner_OverdueAndThrottleStillApply()
    {
        var inner = DrainPolicies.WeightedFair(new PriorityLevelWeights());
        var policy = DrainPolicies.Bounded(inner, new TrafficOptions { OverdueShare = 0.25, Bulk = { MaxWait = TimeSpan.FromSeconds(1), MinShare = 0 } }, _time);
        _source.Counts = [10_000, 10_000, 0, 0, 10_000];

        var before = Release(policy, 490);
        Assert.That(before.Count(l => l == PriorityLevel.Bulk), Is.InRange(8, 12), "weights 32:16:1 give Bulk 1/49");

        _source.Waits[4] = TimeSpan.FromSeconds(2);
        _time.Advance(TimeSpan.FromSeconds(2)); // waits grow with time, as they do in a scheduler
        var after = Release(policy, 400);
        Assert.That(after.Count(l => l == PriorityLevel.Bulk), Is.InRange(100, 108), "overdue Bulk takes its 25% cap on top of its weighted turns");
    }

    [Test]
    public void Constructor_InvalidShare_Throws()
    {
        Assert.That(() => Create(new TrafficOptions { OverdueShare = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Create(new TrafficOptions { Bulk = { MinShare = 0.9 } }), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    private IDrainPolicy Create(TrafficOptions options) => DrainPolicies.Bounded(DrainPolicies.StrictPriority(), options, _time);

    private DrainState State() => new(_source, _time.GetTimestamp(), _time);

    private List<PriorityLevel> Release(IDrainPolicy policy, int count)
    {
        var released = new List<PriorityLevel>();
        for (int i = 0; i < count; i++)
        {
            var state = State();
            if (!policy.TrySelectLevel(in state, out var level))
            {
                break;
            }

            Assert.That(_source.Counts[(int)level], Is.GreaterThan(0), "never chooses an empty level");
            released.Add(level);
            _source.Counts[(int)level]--;
            policy.OnReleased(level, in state);
        }

        return released;
    }

    internal sealed class StubSource : IDrainStateSource
    {
        public long[] Counts { get; set; } = new long[PriorityLevels.Count];

        public TimeSpan[] Waits { get; } = new TimeSpan[PriorityLevels.Count];

        public TrafficMode Mode { get; set; }

        public long GetCount(int level) => Counts[level];

        public int GetOccupancyMask()
        {
            int mask = 0;
            for (int i = 0; i < Counts.Length; i++)
            {
                mask |= Counts[i] > 0 ? 1 << i : 0;
            }

            return mask;
        }

        public TimeSpan GetOldestWait(int level, long timestamp) => Counts[level] == 0 ? TimeSpan.Zero : Waits[level];

        public long[] ReleasedElsewhere { get; } = new long[PriorityLevels.Count];

        public bool SharesReleases { get; set; }

        public long GetReleasedElsewhere(int level) => ReleasedElsewhere[level];
    }
}
