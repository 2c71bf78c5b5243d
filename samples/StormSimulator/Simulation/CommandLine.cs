using System.Globalization;

namespace StormSimulator.Simulation;

/// <summary>Parses the command line into a <see cref="ScenarioOptions"/> and an output folder.</summary>
internal static class CommandLine
{
    public const string Usage = """
        Outage-recovery storm simulator: drives the real DuisPrioritiser scheduler in virtual time and compares it with
        FIFO, Channel.CreateUnboundedPrioritized and the ideal lower bound on the same arrival trace.

        Usage: dotnet run -c Release --project samples/StormSimulator -- [options]

          --out <dir>                 output folder for report.md, chart.svg, summary.json (default: storm-output)
          --n <count>                 outage backlog, all at t = 0 (default 1000000)
          --capacity <per second>     back-end capacity, messages per second (default 500)
          --normal-rate <per second>  ongoing Poisson arrivals (default 50)
          --duration <seconds>        how long ongoing arrivals last (default 3600)
          --seed <int>                random seed (default 20260101)
          --latency <seconds>         back-end call time; workers = capacity x latency (default 0.1)
          --latency-jitter <0..1>     each call takes latency x U(1-j, 1+j) (default 0)
          --failure-rate <0..1>       share of calls that fail and are retried (default 0)
          --retry-delay <seconds>     delay before a failed call is retried (default 1)
          --mix <k=v,...>             category weights: alerts, scheduled, ondemand, prepayment, install, supply
                                      (default alerts=60,scheduled=20,ondemand=10,prepayment=5,install=3,supply=2)
          --alert-mix <k=v,...>       alert weights within alerts: bulk, prepayment, supply, outage
                                      (default bulk=55,prepayment=2,supply=1,outage=2)
          --bulk-max-wait <seconds>   Default policy: Bulk maximum wait (library default 3600)
          --bulk-min-share <0..0.5>   Default policy: Bulk minimum share (library default 0.05)
          --overdue-share <0..1>      Default policy: overdue share (library default 0.5)
          --bulk-recovery-rate <n>    Default policy: Bulk release-rate limit in Recovery mode (default none)
          --policies <a,b,...>        run only these: Fifo, PrioritizedChannel, StrictPriority, Default
          --sample <seconds>          backlog sampling interval for the chart (default 10)
          --poll <seconds>            idle back-end poll interval while the queue is throttled (default 0.001)
          --backend-outage <s>:<s>    START:DURATION in seconds of simulated time: the back-end fails every call in that
                                      window; runs StrictPriority and Default through the real release loop (Polly
                                      retry, circuit breaker, back-end gate), each also without the outage
          --journal <dir>             Default policy with the file journal as the backlog (default options), in <dir>
          --journal-body <bytes>      raw body size per message with --journal (default 2048)
          --instances <n>             run the Default policy on n schedulers sharing one PostgreSQL backlog, in scaled
                                      time (each built with AddResponsePrioritisation().UsePostgreSql(...))
          --postgres <connection>     the PostgreSQL server for --instances (default: DUIS_TEST_POSTGRES)
          --time-scale <ms>           wall-clock milliseconds per simulated second with --instances (default 100)
          --wall-limit <seconds>      with --instances: stop after this much wall-clock time and report what was released
          --sequential                run the policies one after another instead of in parallel
          --help                      show this text
        """;

    /// <summary>Parses <paramref name="args"/>.</summary>
    /// <returns>The options, the output folder, and whether help was asked for.</returns>
    /// <exception cref="ArgumentException">An option is unknown, lacks its value, or has a malformed value.</exception>
    public static (ScenarioOptions Options, string Output, bool Help) Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new ScenarioOptions();
        string output = "storm-output";
        string? mix = null;
        string? alertMix = null;
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            switch (name)
            {
                case "--help" or "-h" or "-?":
                    return (options, output, true);
                case "--sequential":
                    options.Parallel = false;
                    continue;
            }

            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value; see --help.");
            }

            string value = args[++i];
            switch (name)
            {
                case "--out": output = value; break;
                case "--n": options.BacklogCount = Int(name, value); break;
                case "--capacity": options.Capacity = Double(name, value); break;
                case "--normal-rate": options.NormalRate = Double(name, value); break;
                case "--duration": options.DurationSeconds = Double(name, value); break;
                case "--seed": options.Seed = Int(name, value); break;
                case "--latency": options.LatencySeconds = Double(name, value); break;
                case "--latency-jitter": options.LatencyJitter = Double(name, value); break;
                case "--failure-rate": options.FailureRate = Double(name, value); break;
                case "--retry-delay": options.RetryDelaySeconds = Double(name, value); break;
                case "--mix": mix = value; break;
                case "--alert-mix": alertMix = value; break;
                case "--bulk-max-wait": options.BulkMaxWaitSeconds = Double(name, value); break;
                case "--bulk-min-share": options.BulkMinShare = Double(name, value); break;
                case "--overdue-share": options.OverdueShare = Double(name, value); break;
                case "--bulk-recovery-rate": options.BulkRecoveryRate = Double(name, value); break;
                case "--policies": options.Policies = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--sample": options.SampleSeconds = Double(name, value); break;
                case "--poll": options.PollSeconds = Double(name, value); break;
                case "--backend-outage": options.BackendOutage = BackendOutage.Parse(value); break;
                case "--journal": options.JournalDirectory = value; break;
                case "--journal-body": options.JournalBodyBytes = Int(name, value); break;
                case "--instances": options.Instances = Int(name, value); break;
                case "--postgres": options.PostgresConnectionString = value; break;
                case "--time-scale": options.TimeScaleMilliseconds = Double(name, value); break;
                case "--wall-limit": options.WallLimitSeconds = Double(name, value); break;
                default: throw new ArgumentException($"Unknown option {name}; see --help.");
            }
        }

        options.Mix = MessageMix.Default.With(mix, alertMix);
        if (options.Instances > 0 && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            options.PostgresConnectionString = Environment.GetEnvironmentVariable("DUIS_TEST_POSTGRES");
        }

        options.Validate();
        return (options, output, false);
    }

    private static int Int(string name, string value)
        => int.TryParse(value.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new ArgumentException($"{name} expects a whole number, not '{value}'.");

    private static double Double(string name, string value)
        => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double result) && double.IsFinite(result)
            ? result
            : throw new ArgumentException($"{name} expects a number, not '{value}'.");
}
