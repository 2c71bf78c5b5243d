using System.Globalization;
using System.Text;
using System.Text.Json;
using DuisPrioritiser;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace StormSimulator.NoisyDevices;

/// <summary>
/// The noisy-devices scenario: 1% of the devices send half of the alerts (each repeating one alert code), the real
/// scheduler releases them to a back-end of fixed capacity in virtual time, once with Bulk as one FIFO and once fair
/// between devices (<c>Traffic:Bulk:FairQueueing</c>), each with and without consolidation of repeated alerts
/// (<c>Traffic:Consolidation</c>), on the same arrival trace.
/// </summary>
/// <remarks>
/// A discrete-event loop of its own (arrivals, back-end completions, a fixed pool of workers), so it shares nothing
/// with the outage storm engine but the library. Waits are measured from arrival to release, in virtual seconds.
/// </remarks>
internal static class NoisyDevicesScenario
{
    public const string Usage = """
        Noisy-devices scenario: 1% of devices send 50% of the alerts; Bulk FIFO versus Bulk fair between devices.

        Usage: dotnet run -c Release --project samples/StormSimulator -- noisy-devices [options]

          --out <dir>              output folder for report.md and summary.json (default: noisy-devices-output)
          --devices <count>        devices (default 10000; 1% of them are noisy)
          --capacity <per second>  back-end capacity (default 200); workers = capacity x 0.1 s
          --storm <seconds>        storm length (default 1200): alerts at 300/s, half from the noisy devices
          --after <seconds>        quiet time after the storm (default 2400): alerts at 60/s, half from the noisy devices
          --critical <per second>  Critical responses (SRV 2.2) throughout (default 20)
          --seed <int>             random seed (default 20260113)
        """;

    private const double LatencySeconds = 0.1;

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static int Run(IReadOnlyList<string> args)
    {
        var settings = Settings.Parse(args);
        if (settings is null)
        {
            Console.WriteLine(Usage);
            return 0;
        }

        Console.WriteLine($"Noisy devices: {settings}");
        var trace = Trace.Generate(settings);
        Console.WriteLine($"Trace: {trace.Messages.Length:N0} messages ({trace.CriticalCount:N0} Critical, {trace.NoisyCount:N0} from noisy devices)");
        var fifo = Run(trace, settings, fair: false);
        Console.WriteLine($"Bulk FIFO:  light-device Bulk p99 {fifo.LightBulk.P99:0.0} s, Critical p99 {fifo.Critical.P99 * 1000:0.00} ms");
        var fair = Run(trace, settings, fair: true);
        Console.WriteLine($"Bulk fair:  light-device Bulk p99 {fair.LightBulk.P99:0.0} s, Critical p99 {fair.Critical.P99 * 1000:0.00} ms");
        var fewBuckets = Run(trace, settings, fair: true, flowBuckets: 4096);
        Console.WriteLine($"Bulk fair, 4,096 buckets:  light-device Bulk p99 {fewBuckets.LightBulk.P99:0.0} s");
        var fifoConsolidated = Run(trace, settings, fair: false, consolidate: true);
        Console.WriteLine($"Bulk FIFO, consolidated:  handler calls {fifoConsolidated.HandlerCalls:N0} ({fifo.HandlerCalls:N0} without), Critical p99 {fifoConsolidated.Critical.P99 * 1000:0.00} ms");
        var fairConsolidated = Run(trace, settings, fair: true, consolidate: true);
        Console.WriteLine($"Bulk fair, consolidated:  handler calls {fairConsolidated.HandlerCalls:N0} ({fair.HandlerCalls:N0} without), Critical p99 {fairConsolidated.Critical.P99 * 1000:0.00} ms");
        var consolidated = new Consolidated(fifoConsolidated, fairConsolidated);

        Directory.CreateDirectory(settings.Output);
        File.WriteAllText(Path.Combine(settings.Output, "report.md"), Report(settings, trace, fifo, fair, fewBuckets, consolidated), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(settings.Output, "summary.json"), Summary(settings, fifo, fair, fewBuckets, consolidated), new UTF8Encoding(false));
        Console.WriteLine($"Wrote report.md and summary.json to {Path.GetFullPath(settings.Output)}");
        return 0;
    }

