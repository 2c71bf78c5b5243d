using BenchmarkDotNet.Attributes;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// The release loop's own cost per message on the success path: the Polly v8 pipeline (retry, circuit breaker,
/// time-out, back-end gate) against the hand-written loop it replaced, in the same run. The handler completes at
/// once, so what is measured is the loop: dequeue, slot, pipeline, acknowledgement.
/// </summary>
[MemoryDiagnoser]
public class ReleaseLoopBenchmarks
{
    private const int Messages = 2_000;
    private readonly ResponsePrioritisationOptions _options = new() { Pace = { Mode = PaceMode.Fixed, FixedLimit = 16 } };
    private DuisPrioritiser.Duis.DuisMessage[] _messages = [];
    private CountingHandler _handler = new();

    [GlobalSetup]
    public void Setup()
    {
        _messages = Enumerable.Range(0, Messages).Select(i => new DuisPrioritiser.Duis.DuisMessage(DuisPrioritiser.Duis.DuisMessageKind.Response) { RequestId = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToArray();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public async Task HandWrittenLoop()
    {
        using var scheduler = Fill(out var handler);
        var service = new LegacyReleaseService(scheduler, handler, NullSink.Instance, Options.Create(_options));
        await service.StartAsync(CancellationToken.None);
        await handler.Done.Task;
        await service.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public async Task PollyPipelineLoop()
    {
        using var scheduler = Fill(out var handler);
        var service = new ResponseReleaseService(scheduler, handler, NullSink.Instance, Options.Create(_options));
        await service.StartAsync(CancellationToken.None);
        await handler.Done.Task;
        await service.DisposeAsync();
    }

    private ResponseReleaseScheduler Fill(out CountingHandler handler)
    {
        var scheduler = new ResponseReleaseScheduler(_options);
        foreach (var message in _messages)
        {
            scheduler.TryEnqueue(message, PriorityLevel.Normal);
        }

        handler = _handler = new CountingHandler(Messages);
        return scheduler;
    }

    private sealed class CountingHandler(int expected = 0) : IResponseHandler
    {
        private int _count;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _count) == expected)
            {
                Done.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }
    }

    private sealed class NullSink : IDeadLetterSink
    {
        public static readonly NullSink Instance = new();

        public ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken) => throw new InvalidOperationException("Nothing may be dead-lettered on the success path.");
    }
}
