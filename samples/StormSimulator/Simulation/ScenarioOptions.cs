using System.Globalization;

namespace StormSimulator.Simulation;

/// <summary>Everything that defines a storm scenario and the policies' settings. All of it can be set from the command line.</summary>
internal sealed class ScenarioOptions
{
    /// <summary>Gets or sets the outage backlog: messages queued during the outage, all handed to the adapter at t = 0.</summary>
    public int BacklogCount { get; set; } = 1_000_000;

    /// <summary>Gets or sets the back-end capacity in messages per second.</summary>
    public double Capacity { get; set; } = 500;

    /// <summary>Gets or sets the ongoing (normal) arrival rate in messages per second, a Poisson process.</summary>
    public double NormalRate { get; set; } = 50;

    /// <summary>Gets or sets how long ongoing arrivals continue, in seconds from t = 0.</summary>
    public double DurationSeconds { get; set; } = 3600;

    /// <summary>Gets or sets the seed of every random choice (mix, arrivals, latency jitter, failures).</summary>
    public int Seed { get; set; } = 20260101;

    /// <summary>Gets or sets the back-end latency per message in seconds: the back-end runs round(capacity x latency) workers in parallel.</summary>
    public double LatencySeconds { get; set; } = 0.1;

    /// <summary>Gets or sets the latency jitter: each call takes latency x U(1 - j, 1 + j).</summary>
    public double LatencyJitter { get; set; }

    /// <summary>Gets or sets the probability that a back-end call fails; a failed message is retried by the back-end after <see cref="RetryDelaySeconds"/>.</summary>
    public double FailureRate { get; set; }

    /// <summary>Gets or sets the delay before a failed message is retried, in seconds.</summary>
    public double RetryDelaySeconds { get; set; } = 1;

    /// <summary>Gets or sets how often an idle back-end polls a scheduler that holds messages but releases none (throttled), in seconds.</summary>
    public double PollSeconds { get; set; } = 0.001;

    /// <summary>Gets or sets the interval at which backlog by class is sampled for the chart, in seconds.</summary>
    public double SampleSeconds { get; set; } = 10;

    /// <summary>Gets or sets the message mix.</summary>
    public MessageMix Mix { get; set; } = MessageMix.Default;

    /// <summary>Gets or sets the Default policy's Bulk maximum wait in seconds; <see langword="null"/> keeps the library default.</summary>
    public double? BulkMaxWaitSeconds { get; set; }

    /// <summary>Gets or sets the Default policy's Bulk minimum share; <see langword="null"/> keeps the library default.</summary>
    public double? BulkMinShare { get; set; }

    /// <summary>Gets or sets the Default policy's overdue share; <see langword="null"/> keeps the library default.</summary>
    public double? OverdueShare { get; set; }

    /// <summary>Gets or sets the Default policy's Bulk release-rate limit in Recovery mode, messages per second; <see langword="null"/> or 0 keeps it unthrottled.</summary>
    public double? BulkRecoveryRate { get; set; }

    /// <summary>Gets or sets the policies to run (names as in summary.json); empty runs all.</summary>
    public IReadOnlyList<string> Policies { get; set; } = [];

    /// <summary>Gets or sets the back-end outage (<c>--backend-outage</c>); <see langword="null"/> for none.</summary>
    public BackendOutage? BackendOutage { get; set; }

    /// <summary>Gets or sets a value indicating whether policies run in parallel (one thread each, up to the processor count).</summary>
    public bool Parallel { get; set; } = true;

    /// <summary>Gets or sets the journal directory: when set, the Default policy runs with the file journal as the backlog (see <see cref="JournalSchedulerQueue"/>).</summary>
    public string? JournalDirectory { get; set; }

    /// <summary>Gets or sets the raw body size of each message with the journal on, in bytes.</summary>
    public int JournalBodyBytes { get; set; } = 2048;

    /// <summary>Gets or sets the number of scheduler instances sharing one PostgreSQL backlog (<c>--instances</c>); 0 runs the virtual-time simulator instead.</summary>
    public int Instances { get; set; }

    /// <summary>Gets or sets the PostgreSQL connection string of the scale-out run (<c>--postgres</c>; default: the <c>DUIS_TEST_POSTGRES</c> environment variable).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Gets or sets the wall-clock milliseconds one simulated second takes in the scale-out run (<c>--time-scale</c>).</summary>
    public double TimeScaleMilliseconds { get; set; } = 100;

