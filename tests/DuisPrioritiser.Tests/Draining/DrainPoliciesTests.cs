using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Draining;

public class DrainPoliciesTests
{
    [Test]
    public void StrictPriority_SingleConsumer_NeverReleasesLowerWhileHigherHolds()
    {
        // Random interleaving of enqueues and releases against a model of what each level holds.
        var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions(), drainPolicy: DrainPolicies.StrictPriority());
        var model = new int[PriorityLevels.Count];
        var rng = new Random(42);
        int releases = 0;
        for (int step = 0; step < 200_000; step++)
        {
            if (rng.Next(3) != 0)
            {
                var level = (PriorityLevel)rng.Next(PriorityLevels.Count);
                Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(step), level), Is.True);
                model[(int)level]++;
            }
            else if (scheduler.TryDequeue(out var released))
            {
                int highestHeld = Array.FindIndex(model, c => c > 0);
                Assert.That((int)released.Level, Is.EqualTo(highestHeld), $"step {step}");
                model[(int)released.Level]--;
                releases++;
            }
            else
            {
                Assert.That(model.Sum(), Is.Zero);
            }
        }

        Assert.That(releases, Is.GreaterThan(50_000));
    }

    [Test]
    public void WeightedFair_AllLevelsBacklogged_SharesMatchWeightsWithin5Percent()
    {
        var weights = new PriorityLevelWeights { Critical = 10, High = 6, Normal = 3, Low = 2, Bulk = 1 };
        var scheduler = new ResponseReleaseScheduler(
            new ResponsePrioritisationOptions { Capacity = 1_000_000 },
            drainPolicy: DrainPolicies.WeightedFair(weights));
        const int Releases = 100_000;
        foreach (var level in PriorityLevels.All)
        {
            for (int i = 0; i < Releases; i++)
            {
                scheduler.TryEnqueue(TestMessages.Tagged(i), level);
            }
        }

        var released = new int[PriorityLevels.Count];
        for (int i = 0; i < Releases; i++)
        {
            Assert.That(scheduler.TryDequeue(out var message), Is.True);
            released[(int)message.Level]++;
        }

        double total = weights.Critical + weights.High + weights.Normal + weights.Low + weights.Bulk;
        foreach (var level in PriorityLevels.All)
        {
            double expected = Releases * weights.Get(level) / total;
            Assert.That(released[(int)level], Is.EqualTo(expected).Within(5).Percent, $"{level}");
        }
    }

    [Test]
    public void WeightedFair_EmptyLevelsDoNotTakeTurns_BacklogGetsAllReleases()
    {
        var policy = DrainPolicies.WeightedFair(new PriorityLevelWeights());
        var state = DrainState.Create([0, 0, 0, 0, 9]);
        for (int i = 0; i < 20; i++)
        {
            Assert.That(policy.TrySelectLevel(in state, out var level), Is.True);
            Assert.That(level, Is.EqualTo(PriorityLevel.Bulk));
            policy.OnReleased(level, in state);
        }
    }

    [Test]
    public void WeightedFair_LowestLevel_IsNeverStarved()
    {
        var policy = DrainPolicies.WeightedFair(new PriorityLevelWeights { Critical = 1000, Bulk = 1 });
        var state = DrainState.Create([1, 0, 0, 0, 1]);
        int bulk = 0;
        for (int i = 0; i < 5000; i++)
        {
            policy.TrySelectLevel(in state, out var level);
            policy.OnReleased(level, in state);
            bulk += level == PriorityLevel.Bulk ? 1 : 0;
        }

        Assert.That(bulk, Is.InRange(4, 6));
    }

    [Test]
    public void WeightedFair_CopiesWeights()
    {
        var weights = new PriorityLevelWeights { Critical = 1, Bulk = 1 };
        var policy = DrainPolicies.WeightedFair(weights);
        weights.Critical = 1000;
        var state = DrainState.Create([5, 0, 0, 0, 5]);
        var seen = new List<PriorityLevel>();
        for (int i = 0; i < 4; i++)
        {
            policy.TrySelectLevel(in state, out var level);
            policy.OnReleased(level, in state);
            seen.Add(level);
        }

        Assert.That(seen, Is.EqualTo(new[] { PriorityLevel.Critical, PriorityLevel.Bulk, PriorityLevel.Critical, PriorityLevel.Bulk }));
    }

    [Test]
    public void Create_FromOptions_SelectsPolicy()
    {
        Assert.That(DrainPolicies.Create(new DrainOptions()), Is.SameAs(DrainPolicies.StrictPriority()));
        Assert.That(DrainPolicies.Create(new DrainOptions { Policy = DrainPolicyKind.WeightedFair }), Is.Not.SameAs(DrainPolicies.StrictPriority()));
        Assert.Throws<ArgumentOutOfRangeException>(() => DrainPolicies.Create(new DrainOptions { Policy = (DrainPolicyKind)9 }));
        Assert.Throws<ArgumentNullException>(() => DrainPolicies.Create(null!));
        Assert.Throws<ArgumentNullException>(() => DrainPolicies.WeightedFair(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => DrainPolicies.WeightedFair(new PriorityLevelWeights { Low = 0 }));
    }

    [Test]
    public void PriorityLevelWeights_Get_ReturnsEachWeight()
    {
        var weights = new PriorityLevelWeights { Critical = 5, High = 4, Normal = 3, Low = 2, Bulk = 1 };
        Assert.That(PriorityLevels.All.Select(weights.Get), Is.EqualTo(new[] { 5, 4, 3, 2, 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => weights.Get((PriorityLevel)5));
    }

    [Test]
    public void DrainState_Create_ValidatesAndExposesValues()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var state = DrainState.Create([1, 0, 2, 0, 3], [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(9), TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromHours(1)], now);
        Assert.Multiple(() =>
        {
            Assert.That(state.TotalCount, Is.EqualTo(6));
            Assert.That(state.GetOccupancyMask(), Is.EqualTo(0b10101));
            Assert.That(state.GetOldestWait(PriorityLevel.Bulk), Is.EqualTo(TimeSpan.FromHours(1)));
            Assert.That(state.GetOldestWait(PriorityLevel.High), Is.EqualTo(TimeSpan.Zero), "an empty level has no wait");
            Assert.That(state.Now, Is.EqualTo(now));
            Assert.That(default(DrainState).GetCount(PriorityLevel.Critical), Is.Zero);
        });
        Assert.Throws<ArgumentException>(() => DrainState.Create([1, 2]));
        Assert.Throws<ArgumentException>(() => DrainState.Create([1, 2, 3, 4, 5], [TimeSpan.Zero]));
        Assert.Throws<ArgumentOutOfRangeException>(() => DrainState.Create([1, 2, 3, 4, -5]));
    }

    [Test]
    public void DrainState_FromScheduler_ReportsOldestWaitFromTheClock()
    {
        var clock = new FakeTimeProvider();
        var captured = new List<TimeSpan>();
        var policy = new Moq.Mock<IDrainPolicy>();
        var level = PriorityLevel.Bulk;
        policy.Setup(p => p.TrySelectLevel(in Moq.It.Ref<DrainState>.IsAny, out level))
            .Callback(new SelectCallback((in DrainState s, out PriorityLevel l) =>
            {
                captured.Add(s.GetOldestWait(PriorityLevel.Bulk));
                l = PriorityLevel.Bulk;
            }))
            .Returns(true);
        var scheduler = new ResponseReleaseScheduler(new ResponsePrioritisationOptions(), drainPolicy: policy.Object, timeProvider: clock);
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Bulk);
        clock.Advance(TimeSpan.FromMinutes(7));
        Assert.That(scheduler.TryDequeue(out var released), Is.True);
        Assert.That(captured, Is.EqualTo(new[] { TimeSpan.FromMinutes(7) }));
        Assert.That(released.Wait, Is.EqualTo(TimeSpan.FromMinutes(7)));
        policy.Verify(p => p.OnReleased(PriorityLevel.Bulk, in Moq.It.Ref<DrainState>.IsAny), Moq.Times.Once);
    }

    private delegate void SelectCallback(in DrainState state, out PriorityLevel level);
}

public class DrainPoliciesBoundedValidationTests
{
    [Test]
    public void Bounded_MinSharesOverLimit_ThrowsNamingTheRule()
    {
        var traffic = new DuisPrioritiser.Draining.TrafficOptions();
        traffic.Bulk.MinShare = 0.5;
        traffic.Low.MinShare = 0.5;
        var ex = Assert.Throws<ArgumentException>(() => DuisPrioritiser.Draining.DrainPolicies.Bounded(DuisPrioritiser.Draining.DrainPolicies.StrictPriority(), traffic));
        Assert.That(ex!.Message, Does.Contain("minimum shares"));
        Assert.Throws<ArgumentNullException>(() => DuisPrioritiser.Draining.DrainPolicies.Bounded(null!, traffic));
    }
}