    /// <summary>Runs the real scheduler on <paramref name="trace"/>.</summary>
    /// <param name="trace">The arrivals.</param>
    /// <param name="settings">The scenario.</param>
    /// <param name="fair">Bulk fair between devices, else one FIFO.</param>
    /// <param name="flowBuckets">The flow buckets of a fair level; the default when <see langword="null"/>.</param>
    /// <param name="consolidate">Consolidate Bulk alerts (default window and group size): repeats of a held alert are released with it, one handler call.</param>
    internal static RunResult Run(Trace trace, Settings settings, bool fair, int? flowBuckets = null, bool consolidate = false)
    {
        var time = new FakeTimeProvider(Trace.Start);
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time);
        services.AddResponsePrioritisation(options =>
        {
            options.Capacity = Math.Max(options.Capacity, trace.Messages.Length);
            options.Traffic.Bulk.FairQueueing = fair;
            if (consolidate)
            {
                options.Traffic.Consolidation.Levels.Add(PriorityLevel.Bulk);
            }

            if (flowBuckets is { } buckets)
            {
                options.Traffic.FlowBuckets = buckets;
            }
        });
        using var provider = services.BuildServiceProvider();
        var scheduler = provider.GetRequiredService<ResponseReleaseScheduler>();

        int workers = Math.Max(1, (int)Math.Round(settings.Capacity * LatencySeconds));
        long latency = (long)(LatencySeconds * TimeSpan.TicksPerSecond);
        var completions = new PriorityQueue<ReleasedMessage, long>();
        var waits = new double[trace.Messages.Length];
        var levels = new PriorityLevel[trace.Messages.Length];
        var index = new Dictionary<DuisMessage, int>(trace.Messages.Length, ReferenceEqualityComparer.Instance);
        for (int i = 0; i < trace.Messages.Length; i++)
        {
            index[trace.Messages[i]] = i;
        }

        int next = 0;
        int busy = 0;
        long released = 0;
        long calls = 0;
        long now = 0;
        while (released < trace.Messages.Length)
        {
            long nextArrival = next < trace.Messages.Length ? trace.ArrivalTicks[next] : long.MaxValue;
            long nextCompletion = completions.TryPeek(out _, out long done) ? done : long.MaxValue;
            now = Math.Min(nextArrival, nextCompletion);
            if (now == long.MaxValue)
            {
                throw new InvalidOperationException($"Stalled with {trace.Messages.Length - released} messages not released.");
            }

            time.SetUtcNow(Trace.Start + TimeSpan.FromTicks(now));
            while (next < trace.Messages.Length && trace.ArrivalTicks[next] <= now)
            {
                if (!scheduler.TryEnqueue(trace.Messages[next]))
                {
                    throw new InvalidOperationException($"The scheduler refused message {next}.");
                }

                next++;
            }

            while (completions.TryPeek(out var finished, out long at) && at <= now)
            {
                completions.Dequeue();
                scheduler.AcknowledgeAsync(finished).AsTask().GetAwaiter().GetResult();
                busy--;
            }

            while (busy < workers && scheduler.TryDequeue(out var message))
            {
                // One handler call per release; a consolidated group's repeats are released (and waited) with it.
                foreach (var member in message.Repeats.Prepend(message.Message))
                {
                    int i = index[member];
                    waits[i] = (now - trace.ArrivalTicks[i]) / (double)TimeSpan.TicksPerSecond;
                    levels[i] = message.Level;
                    released++;
                }

                completions.Enqueue(message, now + latency);
                busy++;
                calls++;
            }
        }

