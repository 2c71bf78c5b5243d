using System.Globalization;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;

namespace DuisPrioritiser.Tuning.Internal;

/// <summary>
/// Flattens <see cref="ResponsePrioritisationOptions"/> into configuration keys and values (<c>Traffic:Bulk:MinShare</c>
/// = <c>0.05</c>), to log what a change changed and to tell tunable from start-time settings.
/// </summary>
/// <remarks>
/// Written out by hand rather than by reflection so that it stays trimming- and AOT-safe; a test walks the options
/// types by reflection and fails when a bindable property is missing here.
/// </remarks>
internal static class OptionsDescription
{
    /// <summary>The top-level sections and settings that are read once, at start.</summary>
    private static readonly string[] s_startTimePrefixes =
    [
        "Capacity", "FullMode", "Reader:", "Journal:", "Deduplication:", "Release:", "Health:", "Traffic:FlowBuckets",
        "Traffic:Critical:FairQueueing", "Traffic:High:FairQueueing", "Traffic:Normal:FairQueueing", "Traffic:Low:FairQueueing", "Traffic:Bulk:FairQueueing",
        "Traffic:Consolidation:",
    ];

    public static bool IsStartTime(string key)
    {
        foreach (var prefix in s_startTimePrefixes)
        {
            if (prefix.EndsWith(':') ? key.StartsWith(prefix, StringComparison.Ordinal) : key == prefix)
            {
                return true;
            }
        }

        return false;
    }

