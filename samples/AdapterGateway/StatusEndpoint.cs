using AdapterGateway.BackEnd;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;

namespace AdapterGateway;

/// <summary><c>GET /status</c>: the scheduler's snapshot and the back-end's state, as JSON.</summary>
internal static class StatusEndpoint
{
    public static IResult Get(IResponseReleaseScheduler scheduler, BackEndControl backEnd)
    {
        var snapshot = scheduler.GetSnapshot();
        return Results.Ok(new GatewayStatus(
            snapshot.Mode,
            snapshot.TotalCount,
            snapshot.Capacity,
            snapshot.DeferredCount,
            snapshot.InFlight,
            snapshot.IsCompleted,
            snapshot.TakenAt,
            [.. snapshot.Levels.Select(l => new LevelStatus(l.Level, l.Count, l.OldestWait.TotalSeconds))],
            new BackEndStatus(backEnd.IsPaused, backEnd.ProcessedCount)));
    }

    /// <summary>The scheduler at a moment.</summary>
    /// <param name="Mode">Normal or Recovery.</param>
    /// <param name="Held">Messages held, across levels and throttles.</param>
    /// <param name="Capacity">The most messages held before the gateway answers 503.</param>
    /// <param name="Deferred">Held messages set aside by per-alert-code throttles.</param>
    /// <param name="InFlight">Messages released to the back-end and not yet finished.</param>
    /// <param name="IsCompleted">Whether the scheduler has stopped accepting (shutting down).</param>
    /// <param name="TakenAt">When the snapshot was taken.</param>
    /// <param name="Levels">Per level, highest first.</param>
    /// <param name="BackEnd">The simulated back-end.</param>
    internal sealed record GatewayStatus(
        TrafficMode Mode,
        long Held,
        long Capacity,
        long Deferred,
        long InFlight,
        bool IsCompleted,
        DateTimeOffset TakenAt,
        IReadOnlyList<LevelStatus> Levels,
        BackEndStatus BackEnd);

    /// <summary>One level.</summary>
    /// <param name="Level">The level.</param>
    /// <param name="Count">Messages held at it.</param>
    /// <param name="OldestWaitSeconds">How long the oldest of them has waited.</param>
    internal sealed record LevelStatus(PriorityLevel Level, long Count, double OldestWaitSeconds);
}
