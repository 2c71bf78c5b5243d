using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;

namespace DuisPrioritiser.Tests.Draining;

/// <summary>What every drain policy must do, whatever its strategy.</summary>
public abstract class DrainPolicyContractTests
{
    protected abstract IDrainPolicy Create();

    [Test]
    public void TrySelectLevel_AllEmpty_ReturnsFalse()
    {
        var state = DrainState.Create([0, 0, 0, 0, 0]);
        Assert.That(Create().TrySelectLevel(in state, out _), Is.False);
    }

    [Test]
    public void TrySelectLevel_OnlyOneLevelOccupied_SelectsIt([Values] PriorityLevel occupied)
    {
        var counts = new long[5];
        counts[(int)occupied] = 3;
        var state = DrainState.Create(counts);
        var policy = Create();
        for (int i = 0; i < 50; i++)
        {
            Assert.That(policy.TrySelectLevel(in state, out var level), Is.True);
            Assert.That(level, Is.EqualTo(occupied));
            policy.OnReleased(level, in state);
        }
    }

    [Test]
    public void TrySelectLevel_NeverSelectsAnEmptyLevel()
    {
        var policy = Create();
        var rng = new Random(3);
        for (int i = 0; i < 10_000; i++)
        {
            var counts = Enumerable.Range(0, 5).Select(_ => (long)(rng.Next(3) == 0 ? rng.Next(1, 10) : 0)).ToArray();
            var state = DrainState.Create(counts);
            if (policy.TrySelectLevel(in state, out var level))
            {
                Assert.That(counts[(int)level], Is.GreaterThan(0));
                policy.OnReleased(level, in state);
            }
            else
            {
                Assert.That(counts.Sum(), Is.Zero);
            }
        }
    }
}

[TestFixture]
public sealed class StrictPriorityContractTests : DrainPolicyContractTests
{
    protected override IDrainPolicy Create() => DrainPolicies.StrictPriority();
}

[TestFixture]
public sealed class WeightedFairContractTests : DrainPolicyContractTests
{
    protected override IDrainPolicy Create() => DrainPolicies.WeightedFair(new PriorityLevelWeights());
}
