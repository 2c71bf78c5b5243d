#if BASELINE_RELEASE_LOOP
extern alias baseline;
#endif

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// What the Polly v8 pipeline (retry, circuit breaker, time-out per call, back-end gate) costs the hosted
/// release loop per message on the success path: <see cref="Messages"/> queued messages drained into a handler that
/// always succeeds, by this commit's <see cref="ResponseReleaseService"/> and, when built with
/// <c>-p:ReleaseLoopBaseline=path/DuisPrioritiser.Baseline.dll</c> (the library of commit 60d773c, the last before the
/// Polly change, built with <c>-p:AssemblyName=DuisPrioritiser.Baseline</c>), by that commit's hand-written retry loop,
/// in the same run and process.
/// </summary>
/// <remarks>
/// <para>Each invocation builds a scheduler holding <see cref="Messages"/> messages (in the iteration setup, not
/// measured), starts the release loop, waits until the handler has seen every message, and stops it. Both loops run
/// with a fixed in-flight limit of 16 and the system clock; the handler either completes synchronously (the loop's own
/// cost) or after <c>Task.Yield</c> (a handler that really awaits, so every release costs thread-pool hops).</para>
/// <para>Run in-process so the optional baseline reference survives:
/// <c>dotnet run -c Release -p:ReleaseLoopBaseline=/tmp/baseline/DuisPrioritiser.Baseline.dll --project benchmarks/DuisPrioritiser.Benchmarks -- --filter *ReleaseLoopPolly* --inProcess --warmupCount 3 --iterationCount 15</c>.</para>
/// </remarks>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class ReleaseLoopPollyBenchmarks
{
    /// <summary>Messages drained per invocation.</summary>
    public const int Messages = 100_000;

    private DuisMessage[] _messages = [];
    private CurrentRun? _current;
#if BASELINE_RELEASE_LOOP
    private baseline::DuisPrioritiser.Duis.DuisMessage[] _baselineMessages = [];
    private BaselineRun? _baseline;
#endif

    /// <summary>Gets or sets whether the handler completes synchronously ("sync") or after <c>Task.Yield</c> ("yield").</summary>
    [Params("sync", "yield")]
    public string HandlerKind { get; set; } = "sync";

    [GlobalSetup]
    public void Setup()
    {
        _messages = new DuisMessage[Messages];
        for (int i = 0; i < Messages; i++)
        {
            _messages[i] = new DuisMessage(DuisMessageKind.Response) { ServiceReferenceVariant = ServiceReferenceVariant.Create(4, 1, 1), RequestId = Id(i) };
        }
#if BASELINE_RELEASE_LOOP
        _baselineMessages = new baseline::DuisPrioritiser.Duis.DuisMessage[Messages];
        for (int i = 0; i < Messages; i++)
        {
            _baselineMessages[i] = new baseline::DuisPrioritiser.Duis.DuisMessage(baseline::DuisPrioritiser.Duis.DuisMessageKind.Response) { ServiceReferenceVariant = baseline::DuisPrioritiser.Duis.ServiceReferenceVariant.Create(4, 1, 1), RequestId = Id(i) };
        }
#endif
    }

    [IterationSetup(Target = nameof(Polly))]
    public void SetupPolly() => _current = new CurrentRun(_messages, HandlerKind == "yield", emptyPipeline: false);

    [IterationSetup(Target = nameof(EmptyPipeline))]
    public void SetupEmptyPipeline() => _current = new CurrentRun(_messages, HandlerKind == "yield", emptyPipeline: true);

    /// <summary>This commit's loop with an empty pipeline (<c>ConfigureResilience</c> adding nothing): no retry, breaker or time-out; the same scheduler, gate and telemetry, so the difference to <see cref="Polly"/> is the strategies alone.</summary>
    [Benchmark(OperationsPerInvoke = Messages, Description = "Release loop, empty pipeline (this commit)")]
    public async Task<int> EmptyPipeline()
    {
        var run = _current!;
        await run.Service.StartAsync(CancellationToken.None);
        await run.Handler.AllHandled;
        await run.Service.StopAsync(CancellationToken.None);
        return run.Check();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "Release loop with Polly pipeline (this commit)")]
    public async Task<int> Polly()
    {
        var run = _current!;
        await run.Service.StartAsync(CancellationToken.None);
        await run.Handler.AllHandled;
        await run.Service.StopAsync(CancellationToken.None);
        return run.Check();
    }

#if BASELINE_RELEASE_LOOP
    [IterationSetup(Target = nameof(BeforePolly))]
    public void SetupBeforePolly() => _baseline = new BaselineRun(_baselineMessages, HandlerKind == "yield");

    [Benchmark(OperationsPerInvoke = Messages, Description = "Release loop before Polly (60d773c)")]
    public async Task<int> BeforePolly()
    {
        var run = _baseline!;
        await run.Service.StartAsync(CancellationToken.None);
        await run.Handler.AllHandled;
        await run.Service.StopAsync(CancellationToken.None);
        return run.Check();
    }