    public static SortedDictionary<string, string> Flatten(ResponsePrioritisationOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var d = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        Add(d, "Capacity", o.Capacity);
        Add(d, "FullMode", o.FullMode);
        Add(d, "DefaultLevel", o.DefaultLevel);
        foreach (var (key, level) in o.Overrides.ServiceReferenceVariants)
        {
            Add(d, "Overrides:ServiceReferenceVariants:" + key, level);
        }

        foreach (var (key, level) in o.Overrides.AlertCodes)
        {
            Add(d, "Overrides:AlertCodes:" + key, level);
        }

        foreach (var (key, level) in o.Overrides.DccAlertPayloads)
        {
            Add(d, "Overrides:DccAlertPayloads:" + key, level);
        }

        if (o.Reader is { } reader)
        {
            Add(d, "Reader:MaxMessageBytes", reader.MaxMessageBytes);
            Add(d, "Reader:MaxDepth", reader.MaxDepth);
            Add(d, "Reader:MaxAttributesPerElement", reader.MaxAttributesPerElement);
            Add(d, "Reader:MaxNamespaceDeclarations", reader.MaxNamespaceDeclarations);
        }

        if (o.Drain is { } drain)
        {
            Add(d, "Drain:Policy", drain.Policy);
            if (drain.Weights is { } w)
            {
                Add(d, "Drain:Weights:Critical", w.Critical);
                Add(d, "Drain:Weights:High", w.High);
                Add(d, "Drain:Weights:Normal", w.Normal);
                Add(d, "Drain:Weights:Low", w.Low);
                Add(d, "Drain:Weights:Bulk", w.Bulk);
            }
        }

        if (o.Traffic is { } traffic)
        {
            Add(d, "Traffic:Enabled", traffic.Enabled);
            Add(d, "Traffic:OverdueShare", traffic.OverdueShare);
            Add(d, "Traffic:FlowBuckets", traffic.FlowBuckets);
            foreach (var level in PriorityLevels.All)
            {
                if (traffic.Get(level) is { } t)
                {
                    string prefix = "Traffic:" + level + ":";
                    Add(d, prefix + "MaxWait", t.MaxWait);
                    Add(d, prefix + "MinShare", t.MinShare);
                    Add(d, prefix + "FairQueueing", t.FairQueueing);
                    AddThrottle(d, prefix + "Normal", t.Normal);
                    AddThrottle(d, prefix + "Recovery", t.Recovery);
                }
            }

            foreach (var (code, limits) in traffic.AlertCodes)
            {
                AddThrottle(d, "Traffic:AlertCodes:" + code + ":Normal", limits?.Normal);
                AddThrottle(d, "Traffic:AlertCodes:" + code + ":Recovery", limits?.Recovery);
            }

            if (traffic.Consolidation is { } consolidation)
            {
                Add(d, "Traffic:Consolidation:Levels", string.Join(",", consolidation.Levels));
                Add(d, "Traffic:Consolidation:AlertCodes", string.Join(",", consolidation.AlertCodes));
                Add(d, "Traffic:Consolidation:Window", consolidation.Window);
                Add(d, "Traffic:Consolidation:MaxGroupSize", consolidation.MaxGroupSize);
            }
        }

        if (o.Recovery is { } r)
        {
            Add(d, "Recovery:AutoDetect", r.AutoDetect);
            Add(d, "Recovery:EnterBacklog", r.EnterBacklog);
            Add(d, "Recovery:ExitBacklog", r.ExitBacklog);
            Add(d, "Recovery:EnterArrivalRate", r.EnterArrivalRate);
            Add(d, "Recovery:ArrivalRateWindow", r.ArrivalRateWindow);
            Add(d, "Recovery:HoldTime", r.HoldTime);
        }

        if (o.Pace is { } p)
        {
            Add(d, "Pace:Mode", p.Mode);
            Add(d, "Pace:FixedLimit", p.FixedLimit);
            Add(d, "Pace:InitialLimit", p.InitialLimit);
            Add(d, "Pace:MinLimit", p.MinLimit);
            Add(d, "Pace:MaxLimit", p.MaxLimit);
            Add(d, "Pace:BackoffRatio", p.BackoffRatio);
            Add(d, "Pace:FailureRatioThreshold", p.FailureRatioThreshold);
            Add(d, "Pace:Tolerance", p.Tolerance);
            Add(d, "Pace:Smoothing", p.Smoothing);
            Add(d, "Pace:MinLatencyWindow", p.MinLatencyWindow);
        }

        if (o.Release is { } rel)
        {
            Add(d, "Release:MaxRetryAttempts", rel.MaxRetryAttempts);
            Add(d, "Release:MaxReleaseAttempts", rel.MaxReleaseAttempts?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none");
            Add(d, "Release:MaxAge", rel.MaxAge?.ToString() ?? "none");
            Add(d, "Release:RetryBaseDelay", rel.RetryBaseDelay);
            Add(d, "Release:RetryMaxDelay", rel.RetryMaxDelay);
            Add(d, "Release:UseJitter", rel.UseJitter);
            Add(d, "Release:HandlerTimeout", rel.HandlerTimeout);
            if (rel.CircuitBreaker is { } cb)
            {
                Add(d, "Release:CircuitBreaker:Enabled", cb.Enabled);
                Add(d, "Release:CircuitBreaker:FailureRatio", cb.FailureRatio);
                Add(d, "Release:CircuitBreaker:MinimumThroughput", cb.MinimumThroughput);
                Add(d, "Release:CircuitBreaker:SamplingDuration", cb.SamplingDuration);
                Add(d, "Release:CircuitBreaker:BreakDuration", cb.BreakDuration);
                Add(d, "Release:CircuitBreaker:MaxBreakDuration", cb.MaxBreakDuration);
            }

            Add(d, "Release:ShutdownTimeout", rel.ShutdownTimeout);
        }

        if (o.Health is { } h)
        {
            Add(d, "Health:CriticalWaitDegradedAfter", h.CriticalWaitDegradedAfter);
            Add(d, "Health:UnhealthyAfterConsecutiveFailures", h.UnhealthyAfterConsecutiveFailures);
            Add(d, "Health:UnhealthyAfterBreakerOpenFor", h.UnhealthyAfterBreakerOpenFor);
            Add(d, "Health:UnhealthyAfterStoreUnavailableFor", h.UnhealthyAfterStoreUnavailableFor);
            Add(d, "Health:DegradedWhileRecovering", h.DegradedWhileRecovering);
        }

        if (o.Journal is { } j)
        {
            Add(d, "Journal:Directory", j.Directory);
            Add(d, "Journal:FlushPolicy", j.FlushPolicy);
            Add(d, "Journal:MaxBatchSize", j.MaxBatchSize);
            Add(d, "Journal:MaxBatchDelay", j.MaxBatchDelay);
            Add(d, "Journal:SegmentSize", j.SegmentSize);
            Add(d, "Journal:MaxDiskSize", j.MaxDiskSize);
            Add(d, "Journal:CorruptionHandling", j.CorruptionHandling);
        }

        if (o.Deduplication is { } dd)
        {
            Add(d, "Deduplication:Enabled", dd.Enabled);
            Add(d, "Deduplication:MaxCount", dd.MaxCount);
            Add(d, "Deduplication:MaxAge", dd.MaxAge);
        }

        return d;
    }

    /// <summary>Lists the keys whose values differ (added, removed or changed), in key order.</summary>
    public static List<TuningChange> Diff(SortedDictionary<string, string> before, SortedDictionary<string, string> after)
    {
        var changes = new List<TuningChange>();
        foreach (var key in before.Keys.Union(after.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
        {
            before.TryGetValue(key, out var b);
            after.TryGetValue(key, out var a);
            if (!string.Equals(a, b, StringComparison.Ordinal))
            {
                changes.Add(new TuningChange(key, b, a));
            }
        }

        return changes;
    }

    private static void AddThrottle(SortedDictionary<string, string> d, string prefix, ThrottleOptions? throttle)
    {
        if (throttle is not null)
        {
            Add(d, prefix + ":Rate", throttle.Rate);
            Add(d, prefix + ":Burst", throttle.Burst);
        }
    }

    private static void Add<T>(SortedDictionary<string, string> d, string key, T value)
    {
        string? text = value switch
        {
            null => null,
            TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
            bool flag => flag ? "true" : "false",
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
        if (text is not null)
        {
            d[key] = text;
        }
    }
}
