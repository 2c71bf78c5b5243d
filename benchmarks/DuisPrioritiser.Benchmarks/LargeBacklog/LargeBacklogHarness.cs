using System.Diagnostics;
using System.Globalization;
using System.Text;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Benchmarks.LargeBacklog;

/// <summary>
/// A console measurement of large backlogs, not a BenchmarkDotNet job: holding 10 million messages takes
/// minutes and 20+ GB of disk, which BenchmarkDotNet's repeated iterations cannot afford. For each count it fills one
/// scheduler through the raw-bytes intake (<c>EnqueueAsync(ReadOnlyMemory&lt;byte&gt;)</c>, as an HTTP intake does,
/// every message with its own body and unique ids), then measures managed memory after a full blocking compacting
/// collection (<see cref="GC.GetTotalMemory(bool)"/>, less the same measure taken before the first message) and the
/// process RSS, and finally releases messages (reading them back from disk with the journal on) and acknowledges them,
/// checking every released message's bytes.
/// </summary>
/// <remarks>
/// Run one count per process for clean figures (a disposed scheduler of an earlier count may still be collected
/// during the next one's measurement). Usage: <c>dotnet run -c Release --project benchmarks/DuisPrioritiser.Benchmarks -- large-backlog
/// --mode journal|memory --counts 1000000,5000000,10000000 [--dir path] [--release 1000000] [--body 1400]</c>.
/// Hand-written rather than BenchmarkDotNet: see above.
/// </remarks>
internal static class LargeBacklogHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        string mode = Arg(args, "--mode") ?? "journal";
        var counts = (Arg(args, "--counts") ?? "1000000").Split(',').Select(c => int.Parse(c.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture)).ToArray();
        string directory = Arg(args, "--dir") ?? Path.Combine(Path.GetTempPath(), "duis-large-backlog");
        int releaseCount = int.Parse(Arg(args, "--release") ?? "1000000", CultureInfo.InvariantCulture);
        int payload = int.Parse(Arg(args, "--body") ?? "1400", CultureInfo.InvariantCulture);
        int producers = int.Parse(Arg(args, "--producers") ?? "128", CultureInfo.InvariantCulture);
        bool journal = mode == "journal";

        var template = Encoding.UTF8.GetBytes(Messages.Response("4.1.1", payload));
        var idPositions = FindAll(template, "1700000000001"u8.ToArray());
        Console.WriteLine($"# mode {mode}, message {template.Length} bytes, {producers} producers, .NET {Environment.Version}, {Environment.ProcessorCount} cores, server GC {System.Runtime.GCSettings.IsServerGC}");
        foreach (int count in counts)
        {
            string runDirectory = Path.Combine(directory, $"run-{count}");
            if (Directory.Exists(runDirectory))
            {
                Directory.Delete(runDirectory, recursive: true);
            }

            var options = new ResponsePrioritisationOptions();
            if (journal)
            {
                options.Journal.Directory = runDirectory; // default capacity with the journal: 10,000,000
            }
            else
            {
                options.Capacity = Math.Max(count, ResponsePrioritisationOptions.DefaultMemoryCapacity);
            }

            Console.WriteLine($"## {count:N0} held, capacity {options.Capacity:N0}");
            long baseline;
            long managed;
            long rss;
            long heap;
            var scheduler = new ResponseReleaseScheduler(options);
            try
            {
                baseline = FullCollect();
                var fill = Stopwatch.StartNew();
                long accepted = 0;
                var tasks = new Task[producers];
                for (int p = 0; p < producers; p++)
                {
                    int producer = p;
                    tasks[p] = Task.Run(async () =>
                    {
                        for (long i = producer; i < count; i += producers)
                        {
                            var body = (byte[])template.Clone();
                            WriteId(body, idPositions, i);
                            var result = await scheduler.EnqueueAsync((ReadOnlyMemory<byte>)body).ConfigureAwait(false);
                            if (result.Status == IntakeStatus.Accepted)
                            {
                                Interlocked.Increment(ref accepted);
                            }
                            else
                            {
                                throw new InvalidOperationException($"Message {i} was not accepted: {result.Status}.");
                            }
                        }
                    });
                }

                await Task.WhenAll(tasks).ConfigureAwait(false);
                fill.Stop();
                if (accepted != count || scheduler.Count != count)
                {
                    throw new InvalidOperationException($"Accepted {accepted}, held {scheduler.Count}, expected {count}.");
                }

                managed = FullCollect();
                heap = GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes;
                using (var process = Process.GetCurrentProcess())
                {
                    process.Refresh();
                    rss = process.WorkingSet64;
                }

                double perMessage = (managed - baseline) / (double)count;
                Console.WriteLine($"fill: {fill.Elapsed.TotalSeconds:F1} s ({count / fill.Elapsed.TotalSeconds:N0} accepted/s)");
                Console.WriteLine($"managed before: {baseline:N0} B, after: {managed:N0} B, GC heap size {heap:N0} B, RSS {rss:N0} B ({rss / 1048576.0:N0} MiB)");
                Console.WriteLine($"{count:N0} held: {perMessage:N0} bytes/message (managed, after a full compacting collection)");
                Console.WriteLine($"upper bound, all managed memory of the process / held: {managed / (double)count:N0} bytes/message");
                if (journal)
                {
                    long disk = Directory.GetFiles(runDirectory, "*.djl").Sum(f => new FileInfo(f).Length);
                    Console.WriteLine($"journal on disk: {disk:N0} B ({disk / (double)count:N0} B/message)");
                }

                bool dropped = TryDropPageCache();
                Console.WriteLine($"page cache dropped before release: {(dropped ? "yes" : "no (not permitted)")}");
                int toRelease = Math.Min(releaseCount, count);
                long bytes = 0;
                var acks = new List<Task>(4096);
                var release = Stopwatch.StartNew();
                for (int i = 0; i < toRelease; i++)
                {
                    if (!scheduler.TryDequeue(out var message))
                    {
                        throw new InvalidOperationException($"Nothing released at {i}.");
                    }

                    if (message.Message.RawMessage.Length != template.Length || message.Message.RawMessage.Span[^1] != template[^1])
                    {
                        throw new InvalidOperationException($"Released message {i} has the wrong bytes.");
                    }

                    bytes += message.Message.RawMessage.Length;
                    acks.Add(scheduler.AcknowledgeAsync(message).AsTask());
                    if (acks.Count == 4096)
                    {
                        await Task.WhenAll(acks).ConfigureAwait(false);
                        acks.Clear();
                    }
                }

                await Task.WhenAll(acks).ConfigureAwait(false);
                release.Stop();
                Console.WriteLine($"release{(journal ? " from disk" : string.Empty)} + acknowledge: {toRelease:N0} messages ({bytes:N0} B checked) in {release.Elapsed.TotalSeconds:F2} s = {toRelease / release.Elapsed.TotalSeconds:N0} msg/s");
            }
            finally
            {
                await scheduler.DisposeAsync().ConfigureAwait(false);
            }

            if (journal)
            {
                Directory.Delete(runDirectory, recursive: true);
            }

            scheduler = null!;
            FullCollect();
        }

        return 0;
    }

    private static long FullCollect()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static bool TryDropPageCache()
    {
        try
        {
            File.WriteAllText("/proc/sys/vm/drop_caches", "1");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void WriteId(byte[] body, int[] positions, long id)
    {
        Span<byte> digits = stackalloc byte[13];
        long value = 1_700_000_000_000 + id;
        for (int d = 12; d >= 0; d--)
        {
            digits[d] = (byte)('0' + (value % 10));
            value /= 10;
        }

        foreach (int position in positions)
        {
            digits.CopyTo(body.AsSpan(position));
        }
    }

    private static int[] FindAll(byte[] haystack, byte[] needle)
    {
        var found = new List<int>();
        for (int i = haystack.AsSpan().IndexOf(needle); i >= 0;)
        {
            found.Add(i);
            int next = haystack.AsSpan(i + 1).IndexOf(needle);
            i = next < 0 ? -1 : i + 1 + next;
        }

        return [.. found];
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