#endif

    private static string Id(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class CurrentRun
    {
        public CurrentRun(DuisMessage[] messages, bool yield, bool emptyPipeline)
        {
            var options = new ResponsePrioritisationOptions { Capacity = Messages };
            options.Pace.Mode = PaceMode.Fixed;
            options.Pace.FixedLimit = 16;
            Scheduler = new ResponseReleaseScheduler(options);
            foreach (var message in messages)
            {
                if (!Scheduler.TryEnqueue(message, PriorityLevel.Normal))
                {
                    throw new InvalidOperationException("Setup: the scheduler refused a message.");
                }
            }

            Handler = new CountingHandler(messages.Length, yield);
            Sink = new Sink();
            var resilience = emptyPipeline ? new ReleaseResilienceSetup { Configure = static (_, _) => { } } : null;
            Service = new ResponseReleaseService(Scheduler, Handler, Sink, Options.Create(options), resilience: resilience);
        }

        public ResponseReleaseScheduler Scheduler { get; }

        public CountingHandler Handler { get; }

        public Sink Sink { get; }

        public ResponseReleaseService Service { get; }

        public int Check()
        {
            if (Handler.Count != Messages || Scheduler.Count != 0 || Sink.Count != 0)
            {
                throw new InvalidOperationException($"Handled {Handler.Count} of {Messages}, {Scheduler.Count} still held, {Sink.Count} dead-lettered.");
            }

            Scheduler.Dispose();
            return Handler.Count;
        }
    }

    private sealed class CountingHandler(int expected, bool yield) : IResponseHandler
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task AllHandled => _all.Task;

        public ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken)
            => yield ? YieldAsync(message) : Take(message);

        private ValueTask Take(ReleasedMessage message)
        {
            if (message.Message.RequestId is null)
            {
                throw new InvalidOperationException("A message without its id.");
            }

            if (Interlocked.Increment(ref _count) == expected)
            {
                _all.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }

        private async ValueTask YieldAsync(ReleasedMessage message)
        {
            await Task.Yield();
            await Take(message);
        }
    }

    private sealed class Sink : IDeadLetterSink
    {
        public int Count;

        public ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Count);
            return ValueTask.CompletedTask;
        }
    }

#if BASELINE_RELEASE_LOOP
    private sealed class BaselineRun
    {
        public BaselineRun(baseline::DuisPrioritiser.Duis.DuisMessage[] messages, bool yield)
        {
            var options = new baseline::DuisPrioritiser.ResponsePrioritisationOptions { Capacity = Messages };
            options.Pace.Mode = baseline::DuisPrioritiser.Release.PaceMode.Fixed;
            options.Pace.FixedLimit = 16;
            Scheduler = new baseline::DuisPrioritiser.Release.ResponseReleaseScheduler(options);
            foreach (var message in messages)
            {
                if (!Scheduler.TryEnqueue(message, baseline::DuisPrioritiser.Classification.PriorityLevel.Normal))
                {
                    throw new InvalidOperationException("Setup: the baseline scheduler refused a message.");
                }
            }

            Handler = new BaselineHandler(messages.Length, yield);
            Sink = new BaselineSink();
            Service = new baseline::DuisPrioritiser.Release.Internal.ResponseReleaseService(Scheduler, Handler, Sink, Options.Create(options));
        }

        public baseline::DuisPrioritiser.Release.ResponseReleaseScheduler Scheduler { get; }

        public BaselineHandler Handler { get; }

        public BaselineSink Sink { get; }

        public baseline::DuisPrioritiser.Release.Internal.ResponseReleaseService Service { get; }

        public int Check()
        {
            if (Handler.Count != Messages || Scheduler.Count != 0 || Sink.Count != 0)
            {
                throw new InvalidOperationException($"Baseline: handled {Handler.Count} of {Messages}, {Scheduler.Count} still held, {Sink.Count} dead-lettered.");
            }

            Scheduler.Dispose();
            return Handler.Count;
        }
    }

    private sealed class BaselineHandler(int expected, bool yield) : baseline::DuisPrioritiser.Release.IResponseHandler
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task AllHandled => _all.Task;

        public ValueTask HandleAsync(baseline::DuisPrioritiser.Release.ReleasedMessage message, CancellationToken cancellationToken)
            => yield ? YieldAsync(message) : Take(message);

        private ValueTask Take(baseline::DuisPrioritiser.Release.ReleasedMessage message)
        {
            if (message.Message.RequestId is null)
            {
                throw new InvalidOperationException("A message without its id.");
            }

            if (Interlocked.Increment(ref _count) == expected)
            {
                _all.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }

        private async ValueTask YieldAsync(baseline::DuisPrioritiser.Release.ReleasedMessage message)
        {
            await Task.Yield();
            await Take(message);
        }
    }

    private sealed class BaselineSink : baseline::DuisPrioritiser.Release.IDeadLetterSink
    {
        public int Count;

        public ValueTask DeadLetterAsync(baseline::DuisPrioritiser.Release.DeadLetter deadLetter, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Count);
            return ValueTask.CompletedTask;
        }
    }
#endif
}
