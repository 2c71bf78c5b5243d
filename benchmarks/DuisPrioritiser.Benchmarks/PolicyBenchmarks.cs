using BenchmarkDotNet.Attributes;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// The cost of one drain decision (TrySelectLevel + OnReleased) with every level backlogged: plain strict priority
/// (baseline), weighted fair, and the default traffic policy (bounded strict) in its normal, overdue and throttled
/// states. The state source is a fixed in-memory view, so only the policy is measured.
/// </summary>
[MemoryDiagnoser]
public class PolicyBenchmarks
{
    private const int Decisions = 1000;

    private readonly FixedSource _source = new();
    private readonly FixedSource _overdueSource = new() { BulkWait = TimeSpan.FromHours(2) };
    private readonly FixedSource _recoverySource = new() { Mode = TrafficMode.Recovery };
    private IDrainPolicy _strict = null!;
    private IDrainPolicy _weighted = null!;
    private IDrainPolicy _bounded = null!;
    private IDrainPolicy _boundedOverdue = null!;
    private IDrainPolicy _boundedThrottled = null!;
    private IDrainPolicy _boundedSwappable = null!;

    [GlobalSetup]
    public void Setup()
    {
        _strict = DrainPolicies.StrictPriority();
        _weighted = DrainPolicies.WeightedFair(new PriorityLevelWeights());
        _bounded = DrainPolicies.Create(new ResponsePrioritisationOptions());
        _boundedOverdue = DrainPolicies.Create(new ResponsePrioritisationOptions());
        var throttled = new ResponsePrioritisationOptions();
        throttled.Traffic.Critical.Recovery.Rate = 100;
        throttled.Traffic.Bulk.Recovery.Rate = 1000;
        _boundedThrottled = DrainPolicies.Create(throttled);
        _boundedSwappable = new Tuning.Internal.SwappableDrainPolicy(DrainPolicies.Create(new ResponsePrioritisationOptions()));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Decisions)]
    public int StrictPriority() => Run(_strict, _source);

    [Benchmark(OperationsPerInvoke = Decisions)]
    public int WeightedFair() => Run(_weighted, _source);

    [Benchmark(OperationsPerInvoke = Decisions)]
    public int DefaultBoundedStrict() => Run(_bounded, _source);

    /// <summary>The default policy behind the wrapper that tuning without restart swaps (what DI registers).</summary>
    [Benchmark(OperationsPerInvoke = Decisions)]
    public int DefaultBoundedStrictTunable() => Run(_boundedSwappable, _source);

    [Benchmark(OperationsPerInvoke = Decisions)]
    public int DefaultBoundedStrictBulkOverdue() => Run(_boundedOverdue, _overdueSource);

    [Benchmark(OperationsPerInvoke = Decisions)]
    public int BoundedStrictRecoveryThrottled() => Run(_boundedThrottled, _recoverySource);

    private static int Run(IDrainPolicy policy, FixedSource source)
    {
        int sum = 0;
        var state = new DrainState(source, TimeProvider.System.GetTimestamp(), TimeProvider.System);
        for (int i = 0; i < Decisions; i++)
        {
            if (policy.TrySelectLevel(in state, out var level))
            {
                policy.OnReleased(level, in state);
                sum += (int)level;
            }
        }

        return sum;
    }

    private sealed class FixedSource : IDrainStateSource
    {
        public TimeSpan BulkWait { get; init; } = TimeSpan.FromMinutes(1);

        public TrafficMode Mode { get; init; }

        public long GetCount(int level) => 1_000;

        public int GetOccupancyMask() => 0b11111;

        public TimeSpan GetOldestWait(int level, long timestamp) => level == (int)PriorityLevel.Bulk ? BulkWait : TimeSpan.FromSeconds(level);
    }
}
