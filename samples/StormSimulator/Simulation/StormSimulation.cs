using System.Diagnostics;
using DuisPrioritiser.Classification;
using Microsoft.Extensions.Time.Testing;

namespace StormSimulator.Simulation;

/// <summary>Runs a scenario: generates the trace, computes the ideal, and runs every policy on the same trace.</summary>
internal static class StormSimulation
{
    /// <summary>Runs <paramref name="options"/>.</summary>
    /// <param name="options">The scenario.</param>
    /// <param name="progress">Receives progress lines; may be <see langword="null"/>.</param>
    /// <returns>The result.</returns>
    public static SimulationResult Run(ScenarioOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var wall = Stopwatch.StartNew();
        var trace = ArrivalTrace.Generate(options, SchedulerClassification.CreateChain());
        var counts = trace.CountByLevel();
        progress?.Invoke($"Trace: {trace.Count:N0} messages ({trace.BacklogCount:N0} backlog) - " + string.Join(", ", PriorityLevels.All.Select(l => $"{l} {counts[(int)l]:N0}")) + $" - {wall.Elapsed.TotalSeconds:0.0} s");

        var idealRelease = IdealSchedule.ComputeReleaseTicks(trace.ArrivalTicks, trace.Levels, PriorityLevels.Count, options.ServiceTicks);
        var idealWaits = new long[trace.Count];
        for (int i = 0; i < idealWaits.Length; i++)
        {
            idealWaits[i] = idealRelease[i] - trace.ArrivalTicks[i];
        }

        progress?.Invoke($"Ideal computed - {wall.Elapsed.TotalSeconds:0.0} s");
        if (options.BackendOutage is not null)
        {
            return new SimulationResult(options, trace, idealWaits, BackendOutageRuns.Run(trace, options, progress));
        }

        var names = options.Policies.Count == 0 ? PolicyNames.All : PolicyNames.All.Where(options.Policies.Contains).ToArray();
        var runs = new PolicyRun[names.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallel ? Environment.ProcessorCount : 1 };
        Parallel.For(0, names.Count, parallel, i => runs[i] = RunPolicy(names[i], trace, options, progress));
        progress?.Invoke($"All policies done - {wall.Elapsed.TotalSeconds:0.0} s");
        return new SimulationResult(options, trace, idealWaits, runs);
    }

    /// <summary>Runs one policy on <paramref name="trace"/>.</summary>
    /// <param name="name">The policy name (see <see cref="PolicyNames"/>).</param>
    /// <param name="trace">The trace.</param>
    /// <param name="options">The scenario.</param>
    /// <param name="progress">Receives progress lines; may be <see langword="null"/>.</param>
    /// <returns>The run.</returns>
    public static PolicyRun RunPolicy(string name, ArrivalTrace trace, ScenarioOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(options);
        var time = new FakeTimeProvider(ArrivalTrace.Start);
        using var queue = CreateQueue(name, time, trace, options);
        return StormEngine.Run(trace, options, time, queue, progress);
    }

    /// <summary>Creates the queue of policy <paramref name="name"/>, reading <paramref name="time"/>.</summary>
    /// <param name="name">The policy name (see <see cref="PolicyNames"/>).</param>
    /// <param name="time">The virtual clock.</param>
    /// <param name="trace">The trace.</param>
    /// <param name="options">The scenario.</param>
    /// <returns>The queue.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="name"/> is not a known policy.</exception>
    public static ISimulatedQueue CreateQueue(string name, FakeTimeProvider time, ArrivalTrace trace, ScenarioOptions options) => name switch
    {
        PolicyNames.Fifo => new FifoQueue(),
        PolicyNames.PrioritizedChannel => new PrioritizedChannelQueue(trace.Levels),
        PolicyNames.StrictPriority => SchedulerQueue.CreateStrict(time, trace, options),
        PolicyNames.Default when options.JournalDirectory is { } journal => JournalSchedulerQueue.Create(name, time, trace, options, journal),
        PolicyNames.Default => SchedulerQueue.CreateDefault(time, trace, options),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"Unknown policy: use {string.Join(", ", PolicyNames.All)}."),
    };
}
