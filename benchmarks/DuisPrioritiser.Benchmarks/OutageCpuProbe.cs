using System.Diagnostics;
using System.Globalization;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// A measurement, not a benchmark: how much CPU the release loop burns while the back-end is down, on the
/// real clock. A flood of messages is queued, the release loop (library defaults: adaptive pace, Polly retry, circuit
/// breaker, back-end gate) starts against a handler that fails every call for the first seconds, either
/// asynchronously (after <c>Task.Yield</c>, like a refused connection) or synchronously (throws before returning),
/// then succeeds. Reports process CPU time (<see cref="Process.TotalProcessorTime"/>) during the outage and in all,
/// handler calls, and the release loop's iterations and gate waits.
/// </summary>
/// <remarks>
/// Run with <c>dotnet run -c Release --project benchmarks/DuisPrioritiser.Benchmarks -- --outage-cpu [--messages 20000] [--outage 10]</c>.
/// Not BenchmarkDotNet: the quantity is CPU time over a fixed stretch of wall time, which BenchmarkDotNet does not
/// measure; each mode runs once in a fresh scheduler, one after the other.
/// </remarks>
internal static class OutageCpuProbe
{
    public static async Task<int> RunAsync(string[] args)
    {
        int messages = 20_000;
        double outageSeconds = 10;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--messages": messages = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--outage": outageSeconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"Unknown option {args[i]}: use --messages N and --outage SECONDS."); return 2;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{messages:N0} messages, back-end down for the first {outageSeconds:0.#} s, {Environment.ProcessorCount} processors"));
        Console.WriteLine("| Failure | Wall (s) | CPU (s) | CPU during outage (s) | CPU / wall during outage | Handler calls | Calls during outage | Loop iterations | Loop iterations during outage | Breaker openings |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (bool asynchronous in new[] { true, false })
        {
            var r = await MeasureAsync(messages, TimeSpan.FromSeconds(outageSeconds), asynchronous);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {(asynchronous ? "asynchronous" : "synchronous")} | {r.Wall.TotalSeconds:0.00} | {r.Cpu.TotalSeconds:0.00} | {r.OutageCpu.TotalSeconds:0.00} | {r.OutageCpu / r.OutageWall:0.00} | {r.Calls:N0} | {r.OutageCalls:N0} | {r.Iterations:N0} | {r.OutageIterations:N0} | {r.Openings:N0} |"));
        }

        return 0;
    }

    private static async Task<Result> MeasureAsync(int count, TimeSpan outage, bool asynchronous)
    {
        var options = new ResponsePrioritisationOptions { Capacity = Math.Max(count, 1000) };
        using var scheduler = new ResponseReleaseScheduler(options);
        var random = new Random(15);
        for (int i = 0; i < count; i++)
        {
            var message = new DuisMessage(DuisMessageKind.Response) { ServiceReferenceVariant = ServiceReferenceVariant.Create(4, 1, 1), RequestId = i.ToString(CultureInfo.InvariantCulture) };
            if (!scheduler.TryEnqueue(message, (PriorityLevel)random.Next(PriorityLevels.Count)))
            {
                throw new InvalidOperationException("The scheduler refused a message.");
            }
        }

        var handler = new FailingHandler(count, asynchronous);
        var sink = new CountingSink();
        await using var service = new ResponseReleaseService(scheduler, handler, sink, Options.Create(options));
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        handler.DownUntil = Stopwatch.GetTimestamp() + (long)(outage.TotalSeconds * Stopwatch.Frequency);
        await service.StartAsync(CancellationToken.None);
        await Task.Delay(outage);
        process.Refresh();
        var cpuOutage = process.TotalProcessorTime - cpu0;
        var outageWall = wall.Elapsed;
        long outageCalls = handler.Calls;
        long outageIterations = service.LoopIterations;
        var drained = await Task.WhenAny(handler.AllHandled, Task.Delay(TimeSpan.FromMinutes(5)));
        if (drained != handler.AllHandled)
        {
            throw new InvalidOperationException($"Not drained in 5 minutes: {handler.Handled} handled, {scheduler.Count} held.");
        }

        await service.StopAsync(CancellationToken.None);
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        if (handler.Handled != count || sink.Count != 0)
        {
            throw new InvalidOperationException($"{handler.Handled} of {count} handled, {sink.Count} dead-lettered.");
        }

        return new Result(wall.Elapsed, cpu, outageWall, cpuOutage, handler.Calls, outageCalls, service.LoopIterations, outageIterations, service.Gate.OpenedCount);
    }

    private sealed record Result(TimeSpan Wall, TimeSpan Cpu, TimeSpan OutageWall, TimeSpan OutageCpu, long Calls, long OutageCalls, long Iterations, long OutageIterations, long Openings);

    private sealed class FailingHandler(int expected, bool asynchronous) : IResponseHandler
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _calls;
        private int _handled;

        public long DownUntil { get; set; }

        public long Calls => Interlocked.Read(ref _calls);

        public int Handled => Volatile.Read(ref _handled);

        public Task AllHandled => _all.Task;

        public ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Stopwatch.GetTimestamp() < DownUntil)
            {
                return asynchronous ? FailAsync() : throw new HttpRequestException("Connection refused (simulated outage)");
            }

            if (Interlocked.Increment(ref _handled) == expected)
            {
                _all.TrySetResult();
            }

            return ValueTask.CompletedTask;
        }

        private static async ValueTask FailAsync()
        {
            await Task.Yield();
            throw new HttpRequestException("503 Service Unavailable (simulated outage)");
        }
    }

    private sealed class CountingSink : IDeadLetterSink
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return ValueTask.CompletedTask;
        }
    }
}
