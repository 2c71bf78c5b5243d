using DuisPrioritiser;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using Microsoft.Extensions.DependencyInjection;

namespace StormSimulator.Simulation;

/// <summary>
/// The real <see cref="ResponseReleaseScheduler"/>, built the way an integrator builds it
/// (<c>services.AddResponsePrioritisation(...)</c>) with the simulator's <see cref="TimeProvider"/> registered, and
/// driven in pull mode: <see cref="IResponseReleaseScheduler.TryEnqueue(DuisPrioritiser.Duis.DuisMessage)"/> (the
/// scheduler classifies), <see cref="IResponseReleaseScheduler.TryDequeue"/> and
/// <see cref="IResponseReleaseScheduler.AcknowledgeAsync"/>.
/// </summary>
internal sealed class SchedulerQueue : ISimulatedQueue
{
    private readonly ServiceProvider _provider;
    private readonly ResponseReleaseScheduler _scheduler;
    private readonly ArrivalTrace _trace;
    private readonly ReleasedMessage[] _inFlight;

    private SchedulerQueue(string name, ServiceProvider provider, ArrivalTrace trace)
    {
        Name = name;
        _provider = provider;
        _trace = trace;
        _scheduler = provider.GetRequiredService<ResponseReleaseScheduler>();
        _inFlight = new ReleasedMessage[trace.Count];
    }

    public string Name { get; }

    public string? Mode => _scheduler.Mode.ToString();

    /// <summary>Gets the number of releases whose level differed from the trace's classification (0 unless the classifiers disagree).</summary>
    public long LevelMismatches { get; private set; }

    /// <summary>Gets the most recent release, as the scheduler reported it (its level and its own wait measurement).</summary>
    public ReleasedMessage LastReleased { get; private set; }

    /// <summary>Gets the scheduler.</summary>
    public ResponseReleaseScheduler Scheduler => _scheduler;

    /// <summary>Creates the scheduler with the drain policy <c>AddResponsePrioritisation</c> registers by default (traffic management on).</summary>
    public static SchedulerQueue CreateDefault(TimeProvider timeProvider, ArrivalTrace trace, ScenarioOptions scenario)
        => Create(PolicyNames.Default, timeProvider, trace, scenario, strict: false);

    /// <summary>Creates the scheduler with <see cref="DrainPolicies.StrictPriority"/>.</summary>
    public static SchedulerQueue CreateStrict(TimeProvider timeProvider, ArrivalTrace trace, ScenarioOptions scenario)
        => Create(PolicyNames.StrictPriority, timeProvider, trace, scenario, strict: true);

    /// <summary>Applies the simulator's settings to the options: a capacity that holds the whole trace and any Default-policy overrides from the command line.</summary>
    public static void Configure(ResponsePrioritisationOptions options, ArrivalTrace trace, ScenarioOptions scenario)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(scenario);

        // The library default (500,000) would refuse half of a 1,000,000-message flood: size it to the trace.
        options.Capacity = Math.Max(options.Capacity, trace.Count);
        if (scenario.BulkMaxWaitSeconds is { } maxWait)
        {
            options.Traffic.Bulk.MaxWait = TimeSpan.FromSeconds(maxWait);
        }

        if (scenario.BulkMinShare is { } minShare)
        {
            options.Traffic.Bulk.MinShare = minShare;
        }

        if (scenario.OverdueShare is { } overdueShare)
        {
            options.Traffic.OverdueShare = overdueShare;
        }

        if (scenario.BulkRecoveryRate is > 0 and { } rate)
        {
            options.Traffic.Bulk.Recovery.Rate = rate;
            options.Traffic.Bulk.Recovery.Burst = Math.Max(1, (int)Math.Ceiling(rate / 10));
        }
    }

    public void Enqueue(int index)
    {
        if (!_scheduler.TryEnqueue(_trace.Messages[index]))
        {
            throw new InvalidOperationException($"{Name}: the scheduler refused message {index} ({_scheduler.Count} held).");
        }
    }

    public bool TryDequeue(out int index)
    {
        if (!_scheduler.TryDequeue(out var released))
        {
            index = -1;
            return false;
        }

        index = _trace.IndexOf(released.Message);
        if ((byte)released.Level != _trace.Levels[index])
        {
            LevelMismatches++;
        }

        _inFlight[index] = released;
        LastReleased = released;
        return true;
    }

    public void OnHandled(int index)
    {
        var released = _inFlight[index];
        _inFlight[index] = default;
        var acknowledged = _scheduler.AcknowledgeAsync(released);
        if (!acknowledged.IsCompletedSuccessfully)
        {
            acknowledged.AsTask().GetAwaiter().GetResult();
        }
    }

    public void Dispose() => _provider.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static SchedulerQueue Create(string name, TimeProvider timeProvider, ArrivalTrace trace, ScenarioOptions scenario, bool strict)
    {
        var services = new ServiceCollection();
        services.AddSingleton(timeProvider);
        var builder = services.AddResponsePrioritisation(options => Configure(options, trace, scenario));

        if (strict)
        {
            builder.UseDrainPolicy(DrainPolicies.StrictPriority());
        }

        return new SchedulerQueue(name, services.BuildServiceProvider(validateScopes: true), trace);
    }
}
