using DuisPrioritiser.Classification;
using Microsoft.Extensions.Time.Testing;
using StormSimulator.Simulation;

namespace DuisPrioritiser.Tests.Simulation;

public class StormEngineTests
{
    private static ScenarioOptions Small(double failureRate = 0) => new()
    {
        BacklogCount = 3_000,
        Capacity = 200,
        NormalRate = 20,
        DurationSeconds = 40,
        LatencySeconds = 0.05,
        LatencyJitter = 0.3,
        FailureRate = failureRate,
        RetryDelaySeconds = 0.5,
        Seed = 7,
    };

    [TestCaseSource(typeof(PolicyNames), nameof(PolicyNames.All))]
    public void Run_SmallScenario_ReleasesAndHandlesEveryMessageExactlyOnce(string policy)
    {
        var options = Small(failureRate: 0.2);
        var trace = ArrivalTrace.Generate(options, SchedulerClassification.CreateChain());
        var time = new FakeTimeProvider(ArrivalTrace.Start);
        using var inner = StormSimulation.CreateQueue(policy, time, trace, options);
        var recorder = new RecordingQueue(inner, trace.Count);

        var run = StormEngine.Run(trace, options, time, recorder);

        Assert.Multiple(() =>
        {
            Assert.That(recorder.Released.Count(r => r != 1), Is.Zero, "every message released exactly once");
            Assert.That(recorder.Handled.Count(h => h != 1), Is.Zero, "every message handled (acknowledged) exactly once, after its retries");
            Assert.That(run.Releases, Is.EqualTo(trace.Count));
            Assert.That(run.Failures, Is.GreaterThan(0), "the failure profile is exercised");
            Assert.That(run.WaitTicks, Has.All.GreaterThanOrEqualTo(0));
            Assert.That(run.LevelMismatches, Is.Zero, "the scheduler classifies as the trace does");
        });
        if (inner is SchedulerQueue scheduler)
        {
            var snapshot = scheduler.Scheduler.GetSnapshot();
            Assert.That(snapshot.TotalCount, Is.Zero);
            Assert.That(snapshot.InFlight, Is.Zero, "every release was acknowledged");
        }
    }

    [Test]
    public void Run_SchedulerWaits_MatchTheSchedulersOwnVirtualTimeMeasurement()
    {
        var options = Small();
        var trace = ArrivalTrace.Generate(options, SchedulerClassification.CreateChain());
        var time = new FakeTimeProvider(ArrivalTrace.Start);
        using var queue = (SchedulerQueue)StormSimulation.CreateQueue(PolicyNames.Default, time, trace, options);
        var measured = new long[trace.Count];
        var probe = new RecordingQueue(queue, trace.Count, onRelease: index => measured[index] = queue.LastReleased.Wait.Ticks);

        var run = StormEngine.Run(trace, options, time, probe);

        Assert.That(run.WaitTicks, Is.EqualTo(measured), "the scheduler, reading the fake clock, measures the same waits as the engine");
        Assert.That(measured.Max(), Is.GreaterThan(TimeSpan.TicksPerSecond), "waits are virtual seconds, not wall-clock microseconds");
    }

    [Test]
    public void Run_StrictPriority_CriticalMatchesTheIdealWithinOneCall()
    {
        var options = Small();
        options.LatencyJitter = 0;
        var trace = ArrivalTrace.Generate(options, SchedulerClassification.CreateChain());
        var ideal = IdealSchedule.ComputeReleaseTicks(trace.ArrivalTicks, trace.Levels, PriorityLevels.Count, options.ServiceTicks);

        var run = StormSimulation.RunPolicy(PolicyNames.StrictPriority, trace, options);

        long call = options.ServiceTicks * options.Workers;
        for (int i = 0; i < trace.Count; i++)
        {
            if (trace.Levels[i] == (byte)PriorityLevel.Critical)
            {
                long idealWait = ideal[i] - trace.ArrivalTicks[i];
                Assert.That(run.WaitTicks[i], Is.InRange(idealWait, idealWait + call), $"Critical message {i}");
            }
        }
    }

    [Test]
    public void Run_Fifo_ReleasesInArrivalOrder()
    {
        var options = Small();
        var trace = ArrivalTrace.Generate(options, SchedulerClassification.CreateChain());
        var time = new FakeTimeProvider(ArrivalTrace.Start);
        var order = new List<int>();
        using var inner = new FifoQueue();
        var recorder = new RecordingQueue(inner, trace.Count, onRelease: order.Add);

        StormEngine.Run(trace, options, time, recorder);

        Assert.That(order, Is.Ordered);
    }

    [Test]
    public void Run_QueueReleasesTwice_Throws()
    {
        var options = Small();
        options.BacklogCount = 10;
        options.NormalRate = 0;
        var trace = ArrivalTrace.Generate(options, SchedulerClassification.CreateChain());
        using var queue = new DuplicatingQueue();

        Assert.That(() => StormEngine.Run(trace, options, new FakeTimeProvider(ArrivalTrace.Start), queue), Throws.InvalidOperationException.With.Message.Contains("twice"));
    }

    [Test]
    public void Run_QueueLosesAMessage_Throws()
    {
        var options = Small();
        options.BacklogCount = 10;
        options.NormalRate = 0;
        options.PollSeconds = 1;
        var trace = ArrivalTrace.Generate(options, SchedulerClassification.CreateChain());
        using var queue = new LosingQueue();

        Assert.That(() => StormEngine.Run(trace, options, new FakeTimeProvider(ArrivalTrace.Start), queue), Throws.InvalidOperationException.With.Message.Contains("lost"));
    }

    /// <summary>Counts releases and acknowledgements per message, independently of the engine's own checks.</summary>
    private sealed class RecordingQueue(ISimulatedQueue inner, int count, Action<int>? onRelease = null) : ISimulatedQueue
    {
        public int[] Released { get; } = new int[count];

        public int[] Handled { get; } = new int[count];

        public string Name => inner.Name;

        public string? Mode => inner.Mode;

        public void Enqueue(int index) => inner.Enqueue(index);

        public bool TryDequeue(out int index)
        {
            if (!inner.TryDequeue(out index))
            {
                return false;
            }

            Released[index]++;
            onRelease?.Invoke(index);
            return true;
        }

        public void OnHandled(int index)
        {
            Handled[index]++;
            inner.OnHandled(index);
        }

        public void Dispose()
        {
        }
    }

    private sealed class DuplicatingQueue : ISimulatedQueue
    {
        private readonly Queue<int> _queue = new();
        private int _last = -1;

        public string Name => "Duplicating";

        public string? Mode => null;

        public void Enqueue(int index) => _queue.Enqueue(index);

        public bool TryDequeue(out int index)
        {
            if (_last >= 0)
            {
                index = _last; // hands out the previous message again
                _last = -1;
                return true;
            }

            bool found = _queue.TryDequeue(out index);
            _last = found ? index : -1;
            return found;
        }

        public void OnHandled(int index)
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class LosingQueue : ISimulatedQueue
    {
        private readonly Queue<int> _queue = new();

        public string Name => "Losing";

        public string? Mode => null;

        public void Enqueue(int index)
        {
            if (index != 3)
            {
                _queue.Enqueue(index); // drops message 3
            }
        }

        public bool TryDequeue(out int index) => _queue.TryDequeue(out index);

        public void OnHandled(int index)
        {
        }

        public void Dispose()
        {
        }
    }
}
