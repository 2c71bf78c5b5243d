using StormSimulator.ScaleOut;
using StormSimulator.Simulation;

namespace DuisPrioritiser.Tests.Simulation;

public class ScaledTimeProviderTests
{
    [Test]
    public void BeforeStart_TimeStandsAtTheOrigin()
    {
        var clock = new ScaledTimeProvider(ArrivalTrace.Start, speed: 1000);

        Assert.Multiple(() =>
        {
            Assert.That(clock.SimulatedTicks, Is.Zero);
            Assert.That(clock.GetUtcNow(), Is.EqualTo(ArrivalTrace.Start));
        });
    }

    [Test]
    public async Task Started_RunsFasterThanTheWallClock_AndNeverPastItsLimit()
    {
        var clock = new ScaledTimeProvider(ArrivalTrace.Start, speed: 1000);
        long limit = TimeSpan.TicksPerSecond * 5;
        clock.Limit = () => limit;
        clock.Start();
        await Task.Delay(50); // 50 simulated seconds at this speed, held at 5
        long held = clock.SimulatedTicks;
        var lifted = System.Diagnostics.Stopwatch.StartNew();
        limit = long.MaxValue;
        await Task.Delay(20);
        long after = clock.SimulatedTicks;
        long mostSinceLifted = (long)((lifted.Elapsed.Ticks + TimeSpan.TicksPerMillisecond) * 1000.0); // 1 ms of slack: the two clock reads are not one instant

        Assert.Multiple(() =>
        {
            Assert.That(held, Is.EqualTo(TimeSpan.TicksPerSecond * 5), "held at the limit");
            Assert.That(after, Is.GreaterThan(held + TimeSpan.TicksPerSecond), "runs on from the limit, at speed");
            Assert.That(after - held, Is.LessThanOrEqualTo(mostSinceLifted), "without jumping by the time it was held");
            Assert.That(clock.HeldBack, Is.GreaterThan(TimeSpan.Zero));
        });
    }

    [Test]
    public async Task DelayUntil_WaitsForSimulatedTime()
    {
        var clock = new ScaledTimeProvider(ArrivalTrace.Start, speed: 100);
        clock.Start();

        await clock.DelayUntilAsync(TimeSpan.TicksPerSecond * 2, CancellationToken.None); // 20 ms of wall-clock time

        Assert.That(clock.SimulatedTicks, Is.GreaterThanOrEqualTo(TimeSpan.TicksPerSecond * 2));
    }
}