    /// <summary>Gets or sets the most wall-clock seconds a scale-out run may take before it stops and reports what it released (<c>--wall-limit</c>); <see langword="null"/> for no limit.</summary>
    public double? WallLimitSeconds { get; set; }

    /// <summary>Gets the number of back-end workers.</summary>
    public int Workers => Math.Max(1, (int)Math.Round(Capacity * LatencySeconds));

    /// <summary>Gets the ticks one release takes at full capacity (1 / capacity).</summary>
    public long ServiceTicks => Math.Max(1, (long)Math.Round(TimeSpan.TicksPerSecond / Capacity));

    /// <summary>Throws when a setting is out of range, saying which and what to use.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        Require(BacklogCount >= 0, "--n must be 0 or more.");
        Require(Capacity is > 0 and <= 10_000_000, "--capacity must be greater than 0 (messages per second).");
        Require(NormalRate >= 0 && NormalRate < Capacity, "--normal-rate must be at least 0 and below --capacity, or the backlog never clears.");
        Require(DurationSeconds >= 0, "--duration must be 0 or more seconds.");
        Require(LatencySeconds >= 0, "--latency must be 0 or more seconds.");
        Require(LatencyJitter is >= 0 and < 1, "--latency-jitter must be at least 0 and below 1.");
        Require(FailureRate is >= 0 and < 1, "--failure-rate must be at least 0 and below 1.");
        Require(RetryDelaySeconds >= 0, "--retry-delay must be 0 or more seconds.");
        Require(PollSeconds > 0, "--poll must be greater than 0 seconds.");
        Require(SampleSeconds > 0, "--sample must be greater than 0 seconds.");
        Require(BulkMaxWaitSeconds is null or >= 0, "--bulk-max-wait must be 0 or more seconds.");
        Require(BulkMinShare is null or (>= 0 and <= 0.5), "--bulk-min-share must be between 0 and 0.5.");
        Require(OverdueShare is null or (> 0 and <= 1), "--overdue-share must be greater than 0 and at most 1.");
        Require(BulkRecoveryRate is null or >= 0, "--bulk-recovery-rate must be 0 (unthrottled) or more messages per second.");
        Require(Instances is >= 0 and <= 32, "--instances must be between 1 and 32.");
        Require(WallLimitSeconds is null or > 0, "--wall-limit must be greater than 0 seconds.");
        Require(TimeScaleMilliseconds is > 0 and <= 60_000, "--time-scale must be greater than 0 and at most 60,000 milliseconds per simulated second.");
        if (Instances > 0)
        {
            Require(!string.IsNullOrWhiteSpace(PostgresConnectionString), "--instances needs --postgres <connection string> (or the DUIS_TEST_POSTGRES environment variable).");
            Require(BackendOutage is null && JournalDirectory is null, "--instances runs on PostgreSQL: --backend-outage and --journal do not apply.");
            Require(FailureRate == 0 && LatencyJitter == 0, "--instances: the scale-out back-end has no failures or jitter; leave --failure-rate and --latency-jitter at 0.");
            Require(Policies.All(p => p == PolicyNames.Default), "--instances runs the Default policy (what AddResponsePrioritisation registers) only.");
        }

        foreach (var name in Policies)
        {
            Require(PolicyNames.All.Contains(name, StringComparer.Ordinal), $"--policies: unknown policy '{name}': use {string.Join(", ", PolicyNames.All)}.");
            Require(BackendOutage is null || name is PolicyNames.StrictPriority or PolicyNames.Default, $"--policies: with --backend-outage only the scheduler's policies run (StrictPriority, Default), not '{name}'.");
        }
    }

    /// <summary>Describes the scenario in one line.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"N = {BacklogCount:N0} at t = 0, C = {Capacity:0.###}/s ({Workers} workers x {Workers / Capacity:0.###} s), normal rate {NormalRate:0.###}/s for {DurationSeconds:0.###} s, failures {(FailureRate) * 100:0}%, seed {Seed}{(BackendOutage is { } outage ? $", back-end down {outage.StartSeconds:0.###}-{outage.StartSeconds + outage.DurationSeconds:0.###} s" : string.Empty)}");

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
