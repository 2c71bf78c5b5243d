namespace DuisPrioritiser.AspNetCore.Admin.Internal;

/// <summary>One second of dashboard history.</summary>
/// <param name="Sequence">The point's number, from 1.</param>
/// <param name="At">When the snapshot was taken.</param>
/// <param name="Held">Messages held per level, highest first.</param>
/// <param name="Deferred">Messages set aside by per-alert-code throttles.</param>
/// <param name="ReleasedTotal">Messages released since the dashboard started.</param>
/// <param name="RejectedTotal">Messages refused since the dashboard started.</param>
/// <param name="InFlight">Released messages not yet acknowledged.</param>
internal readonly record struct DashboardPoint(long Sequence, DateTimeOffset At, long[] Held, long Deferred, long ReleasedTotal, long RejectedTotal, long InFlight);
