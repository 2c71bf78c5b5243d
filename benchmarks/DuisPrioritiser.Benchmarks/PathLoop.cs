using System.Diagnostics;
using System.Globalization;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// Runs <see cref="QueueDepthBenchmarks.Scheduler"/> in a plain loop for a profiler to sample (<c>--path-loop seconds
/// [held] [fifo]</c>); prints the mean ns per message of each second. Numbers to publish come from BenchmarkDotNet.
/// </summary>
internal static class PathLoop
{
    public static int Run(string[] args)
    {
        if (args is ["window", ..])
        {
            var window = new DuisPrioritiser.Benchmarks.Deduplication.DuplicateWindowBenchmarks { Workload = args.Length > 1 ? args[1] : "Distinct" };
            window.Setup();
            for (int i = 0; i < 1000; i++)
            {
                window.ThisWindow();
            }

            Console.WriteLine("window ok");
            return 0;
        }

        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 20;
        int held = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
        var benchmark = new QueueDepthBenchmarks { Held = held, BulkFifo = args.Contains("fifo"), WithoutDeduplication = args.Contains("nodedup") };
        benchmark.SetupScheduler();
        Console.WriteLine($"pid {Environment.ProcessId}, held {held}, bulk {(benchmark.BulkFifo ? "FIFO" : "fair")}, deduplication {(benchmark.WithoutDeduplication ? "off" : "on")}");
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            var second = Stopwatch.StartNew();
            long messages = 0;
            while (second.ElapsedMilliseconds < 1000)
            {
                benchmark.Scheduler();
                messages += QueueDepthBenchmarks.Batch;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{second.Elapsed.TotalNanoseconds / messages:F1} ns/message"));
        }

        benchmark.Cleanup();
        return 0;
    }
}
