// Hand-written on purpose, beside BenchmarkDotNet rather than instead of it: BenchmarkDotNet measures one benchmark
// after another, so on the shared 2-core machine a change of load between two rows of one table (seconds apart)
// moves their ratio by more than the 5% the reader's conformance budget has to resolve. This runs short
// batches of the two readers in turn, swapping their order every round, and reports the median of the per-round ratios, which a load
// change common to one round cancels out of. The BenchmarkDotNet table of ReaderConformanceCostBenchmarks stays the
// record of absolute times and allocations.

#if BASELINE_READER
extern alias baseline;
#endif

using System.Diagnostics;
using System.Globalization;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -p:BaselineReader=path/DuisPrioritiser.Baseline.dll --project benchmarks/DuisPrioritiser.Benchmarks -- --interleaved-reader [rounds]</c>:
/// the reader of this commit, the reader of the baseline commit and the XmlReader extraction, in alternating batches of
/// about 2 ms, on the messages of <see cref="ReaderBenchmarks"/>.
/// </summary>
internal static class InterleavedReaderComparison
{
    public static int Run(string[] args)
    {
#if BASELINE_READER
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 201;
        Console.WriteLine($"Interleaved reader comparison: {rounds} rounds, {Environment.ProcessorCount} cores, load {LoadAverage()}");
        Console.WriteLine("| Message | Bytes | this commit (median µs) | baseline (median µs) | XmlReader (median µs) | this / baseline | this / XmlReader | baseline / XmlReader |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (string name in new[] { "Status1K", "Read2K", "Profile200K" })
        {
            var xml = new ReaderBenchmarks { Message = name };
            xml.Setup();
            var bytes = xml.Bytes;
            if (!DuisMessage.TryParse(bytes, out var current, out var error)
                || !baseline::DuisPrioritiser.Duis.DuisMessage.TryParse(bytes, out var previous, out _)
                || current.ServiceReferenceVariant.ToString() != previous.ServiceReferenceVariant.ToString()
                || current.RequestId != previous.RequestId)
            {
                throw new InvalidOperationException("The two readers disagree: " + error.Message);
            }

            int batch = Math.Clamp(2_000_000 / bytes.Length, 20, 1500);
            var measures = new Func<int, double>[]
            {
                n => Time(n, () => DuisMessage.TryParse(bytes, out var m, out _) && m is not null),
                n => Time(n, () => baseline::DuisPrioritiser.Duis.DuisMessage.TryParse(bytes, out var m, out _) && m is not null),
                n => Time(n, () => xml.XmlReaderExtract() is not null),
            };

            // Warm up for two seconds, so tiered compilation has finished (its background thread is slow to get a
            // core on a loaded machine) before any round counts.
            var warmUp = Stopwatch.StartNew();
            while (warmUp.Elapsed < TimeSpan.FromSeconds(2))
            {
                foreach (var measure in measures)
                {
                    measure(batch);
                }
            }

            // The budget ratio: the two DUIS readers only, swapping places every round. The XmlReader batches run
            // in a second phase: interleaved with these, its allocations and its walk through the caches slowed the
            // reader that followed it and moved this ratio by up to 20% on the 200 KB message (measured).
            var times = new double[3][];
            for (int k = 0; k < 3; k++)
            {
                times[k] = new double[rounds];
            }

            var thisToBaseline = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                int first = r & 1;
                times[first][r] = measures[first](batch);
                times[1 - first][r] = measures[1 - first](batch);
                thisToBaseline[r] = times[0][r] / times[1][r];
            }

            // Against the XmlReader extraction: each round times XmlReader between the two readers' batches.
            var thisToXml = new double[rounds];
            var baselineToXml = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                double thisTime = measures[0](batch);
                times[2][r] = measures[2](Math.Max(1, batch / 5));
                double baselineTime = measures[1](batch);
                thisToXml[r] = thisTime / times[2][r];
                baselineToXml[r] = baselineTime / times[2][r];
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {name} | {bytes.Length} | {Median(times[0]):F3} | {Median(times[1]):F3} | {Median(times[2]):F3} | {Median(thisToBaseline):F3} | {Median(thisToXml):F3} | {Median(baselineToXml):F3} |"));
        }

        Console.WriteLine($"Load after: {LoadAverage()}");
        return 0;
#else
        _ = args;
        Console.Error.WriteLine("--interleaved-reader needs -p:BaselineReader=path/DuisPrioritiser.Baseline.dll (see ReaderConformanceCostBenchmarks).");
        return 2;
#endif
    }

    /// <summary>Microseconds per call of <paramref name="read"/> over <paramref name="count"/> calls; every call must succeed.</summary>
    private static double Time(int count, Func<bool> read)
    {
        var watch = Stopwatch.StartNew();
        int ok = 0;
        for (int i = 0; i < count; i++)
        {
            ok += read() ? 1 : 0;
        }

        double micros = watch.Elapsed.TotalMicroseconds / count;
        return ok == count ? micros : throw new InvalidOperationException("A read failed during the measurement.");
    }

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";
}