        return new RunResult(
            (fair ? $"Bulk fair between devices, {flowBuckets ?? new DuisPrioritiser.Draining.TrafficOptions().FlowBuckets:N0} flow buckets" : "Bulk FIFO")
                + (consolidate ? ", repeats consolidated" : string.Empty),
            Stats(Enumerable.Range(0, waits.Length).Where(i => levels[i] == PriorityLevel.Critical).Select(i => waits[i])),
            Stats(Enumerable.Range(0, waits.Length).Where(i => levels[i] == PriorityLevel.Bulk && !trace.Noisy[i]).Select(i => waits[i])),
            Stats(Enumerable.Range(0, waits.Length).Where(i => levels[i] == PriorityLevel.Bulk && trace.Noisy[i]).Select(i => waits[i])),
            released,
            TimeSpan.FromTicks(now).TotalSeconds)
        {
            HandlerCalls = calls,
        };
    }

    private static WaitStats Stats(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return new WaitStats(0, 0, 0, 0, 0);
        }

        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new WaitStats(sorted.Length, Rank(0.5), Rank(0.95), Rank(0.99), sorted[^1]);
    }

    private static string Report(Settings settings, Trace trace, RunResult fifo, RunResult fair, RunResult fewBuckets, Consolidated consolidated)
    {
        var inv = CultureInfo.InvariantCulture;
        double lightRatio = fifo.LightBulk.P99 / Math.Max(fair.LightBulk.P99, 1e-9);
        double criticalChange = fifo.Critical.P99 == 0 ? 0 : (fair.Critical.P99 - fifo.Critical.P99) / fifo.Critical.P99;
        var sb = new StringBuilder();
        sb.AppendLine("# Noisy devices: Bulk FIFO versus fair between devices, with and without consolidation");
        sb.AppendLine();
        sb.AppendLine("Generated by `dotnet run -c Release --project samples/StormSimulator -- noisy-devices --out docs/simulation/noisy-devices`");
        sb.AppendLine("(virtual time; the real `ResponseReleaseScheduler` with default options, only `Traffic:Bulk:FairQueueing`, `Traffic:FlowBuckets`");
        sb.AppendLine("and `Traffic:Consolidation` (Bulk, default 5-minute window and groups of at most 100) differ. The trace is deterministic for its seed; the scheduler seeds its flow hash at random, so which devices share a bucket,");
        sb.AppendLine("and the fair runs' tail, vary a little from run to run).");
        sb.AppendLine();
        sb.AppendLine("## Scenario");
        sb.AppendLine();
        sb.AppendLine(inv, $"- {settings.Devices:N0} devices; {settings.Devices / 100:N0} of them (1%) are noisy and send 50% of all alerts, each repeating one alert code.");
        sb.AppendLine(inv, $"- Storm for {settings.StormSeconds:N0} s: alerts at 300/s; then {settings.AfterSeconds:N0} s at 60/s; Critical responses (SRV 2.2) at {settings.CriticalRate:N0}/s throughout.");
        sb.AppendLine(inv, $"- Back-end: {settings.Capacity:N0} messages/s ({Math.Round(settings.Capacity * LatencySeconds):N0} workers x {LatencySeconds} s per call). Alerts are Bulk (codes outside the catalogue).");
        sb.AppendLine(inv, $"- Trace: {trace.Messages.Length:N0} messages, {trace.CriticalCount:N0} Critical, {trace.NoisyCount:N0} alerts from noisy devices, seed {settings.Seed}.");
        sb.AppendLine();
        sb.AppendLine("## Waits (seconds, arrival to release)");
        sb.AppendLine();
        sb.AppendLine("| run | messages | Critical p99 | light devices' Bulk p50 | light p99 | light max | noisy devices' Bulk p50 | noisy p99 |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var run in new[] { fifo, fair, fewBuckets, consolidated.Fifo, consolidated.Fair })
        {
            sb.AppendLine(inv, $"| {run.Name} | {run.Released:N0} | {run.Critical.P99:0.0000} | {run.LightBulk.P50:0.0} | {run.LightBulk.P99:0.0} | {run.LightBulk.Max:0.0} | {run.NoisyBulk.P50:0.0} | {run.NoisyBulk.P99:0.0} |");
        }

        sb.AppendLine();
        sb.AppendLine("## Targets");
        sb.AppendLine();
        sb.AppendLine(inv, $"- Bulk p99 wait of the well-behaved devices' alerts, FIFO / fair: **{lightRatio:0.0}x** better with fairness (target at least 2x): {(lightRatio >= 2 ? "met" : "NOT met")}.");
        sb.AppendLine(inv, $"- Critical p99: {fifo.Critical.P99 * 1000:0.00} ms FIFO, {fair.Critical.P99 * 1000:0.00} ms fair ({criticalChange:+0.0%;-0.0%;0.0%}; target within 2%): {(Math.Abs(criticalChange) <= 0.02 ? "met" : "NOT met")}.");
        double fairCalls = (double)consolidated.Fair.HandlerCalls / fair.HandlerCalls;
        double fifoCalls = (double)consolidated.Fifo.HandlerCalls / fifo.HandlerCalls;
        double consolidatedCritical = fair.Critical.P99 == 0 ? 0 : (consolidated.Fair.Critical.P99 - fair.Critical.P99) / fair.Critical.P99;
        double consolidatedFifoCritical = fifo.Critical.P99 == 0 ? 0 : (consolidated.Fifo.Critical.P99 - fifo.Critical.P99) / fifo.Critical.P99;
        sb.AppendLine(inv, $"- Handler calls with consolidation against without: fair {consolidated.Fair.HandlerCalls:N0} / {fair.HandlerCalls:N0} = **{fairCalls:0.000}** ({1 / fairCalls:0.00}x fewer); FIFO {consolidated.Fifo.HandlerCalls:N0} / {fifo.HandlerCalls:N0} = **{fifoCalls:0.000}** ({1 / fifoCalls:0.00}x fewer). Every message is still released (the messages column).");
        sb.AppendLine(inv, $"- Critical p99 with consolidation: {consolidated.Fair.Critical.P99 * 1000:0.00} ms fair ({consolidatedCritical:+0.0%;-0.0%;0.0%} against fair without), {consolidated.Fifo.Critical.P99 * 1000:0.00} ms FIFO ({consolidatedFifoCritical:+0.0%;-0.0%;0.0%}); target no worse than 2%: {(consolidatedCritical <= 0.02 && consolidatedFifoCritical <= 0.02 ? "met" : "NOT met")}{(consolidatedCritical < -0.02 || consolidatedFifoCritical < -0.02 ? " (better: with fewer Bulk calls, a Critical arrival finds a free worker sooner)" : string.Empty)}.");
        sb.AppendLine();
        sb.AppendLine("## Handler calls");
        sb.AppendLine();
        sb.AppendLine("| run | handler calls | messages | messages per call | last release (s) |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var run in new[] { fifo, fair, consolidated.Fifo, consolidated.Fair })
        {
            sb.AppendLine(inv, $"| {run.Name} | {run.HandlerCalls:N0} | {run.Released:N0} | {(double)run.Released / run.HandlerCalls:0.000} | {run.EndSeconds:N0} |");
        }

        sb.AppendLine();
        sb.AppendLine("## Reading it");
        sb.AppendLine();
        sb.AppendLine("During the storm the alerts arrive faster than the back-end's share left after Critical, so Bulk builds a backlog.");
        sb.AppendLine("FIFO puts every alert behind the whole backlog, most of it the noisy devices' repeats; fair queueing gives each device");
        sb.AppendLine("one release per round, so a well-behaved device's alert waits about one round of the active devices, and the noisy");
        sb.AppendLine("devices' own backlog absorbs the storm (their waits grow instead). Nothing is dropped in either run: every message is");
        sb.AppendLine("released and acknowledged. Critical is strict priority in both runs and does not see the Bulk order.");
        sb.AppendLine();
        sb.AppendLine("Devices are hashed into a bounded number of flow buckets, and a well-behaved device whose bucket also holds a noisy");
        sb.AppendLine("device waits behind that device's queue. The share of such devices is about 1 - e^(-noisy devices / buckets): with");
        sb.AppendLine(inv, $"{settings.Devices / 100:N0} noisy devices, about {1 - Math.Exp(-(settings.Devices / 100) / 4096.0):0.0%} at 4,096 buckets (above 1%, so it shows in the p99: the last row) and");
        sb.AppendLine(inv, $"{1 - Math.Exp(-(settings.Devices / 100) / 16384.0):0.0%} at 16,384 (the default). Keep `Traffic:FlowBuckets` well above the number of devices expected to storm at once.");
        sb.AppendLine();
        sb.AppendLine("With consolidation, a noisy device's repeat that arrives while its previous alert is held joins that alert (same");
        sb.AppendLine("device, same code) instead of taking a place of its own, so the back-end is called once per group (a group spans at most");
        sb.AppendLine("5 minutes and 100 alerts). Well-behaved devices rarely repeat while held, so nearly all the");
        sb.AppendLine("calls saved are the noisy devices'. Each repeat is still accepted, counted and handed to the handler with");
        sb.AppendLine("its group (its wait is measured to its group's release). Critical is never consolidated.");
        sb.AppendLine();
        sb.AppendLine("Consolidation only happens while an alert is held, so it grows with the backlog and stops when there is none: here");
        sb.AppendLine("the groups stay just large enough for the back-end to keep up with the storm (about one call in four saved), so the");
        sb.AppendLine("Bulk backlog never builds and every device's alerts, noisy or not, wait seconds instead of minutes.");
        return sb.ToString();
    }

    private static string Summary(Settings settings, RunResult fifo, RunResult fair, RunResult fewBuckets, Consolidated consolidated)
        => JsonSerializer.Serialize(
            new
            {
                settings.Devices,
                settings.Capacity,
                settings.StormSeconds,
                settings.AfterSeconds,
                settings.CriticalRate,
                settings.Seed,
                fifo,
                fair,
                fewBuckets,
                fifoConsolidated = consolidated.Fifo,
                fairConsolidated = consolidated.Fair,
                handlerCallsRatioFair = (double)consolidated.Fair.HandlerCalls / fair.HandlerCalls,
                handlerCallsRatioFifo = (double)consolidated.Fifo.HandlerCalls / fifo.HandlerCalls,
                criticalP99ChangeConsolidatedFair = fair.Critical.P99 == 0 ? 0 : (consolidated.Fair.Critical.P99 - fair.Critical.P99) / fair.Critical.P99,
                lightBulkP99Ratio = fifo.LightBulk.P99 / Math.Max(fair.LightBulk.P99, 1e-9),
                criticalP99Change = fifo.Critical.P99 == 0 ? 0 : (fair.Critical.P99 - fifo.Critical.P99) / fifo.Critical.P99,
            },
            s_json);

    internal sealed record WaitStats(long Count, double P50, double P95, double P99, double Max);

    internal sealed record RunResult(string Name, WaitStats Critical, WaitStats LightBulk, WaitStats NoisyBulk, long Released, double EndSeconds)
    {
        /// <summary>Gets the number of handler calls (releases): fewer than <see cref="Released"/> when repeats were consolidated.</summary>
        public long HandlerCalls { get; init; }
    }

    private sealed record Consolidated(RunResult Fifo, RunResult Fair);

    internal sealed record Settings(string Output, int Devices, double Capacity, double StormSeconds, double AfterSeconds, double CriticalRate, int Seed)
    {
        public static Settings? Parse(IReadOnlyList<string> args)
        {
            var s = new Settings("noisy-devices-output", 10_000, 200, 1200, 2400, 20, 20260113);
            for (int i = 0; i < args.Count; i++)
            {
                if (args[i] is "--help" or "-h")
                {
                    return null;
                }

                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{args[i]} needs a value; see --help.");
                }

                string value = args[++i];
                s = args[i - 1] switch
                {
                    "--out" => s with { Output = value },
                    "--devices" => s with { Devices = int.Parse(value, CultureInfo.InvariantCulture) },
                    "--capacity" => s with { Capacity = double.Parse(value, CultureInfo.InvariantCulture) },
                    "--storm" => s with { StormSeconds = double.Parse(value, CultureInfo.InvariantCulture) },
                    "--after" => s with { AfterSeconds = double.Parse(value, CultureInfo.InvariantCulture) },
                    "--critical" => s with { CriticalRate = double.Parse(value, CultureInfo.InvariantCulture) },
                    "--seed" => s with { Seed = int.Parse(value, CultureInfo.InvariantCulture) },
                    _ => throw new ArgumentException($"Unknown option {args[i - 1]}; see --help."),
                };
            }

            if (s.Devices < 100 || s.Capacity < 10 || s.StormSeconds <= 0 || s.AfterSeconds < 0 || s.CriticalRate < 0 || s.CriticalRate >= s.Capacity)
            {
                throw new ArgumentException("Use at least 100 devices, a capacity of at least 10/s above the Critical rate, and a positive storm.");
            }

            return s;
        }
    }

    /// <summary>The arrival trace: messages in arrival order, with their arrival ticks and whether a noisy device sent them.</summary>
    internal sealed class Trace
    {
        public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        private static readonly string[] s_codes = ["8FFE", "8FFD", "8FFC", "8FFB", "8FFA", "8FF9", "8FF8", "8FF7"];

        private Trace(DuisMessage[] messages, long[] arrivalTicks, bool[] noisy)
        {
            Messages = messages;
            ArrivalTicks = arrivalTicks;
            Noisy = noisy;
            CriticalCount = messages.Count(m => m.Kind == DuisMessageKind.Response);
            NoisyCount = noisy.Count(n => n);
        }

        public DuisMessage[] Messages { get; }

        public long[] ArrivalTicks { get; }

        public bool[] Noisy { get; }

        public int CriticalCount { get; }

        public int NoisyCount { get; }

        public static Trace Generate(Settings settings)
        {
            var rng = new Random(settings.Seed);
            int noisyDevices = settings.Devices / 100;
            var arrivals = new List<(double At, bool Critical, bool Noisy, int Device)>();

            // Poisson arrivals per stream: Critical throughout; alerts at the storm rate, then the quiet rate; half noisy.
            double end = settings.StormSeconds + settings.AfterSeconds;
            for (double t = Exp(rng, settings.CriticalRate); settings.CriticalRate > 0 && t < end; t += Exp(rng, settings.CriticalRate))
            {
                arrivals.Add((t, true, false, rng.Next(settings.Devices)));
            }

            for (double t = 0; t < end;)
            {
                double rate = t < settings.StormSeconds ? 300 : 60;
                t += Exp(rng, rate);
                if (t >= end)
                {
                    break;
                }

                bool noisy = rng.Next(2) == 0;
                int device = noisy ? rng.Next(noisyDevices) : noisyDevices + rng.Next(settings.Devices - noisyDevices);
                arrivals.Add((t, false, noisy, device));
            }

            arrivals.Sort((a, b) => a.At.CompareTo(b.At));

            // Random EUIs, not consecutive ones: consecutive keys are the best case of the multiplicative flow hash
            // (they never collide while there are fewer devices than buckets), which real estates do not offer.
            var euis = new ulong[settings.Devices];
            for (int d = 0; d < euis.Length; d++)
            {
                euis[d] = (ulong)rng.NextInt64();
            }

            var messages = new DuisMessage[arrivals.Count];
            var ticks = new long[arrivals.Count];
            var noisyFlags = new bool[arrivals.Count];
            for (int i = 0; i < arrivals.Count; i++)
            {
                var (at, critical, noisy, device) = arrivals[i];
                ticks[i] = (long)(at * TimeSpan.TicksPerSecond);
                noisyFlags[i] = noisy;
                var eui = new DeviceId(euis[device]);
                var receivedAt = Start + TimeSpan.FromTicks(ticks[i]);
                messages[i] = critical
                    ? new DuisMessage(DuisMessageKind.Response)
                    {
                        ServiceReferenceVariant = ServiceReferenceVariant.Parse("2.2"),
                        ResponseCode = DuisCode.Parse("I0"),
                        RequestId = string.Create(CultureInfo.InvariantCulture, $"90-B3-D5-1F-30-01-00-00:{eui}:{i}"),
                        ReceivedAt = receivedAt,
                    }
                    : new DuisMessage(DuisMessageKind.DeviceAlert)
                    {
                        // A noisy device repeats its one code; a well-behaved one sends any of a few.
                        AlertCode = DuisCode.Parse(s_codes[noisy ? device % s_codes.Length : rng.Next(s_codes.Length)]),
                        ResponseCode = DuisCode.Parse("I0"),
                        ResponseId = string.Create(CultureInfo.InvariantCulture, $"{eui}:90-B3-D5-1F-30-01-00-00:{i}"),
                        ReceivedAt = receivedAt,
                    };
            }

            return new Trace(messages, ticks, noisyFlags);
        }

        private static double Exp(Random rng, double rate) => -Math.Log(1 - rng.NextDouble()) / rate;
    }
}
