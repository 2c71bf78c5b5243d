using System.Diagnostics;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release.Internal;
using DuisPrioritiser.Storage.Internal;

namespace DuisPrioritiser.Tests.Release;

/// <summary>
/// The hold that races a retune, made deterministic: <see cref="AlertCodeLanes.TryHold"/> looks its code's lane up,
/// then enqueues into it; a retune between the two may drop the lane (it held nothing when the new set was built).
/// These tests run the two halves with the retune in between, so the interleaving that once left a message where no
/// reader looks (readers spinning on a held count they could never release) happens every time.
/// </summary>
public class AlertCodeLanesRetuneRaceTests
{
    private const int Bulk = (int)PriorityLevel.Bulk;
    private static readonly DuisCode s_code = DuisCode.Parse("8F35");

    [Test]
    public void HoldIntoLaneDroppedByRetune_LaneIsReadoptedAndDrainsWithoutThrottle()
    {
        var lanes = AlertCodeLanes.Create(Throttled(rate: 0.001), Stopwatch.Frequency);
        object? lane = lanes.LaneOf(s_code);
        Assert.That(lane, Is.Not.Null);

        lanes.Retune(new TrafficOptions(), Stopwatch.Frequency); // the code is no longer limited: its empty lane goes
        Assert.That(lanes.IsEmpty, Is.True, "precondition: the retune dropped the empty lane");

        var entry = new QueuedEntry(TestMessages.Tagged(1), 42);
        lanes.HoldIn(lane!, Bulk, entry);

        Assert.Multiple(() =>
        {
            Assert.That(lanes.IsEmpty, Is.False, "the lane is back in the set readers look at");
            Assert.That(lanes.GetCount(Bulk), Is.EqualTo(1));
            Assert.That(lanes.DeferredCount, Is.EqualTo(1));
        });
        Assert.That(lanes.TryTakeDue(Bulk, TrafficMode.Normal, Stopwatch.GetTimestamp(), out var taken), Is.True, "no longer limited: due at once");
        Assert.That(taken, Is.EqualTo(entry));
        Assert.That(lanes.DeferredCount, Is.Zero);
    }

    [Test]
    public void HoldIntoLaneDroppedByRetuneThatReaddedTheCode_BothLanesDrainAndNewHoldsUseTheNewLane()
    {
        var lanes = AlertCodeLanes.Create(Throttled(rate: 1000), Stopwatch.Frequency);
        object? old = lanes.LaneOf(s_code);
        lanes.Retune(new TrafficOptions(), Stopwatch.Frequency);
        lanes.Retune(Throttled(rate: 1000), Stopwatch.Frequency); // a new, empty lane for the same code
        Assert.That(lanes.LaneOf(s_code), Is.Not.SameAs(old), "precondition: a new lane");

        lanes.HoldIn(old!, Bulk, new QueuedEntry(TestMessages.Tagged(1), 1));
        Assert.That(lanes.TryHold(Bulk, s_code, new QueuedEntry(TestMessages.Tagged(2), 2)), Is.True);
        Assert.That(lanes.LaneOf(s_code), Is.Not.SameAs(old), "new holds go to the new lane, the re-adopted one only drains");
        Assert.That(lanes.GetCount(Bulk), Is.EqualTo(2));

        // Both are released (each lane's bucket has tokens at rate 1000/s); none is left behind.
        var seen = new List<long>();
        long now = Stopwatch.GetTimestamp();
        for (int spin = 0; spin < 10_000 && seen.Count < 2; spin++)
        {
            if (lanes.TryTakeDue(Bulk, TrafficMode.Normal, now, out var entry))
            {
                seen.Add(entry.EnqueuedTimestamp);
            }

            now += Stopwatch.Frequency / 100;
        }

        Assert.That(seen, Is.EquivalentTo(new long[] { 1, 2 }));
        Assert.That(lanes.DeferredCount, Is.Zero);
    }

    private static TrafficOptions Throttled(double rate)
    {
        var options = new TrafficOptions();
        options.AlertCodes[s_code.ToString()] = new() { Normal = { Rate = rate } };
        return options;
    }
}
