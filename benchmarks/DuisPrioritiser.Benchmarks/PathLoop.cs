using System.Diagnostics;
using System.Globalization;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// Runs one row of <see cref="QueueDepthBenchmarks"/> in a plain loop, for a profiler (<c>perf record -p</c>) or a
/// hardware counter (<c>perf stat -e instructions</c>): <c>--path-loop seconds [held] [fifo] [nodedup] [baseline]</c>
/// prints the mean ns per message of each second; <c>--path-loop batches N [held] [fifo] [baseline]</c> runs exactly
/// N batches of <see cref="QueueDepthBenchmarks.Batch"/> messages (subtract a run of fewer batches to remove the
/// set-up). Numbers to publish come from BenchmarkDotNet or from counters, not from this clock.
/// </summary>
internal static class PathLoop
{
    public static int Run(string[] args)
    {
        if (args is ["window", ..])
        {
            var window = new Deduplication.DuplicateWindowBenchmarks { Workload = args.Length > 1 ? args[1] : "Distinct" };
            window.Setup();
            for (int i = 0; i < 1000; i++)
            {
                window.ThisWindow();
            }

            Console.WriteLine("window ok");
            return 0;
        }

        if (args is ["window-compare", ..])
        {
            return CompareWindows(args.Length > 1 ? args[1] : "Distinct", args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 15);
        }

        if (args is ["2p2c", ..])
        {
            return Concurrent(args.Length > 1 ? args[1] : "Scheduler", args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50);
        }

        if (args is ["compare", ..])
        {
            return Compare(args[1..]);
        }

        bool counted = args is ["batches", ..];
        var rest = counted ? args[1..] : args;
        double amount = rest.Length > 0 ? double.Parse(rest[0], CultureInfo.InvariantCulture) : 20;
        int held = rest.Length > 1 && int.TryParse(rest[1], CultureInfo.InvariantCulture, out int h) ? h : 0;
        bool baseline = rest.Contains("baseline");
        var benchmark = new QueueDepthBenchmarks { Held = held, BulkFifo = rest.Contains("fifo"), WithoutDeduplication = rest.Contains("nodedup") };
        Func<long> row;
#if BASELINE_READER
        if (baseline)
        {
            benchmark.SetupBaselineScheduler();
            row = benchmark.BaselineScheduler;
        }
        else
#endif
        {
            if (baseline)
            {
                Console.Error.WriteLine("Built without -p:BaselineReader: no baseline scheduler.");
                return 2;
            }

            benchmark.SetupScheduler();
            row = benchmark.Scheduler;
        }

        Console.WriteLine($"pid {Environment.ProcessId}, {(baseline ? "baseline" : "this")} scheduler, held {held}, bulk {(benchmark.BulkFifo ? "FIFO" : "fair")}, deduplication {(benchmark.WithoutDeduplication ? "off" : "on")}");
        if (counted)
        {
            for (long i = 0; i < (long)amount; i++)
            {
                row();
            }

            Console.WriteLine($"{(long)amount * QueueDepthBenchmarks.Batch} messages");
            return 0;
        }

        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < amount)
        {
            var second = Stopwatch.StartNew();
            long messages = 0;
            while (second.ElapsedMilliseconds < 1000)
            {
                row();
                messages += QueueDepthBenchmarks.Batch;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{second.Elapsed.TotalNanoseconds / messages:F1} ns/message"));
        }

        benchmark.Cleanup();
        return 0;
    }

    /// <summary>
    /// <c>--path-loop compare held [fifo] [rounds]</c>: the rows of <see cref="QueueDepthBenchmarks"/> (ConcurrentQueue,
    /// PrioritizedChannel, RequiredWork, Scheduler and, when built with the baseline, BaselineScheduler) in one process, in alternating
    /// samples of the same number of messages, timed by the process's CPU time (<see cref="Environment.CpuUsage"/>)
    /// rather than the wall clock: on an oversubscribed machine a wall-clock sample mostly measures time spent waiting
    /// for a core, a CPU-time sample only the work (and the cache misses) of this thread. Prints the median per row and
    /// each row's ratio to the others' medians.
    /// </summary>
    private static int Compare(string[] args)
    {
        int held = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 0;
        bool fifo = args.Contains("fifo");
        int rounds = args.Length > 1 && int.TryParse(args[^1], CultureInfo.InvariantCulture, out int r) ? r : 15;
        const int BatchesPerSample = 16;
        var rows = new List<(string Name, Func<long> Run)>();
        var queue = new QueueDepthBenchmarks { Held = held };
        queue.SetupConcurrentQueue();
        rows.Add(("ConcurrentQueue", queue.ConcurrentQueue));
        var channel = new QueueDepthBenchmarks { Held = held };
        channel.SetupPrioritizedChannel();
        rows.Add(("PrioritizedChannel", channel.PrioritizedChannel));
        var floor = new QueueDepthBenchmarks { Held = held };
        floor.SetupRequiredWork();
        rows.Add(("RequiredWork", floor.RequiredWork));
        var scheduler = new QueueDepthBenchmarks { Held = held, BulkFifo = fifo };
        scheduler.SetupScheduler();
        rows.Add(("Scheduler", scheduler.Scheduler));
#if BASELINE_READER
        var previous = new QueueDepthBenchmarks { Held = held, BulkFifo = fifo };
        previous.SetupBaselineScheduler();
        rows.Add(("BaselineScheduler", previous.BaselineScheduler));
#endif

        Sample(rows, $"held {held}, bulk {(fifo ? "FIFO" : "fair")}", BatchesPerSample, QueueDepthBenchmarks.Batch, rounds);
        return 0;
    }

