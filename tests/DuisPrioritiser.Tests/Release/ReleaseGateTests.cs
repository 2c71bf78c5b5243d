using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DuisPrioritiser.Tests.Release;

public class ReleaseGateTests
{
    [Test]
    public void WaitUntilOpenAsync_Open_CompletesSynchronously()
    {
        var gate = new ReleaseGate();

        Assert.That(gate.IsPaused, Is.False);
        Assert.That(IsCompletedSynchronously(gate.WaitUntilOpenAsync(CancellationToken.None)), Is.True);
    }

    private static bool IsCompletedSynchronously(ValueTask wait) => wait.IsCompletedSuccessfully;

    [Test]
    public async Task WaitUntilOpenAsync_Paused_CompletesOnResume()
    {
        var gate = new ReleaseGate();
        gate.Pause();
        gate.Pause();
        var wait = gate.WaitUntilOpenAsync(CancellationToken.None).AsTask();
        await Task.Delay(20);

        Assert.That(wait.IsCompleted, Is.False);
        gate.Resume();
        gate.Resume();
        await wait.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(gate.IsPaused, Is.False);
    }

    [Test]
    public void WaitUntilOpenAsync_PausedAndCancelled_Throws()
    {
        var gate = new ReleaseGate();
        gate.Pause();
        using var cancel = new CancellationTokenSource();
        var wait = gate.WaitUntilOpenAsync(cancel.Token).AsTask();
        cancel.Cancel();

        Assert.That(async () => await wait, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    [Category("Stress")]
    public async Task PauseResume_ConcurrentWithWaiters_NoWaiterLeftBehind()
    {
        var gate = new ReleaseGate();
        // The waiters stop only when the test says so: a time-based stop could fire before the toggler has
        // finished on a loaded machine, and a stopped waiter cannot prove anything about the last resume.
        using var stop = new CancellationTokenSource();
        var passed = new long[4];
        var waiters = Enumerable.Range(0, passed.Length).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await gate.WaitUntilOpenAsync(stop.Token);
                    Interlocked.Increment(ref passed[w]);
                    await Task.Yield();
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        })).ToArray();
        var toggler = Task.Run(() =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                gate.Pause();
                gate.Resume();
            }
        });
        await toggler.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(gate.IsPaused, Is.False);
        var before = passed.Select(p => Interlocked.Read(ref p)).ToArray();

        // After the last resume the gate is open, so a waiter left parked would be a lost wake-up: every
        // waiter's own count must keep growing. Bounded wait, not a fixed sleep.
        bool AllMoved() => Enumerable.Range(0, passed.Length).All(w => Interlocked.Read(ref passed[w]) > before[w]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!AllMoved() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.That(AllMoved(), Is.True, "after the last resume every waiter gets through");
        await stop.CancelAsync();
        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task ReleaseLoop_Paused_TakesNothingNewUntilResumedAndLosesNothing()
    {
        var time = new FakeTimeProvider();
        var options = new ResponsePrioritisationOptions();
        var scheduler = new ResponseReleaseScheduler(options, timeProvider: time);
        var gate = new ReleaseGate();
        int handled = 0;
        var service = new ResponseReleaseService(
            scheduler,
            new DelegateResponseHandler((_, _) => { Interlocked.Increment(ref handled); return ValueTask.CompletedTask; }),
            new Moq.Mock<IDeadLetterSink>(Moq.MockBehavior.Strict).Object,
            Options.Create(options),
            time,
            gate: gate);
        await service.StartAsync(CancellationToken.None);
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.Normal);
        await ResponseReleaseServiceTests.WaitUntilAsync(() => Volatile.Read(ref handled) == 1);

        gate.Pause();
        for (int i = 2; i <= 10; i++)
        {
            Assert.That(scheduler.TryEnqueue(TestMessages.Tagged(i), PriorityLevel.Normal), Is.True, "intake goes on while paused");
        }

        await Task.Delay(100);
        Assert.That(Volatile.Read(ref handled), Is.EqualTo(1), "nothing released while paused");
        Assert.That(scheduler.GetSnapshot().TotalCount, Is.EqualTo(9));

        gate.Resume();
        await ResponseReleaseServiceTests.WaitUntilAsync(() => Volatile.Read(ref handled) == 10);
        await service.StopAsync(CancellationToken.None);
        Assert.That(scheduler.GetSnapshot().TotalCount, Is.Zero);
    }

    [Test]
    public async Task ReleaseLoop_StoppedWhilePaused_StopsAndDeadLettersBacklogAsUsual()
    {
        var options = new ResponsePrioritisationOptions();
        var scheduler = new ResponseReleaseScheduler(options);
        var gate = new ReleaseGate();
        gate.Pause();
        var letters = new List<DeadLetter>();
        var sink = new Moq.Mock<IDeadLetterSink>();
        sink.Setup(s => s.DeadLetterAsync(Moq.It.IsAny<DeadLetter>(), Moq.It.IsAny<CancellationToken>()))
            .Callback<DeadLetter, CancellationToken>((l, _) => { lock (letters) { letters.Add(l); } })
            .Returns(ValueTask.CompletedTask);
        var service = new ResponseReleaseService(scheduler, new DelegateResponseHandler((_, _) => ValueTask.CompletedTask), sink.Object, Options.Create(options), gate: gate);
        await service.StartAsync(CancellationToken.None);
        scheduler.TryEnqueue(TestMessages.Tagged(1), PriorityLevel.High);

        await service.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(letters.Select(l => l.Reason), Is.EqualTo(new[] { DeadLetter.ShutdownReason }));
    }

    [Test]
    public void AddResponsePrioritisation_RegistersOneReleaseControl()
    {
        var services = new ServiceCollection();
        services.AddResponsePrioritisation().AddHandler((_, _) => ValueTask.CompletedTask);
        using var provider = services.BuildServiceProvider();

        var control = provider.GetRequiredService<IReleaseControl>();
        Assert.That(control, Is.SameAs(provider.GetRequiredService<ReleaseGate>()));
    }
}
