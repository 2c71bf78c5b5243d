using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Release;

public class RecoveryModeTests
{
    private FakeTimeProvider _time = null!;

    [SetUp]
    public void SetUp() => _time = new FakeTimeProvider();

    [Test]
    public void TryEnqueue_BacklogReachesThreshold_EntersRecovery()
    {
        var scheduler = Create(o => { o.Recovery.EnterBacklog = 10; o.Recovery.ExitBacklog = 2; });
        for (int i = 0; i < 9; i++)
        {
            scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Bulk);
        }

        Assert.That(scheduler.Mode, Is.EqualTo(TrafficMode.Normal));
        scheduler.TryEnqueue(TestMessages.Tagged(9), PriorityLevel.Bulk);
        Assert.That(scheduler.Mode, Is.EqualTo(TrafficMode.Recovery));
        Assert.That(scheduler.GetSnapshot().Mode, Is.EqualTo(TrafficMode.Recovery));
    }

    [Test]
    public void Evaluate_BelowLowWatermark_LeavesOnlyAfterHoldTime()
    {
        var scheduler = Create(o => { o.Recovery.EnterBacklog = 10; o.Recovery.ExitBacklog = 2; o.Recovery.HoldTime = TimeSpan.FromMinutes(2); });
        for (int i = 0; i < 10; i++)
        {
            scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Bulk);
        }

        while (scheduler.Count > 2)
        {
            Assert.That(scheduler.TryDequeue(out _), Is.True);
        }

        Assert.That(scheduler.GetSnapshot().Mode, Is.EqualTo(TrafficMode.Recovery), "the hold time starts now");
        _time.Advance(TimeSpan.FromSeconds(119));
        Assert.That(scheduler.GetSnapshot().Mode, Is.EqualTo(TrafficMode.Recovery));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(scheduler.GetSnapshot().Mode, Is.EqualTo(TrafficMode.Normal));
    }

    [Test]
    public void Evaluate_BacklogRisesDuringHold_RestartsHold()
    {
        var scheduler = Create(o => { o.Recovery.EnterBacklog = 10; o.Recovery.ExitBacklog = 2; o.Recovery.HoldTime = TimeSpan.FromMinutes(1); });
        scheduler.EnterRecovery();
        Assert.That(scheduler.GetSnapshot().Mode, Is.EqualTo(TrafficMode.Recovery));
        _time.Advance(TimeSpan.FromSeconds(50));
        for (int i = 0; i < 5; i++)
        {
            scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Bulk);
        }

        Assert.That(scheduler.GetSnapshot().Mode, Is.EqualTo(TrafficMode.Recovery), "above the low watermark: the hold is reset");
        _time.Advance(TimeSpan.FromSeconds(30));
        while (scheduler.TryDequeue(out _))
        {
        }

        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.That(scheduler.GetSnapshot().Mode, Is.EqualTo(TrafficMode.Recovery));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(scheduler.GetSnapshot().Mode, Is.EqualTo(TrafficMode.Normal));
    }

    [Test]
    public void EnterRecovery_Requested_SwitchesAndExitRecoveryReturns()
    {
        var scheduler = Create(o => o.Recovery.AutoDetect = false);
        IRecoveryControl control = scheduler;
        control.EnterRecovery();
        Assert.That(control.Mode, Is.EqualTo(TrafficMode.Recovery));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.That(scheduler.GetSnapshot().Mode, Is.EqualTo(TrafficMode.Recovery), "without auto-detection only ExitRecovery leaves");
        control.ExitRecovery();
        Assert.That(control.Mode, Is.EqualTo(TrafficMode.Normal));
    }

    [Test]
    public void TryEnqueue_ArrivalRateAboveThreshold_EntersRecovery()
    {
        var scheduler = Create(o => { o.Recovery.EnterArrivalRate = 100; o.Recovery.ArrivalRateWindow = TimeSpan.FromSeconds(1); });
        for (int i = 0; i < 50; i++)
        {
            scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Bulk);
            _time.Advance(TimeSpan.FromMilliseconds(21));
        }

        Assert.That(scheduler.Mode, Is.EqualTo(TrafficMode.Normal), "about 48/s");
        for (int i = 0; i < 300; i++)
        {
            scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Bulk);
            _time.Advance(TimeSpan.FromMilliseconds(4));
        }

        Assert.That(scheduler.Mode, Is.EqualTo(TrafficMode.Recovery), "250/s");
    }

    [Test]
    public void ModeChange_RecoveryThrottle_AppliesToReleases()
    {
        var scheduler = Create(o => { o.Recovery.AutoDetect = false; o.Traffic.Bulk.Recovery.Rate = 1; });
        for (int i = 0; i < 10; i++)
        {
            scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Bulk);
        }

        Assert.That(scheduler.TryDequeue(out _), Is.True);
        Assert.That(scheduler.TryDequeue(out _), Is.True, "Normal: unthrottled");
        scheduler.EnterRecovery();
        Assert.That(scheduler.TryDequeue(out _), Is.True);
        Assert.That(scheduler.TryDequeue(out _), Is.False, "Recovery: 1 per second");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(scheduler.TryDequeue(out _), Is.True);
    }

    private ResponseReleaseScheduler Create(Action<ResponsePrioritisationOptions> configure)
    {
        var options = new ResponsePrioritisationOptions();
        configure(options);
        return new ResponseReleaseScheduler(options, timeProvider: _time);
    }
}
