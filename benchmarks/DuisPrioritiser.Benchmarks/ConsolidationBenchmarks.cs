using System.Globalization;
using BenchmarkDotNet.Attributes;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// Cost per Bulk message of the scheduler's intake path (TryEnqueue + TryDequeue + AcknowledgeAsync, single-threaded,
/// bursts of 64, default options but for the ones named) in one run: today's FIFO level (the baseline), the fair level,
/// and consolidation of repeated alerts on, with alerts that are never repeats (every message a different device) and
/// with alerts that are all repeats (each burst one device and code: one release carries 64 messages).
/// </summary>
/// <remarks>
/// Every enqueue must be accepted and every message must come back (as a release or as a repeat inside one), or the run
/// fails; afterwards the scheduler must hold nothing and have suppressed no duplicate. The pool is built once, so each
/// message's <see cref="DuisMessage.Device"/> has been read before it is measured (as in <see cref="FairLevelBenchmarks"/>).
/// </remarks>
[MemoryDiagnoser]
[IterationCount(15)] // the quick job's 3 iterations gave ratios that moved 3x between runs on the loaded 2-core machine
public class ConsolidationBenchmarks
{
    private const int Batch = 4096;
    private const int Burst = 64;

    /// <summary>Beyond the default duplicate window (100,000), so no message is suppressed as a duplicate; a multiple of <see cref="Burst"/>.</summary>
    private const int PoolSize = 409_600;

    private ResponseReleaseScheduler _scheduler = null!;
    private DuisMessage[] _pool = [];
    private int _next;
    private long _calls;

    [GlobalSetup(Target = nameof(FifoLevel))]
    public void SetupFifo() => Setup(fair: false, consolidate: false, repeats: false);

    [GlobalSetup(Target = nameof(FairLevel))]
    public void SetupFair() => Setup(fair: true, consolidate: false, repeats: false);

    [GlobalSetup(Target = nameof(FifoLevel_Consolidation_NoRepeats))]
    public void SetupFifoConsolidatedDistinct() => Setup(fair: false, consolidate: true, repeats: false);

    [GlobalSetup(Target = nameof(FairLevel_Consolidation_NoRepeats))]
    public void SetupFairConsolidatedDistinct() => Setup(fair: true, consolidate: true, repeats: false);

    [GlobalSetup(Target = nameof(FairLevel_Consolidation_AllRepeats))]
    public void SetupFairConsolidatedRepeats() => Setup(fair: true, consolidate: true, repeats: true);

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// {_calls:N0} handler calls in all");
        _scheduler?.Dispose();
        _scheduler = null!;
        _pool = [];
        GC.Collect();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public long FifoLevel() => Run();

    [Benchmark(OperationsPerInvoke = Batch)]
    public long FairLevel() => Run();

    [Benchmark(OperationsPerInvoke = Batch)]
    public long FifoLevel_Consolidation_NoRepeats() => Run();

    [Benchmark(OperationsPerInvoke = Batch)]
    public long FairLevel_Consolidation_NoRepeats() => Run();

    [Benchmark(OperationsPerInvoke = Batch)]
    public long FairLevel_Consolidation_AllRepeats() => Run();

    private void Setup(bool fair, bool consolidate, bool repeats)
    {
        var options = new ResponsePrioritisationOptions();
        options.Traffic.Bulk.FairQueueing = fair;
        if (consolidate)
        {
            options.Traffic.Consolidation.Levels.Add(PriorityLevel.Bulk);
        }

        _scheduler = new ResponseReleaseScheduler(options);
        _pool = new DuisMessage[PoolSize];
        for (int i = 0; i < PoolSize; i++)
        {
            // Repeats: each aligned burst of 64 is one device; otherwise every message is a device of its own.
            ulong device = 0x0012_3456_0000_0000UL + (ulong)(repeats ? i / Burst : i);
            _pool[i] = new DuisMessage(DuisMessageKind.DeviceAlert)
            {
                AlertCode = DuisCode.Parse("8FFE"),
                ResponseCode = DuisCode.Parse("I0"),
                ResponseId = string.Create(CultureInfo.InvariantCulture, $"{new DeviceId(device)}:90-B3-D5-1F-30-01-00-00:{i}"),
            };
            _ = _pool[i].Device;
        }

        _next = 0;
    }

    private long Run()
    {
        var scheduler = _scheduler;
        var pool = _pool;
        int next = _next;
        long sink = 0;
        for (int i = 0; i < Batch; i += Burst)
        {
            for (int j = 0; j < Burst; j++)
            {
                if (!scheduler.TryEnqueue(pool[next], PriorityLevel.Bulk))
                {
                    throw new InvalidOperationException("Refused.");
                }

                if (++next == pool.Length)
                {
                    next = 0;
                }
            }

            int taken = 0;
            while (taken < Burst)
            {
                if (!scheduler.TryDequeue(out var released))
                {
                    throw new InvalidOperationException($"Empty dequeue after {taken} of {Burst}.");
                }

                taken += 1 + released.Repeats.Count;
                sink += released.Message.RawMessage.Length + released.Repeats.Count + 1;
                _calls++;
                var ack = scheduler.AcknowledgeAsync(released);
                if (!ack.IsCompletedSuccessfully)
                {
                    ack.AsTask().GetAwaiter().GetResult();
                }
            }

            if (taken != Burst)
            {
                throw new InvalidOperationException($"Took {taken} of a burst of {Burst}.");
            }
        }

        if (scheduler.Count != 0 || scheduler.DuplicatesSuppressed != 0)
        {
            throw new InvalidOperationException($"The scheduler holds {scheduler.Count} (expected 0) and suppressed {scheduler.DuplicatesSuppressed}.");
        }

        _next = next;
        return sink;
    }
}