    /// <summary>
    /// <c>--path-loop 2p2c Scheduler|BulkFifo|Baseline [invocations]</c>: one row of <see cref="QueueConcurrentBenchmarks"/>
    /// run that many times in a plain loop (each invocation checked as in the benchmark), to look for a stall or a
    /// failed check that a short BenchmarkDotNet job hits only now and then. Prints the wall time of each invocation.
    /// </summary>
    private static int Concurrent(string row, int invocations)
    {
        var benchmark = new QueueConcurrentBenchmarks();
        Action run;
        switch (row)
        {
            case "Scheduler":
                benchmark.SetupScheduler();
                run = benchmark.Scheduler_2P2C;
                break;
            case "BulkFifo":
                benchmark.SetupSchedulerBulkFifo();
                run = benchmark.Scheduler_BulkFifo_2P2C;
                break;
#if BASELINE_READER
            case "Baseline":
                benchmark.SetupBaselineScheduler();
                run = benchmark.BaselineScheduler_2P2C;
                break;
#endif
            default:
                Console.Error.WriteLine($"Unknown row {row}.");
                return 2;
        }

        for (int i = 0; i < invocations; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{i}: {watch.Elapsed.TotalNanoseconds / QueueConcurrentBenchmarks.Messages:F1} ns/message"));
        }

        benchmark.Cleanup();
        return 0;
    }

    /// <summary><c>--path-loop window-compare Distinct|Repeated [rounds]</c>: the rows of <see cref="Deduplication.DuplicateWindowBenchmarks"/>, sampled as <see cref="Compare"/> does.</summary>
    private static int CompareWindows(string workload, int rounds)
    {
        // One instance per row: each has its own cursor through the keys, as in a BenchmarkDotNet run.
        Deduplication.DuplicateWindowBenchmarks Create()
        {
            var benchmark = new Deduplication.DuplicateWindowBenchmarks { Workload = workload };
            benchmark.Setup();
            return benchmark;
        }

        var rows = new List<(string Name, Func<long> Run)>
        {
            ("Dictionary + ring, one lock", Create().LockedDictionary),
            ("ConcurrentDictionary + ring", Create().ConcurrentDictionaryRing),
            ("Previous window (main 06afe07)", Create().PreviousWindow),
            ("Slot-tag window (main 2a4cac9)", Create().SlotTagWindow),
            ("This window", Create().ThisWindow),
        };
        Sample(rows, $"duplicate window, {workload}", 32, 4096, rounds);
        return 0;
    }

    private static void Sample(List<(string Name, Func<long> Run)> rows, string title, int invocationsPerSample, int operationsPerInvocation, int rounds)
    {
        // Warm up (tiered JIT to its final code), then sample round-robin.
        foreach (var row in rows)
        {
            for (int i = 0; i < 4 * invocationsPerSample; i++)
            {
                row.Run();
            }
        }

        var samples = rows.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int k = 0; k < rows.Count; k++)
            {
                var before = Environment.CpuUsage.TotalTime;
                for (int i = 0; i < invocationsPerSample; i++)
                {
                    rows[k].Run();
                }

                var cpu = Environment.CpuUsage.TotalTime - before;
                samples[k].Add(cpu.TotalNanoseconds / (invocationsPerSample * (double)operationsPerInvocation));
            }
        }

        var medians = samples.Select(list => list.Order().ElementAt(list.Count / 2)).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{title}, {rounds} rounds of {invocationsPerSample * operationsPerInvocation} operations per row, CPU ns per operation (median; min-max)"));
        for (int k = 0; k < rows.Count; k++)
        {
            string ratios = string.Join(", ", rows.Select((other, j) => string.Create(CultureInfo.InvariantCulture, $"{medians[k] / medians[j]:F2}x {other.Name}")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {rows[k].Name} | {medians[k]:F1} | {samples[k].Min():F1}-{samples[k].Max():F1} | {ratios} |"));
        }
    }
}
