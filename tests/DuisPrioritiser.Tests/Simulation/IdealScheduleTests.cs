using StormSimulator.Simulation;

namespace DuisPrioritiser.Tests.Simulation;

public class IdealScheduleTests
{
    private const long Second = TimeSpan.TicksPerSecond;

    [Test]
    public void ComputeReleaseTicks_BacklogOfMixedLevels_ServesEachLevelAfterHigherOnesInArrivalOrder()
    {
        // Capacity 1 message/s. At t = 0: Bulk b0, Critical c0, Bulk b1; at 0.5 s Critical c1; at 4 s Normal n0.
        // By hand: c0 [0, 1), c1 arrives at 0.5 and queues behind c0: [1, 2). n0 finds the server free at 4: [4, 5).
        // Bulk fills the gaps in arrival order: b0 [2, 3), b1 [3, 4).
        long[] arrivals = [0, 0, 0, Second / 2, 4 * Second];
        byte[] levels = [4, 0, 4, 0, 2];

        var release = IdealSchedule.ComputeReleaseTicks(arrivals, levels, 5, Second);

        Assert.That(release, Is.EqualTo(new[] { 2 * Second, 0, 3 * Second, 1 * Second, 4 * Second }));
    }

    [Test]
    public void ComputeReleaseTicks_HigherLevelArrivesMidService_PreemptsAndLowerResumesAfter()
    {
        // Capacity 1/s. Bulk b0 and b1 at 0; Critical c0 at 0.5 s.
        // By hand: b0 starts at 0 and has served half when c0 pre-empts it: c0 [0.5, 1.5); b0 resumes [1.5, 2);
        // b1 starts at 2.
        long[] arrivals = [0, 0, Second / 2];
        byte[] levels = [4, 4, 0];

        var release = IdealSchedule.ComputeReleaseTicks(arrivals, levels, 5, Second);

        Assert.That(release, Is.EqualTo(new[] { 0, 2 * Second, Second / 2 }));
    }

    [Test]
    public void ComputeReleaseTicks_GapsInHigherLevel_LowerLevelUsesThemFifo()
    {
        // Capacity 2/s (0.5 s each). High h0 at 0, h1 at 2 s; Low l0, l1, l2 at 0.
        // By hand: h0 [0, 0.5), h1 [2, 2.5). Low: l0 [0.5, 1), l1 [1, 1.5), l2 [1.5, 2).
        // A fourth Low l3 at 1.9 s would start at 2.5 (after l2 ends at 2.0, h1 holds [2, 2.5)).
        long half = Second / 2;
        long[] arrivals = [0, 0, 0, 0, (19 * Second) / 10, 2 * Second];
        byte[] levels = [1, 3, 3, 3, 3, 1];

        var release = IdealSchedule.ComputeReleaseTicks(arrivals, levels, 5, half);

        Assert.That(release, Is.EqualTo(new[] { 0, half, 2 * half, 3 * half, 5 * half, 4 * half }));
    }

    [Test]
    public void ComputeReleaseTicks_SingleLevel_IsAFifoQueue()
    {
        long[] arrivals = [0, 0, 0, 10 * Second];
        byte[] levels = [2, 2, 2, 2];

        var release = IdealSchedule.ComputeReleaseTicks(arrivals, levels, 5, Second);

        Assert.That(release, Is.EqualTo(new[] { 0, Second, 2 * Second, 10 * Second }));
    }

    [Test]
    public void ComputeReleaseTicks_UnsortedArrivals_Throws()
    {
        Assert.That(() => IdealSchedule.ComputeReleaseTicks([Second, 0], [0, 0], 5, Second), Throws.ArgumentException);
    }

    [Test]
    public void ComputeReleaseTicks_LevelOutOfRange_Throws()
    {
        Assert.That(() => IdealSchedule.ComputeReleaseTicks([0], [5], 5, Second), Throws.ArgumentException);
    }
}
