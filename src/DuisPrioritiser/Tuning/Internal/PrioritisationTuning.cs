using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace DuisPrioritiser.Tuning.Internal;

/// <summary>
/// The built-in <see cref="IPrioritisationTuning"/>: follows the options' change tokens (the ones
/// <see cref="IOptionsMonitor{TOptions}"/> follows), re-binds and validates, and swaps the parts that read the
/// tunable settings.
/// </summary>
/// <remarks>
/// <para><b>Why not <c>IOptionsMonitor.OnChange</c> alone.</b> The monitor validates a reloaded value inside its own
/// change callback: an invalid file throws on the configuration's reload thread, the listener is never called and
/// nobody can log the refusal (dotnet/runtime#44381). This type therefore listens to the same
/// <see cref="IOptionsChangeTokenSource{TOptions}"/> tokens and builds the candidate with
/// <see cref="IOptionsFactory{TOptions}"/> itself, inside a <c>try</c>: a refused change is logged and the settings in
/// force stay.</para>
/// <para><b>Hot path.</b> The scheduler calls a <see cref="SwappableClassifier"/> and a
/// <see cref="SwappableDrainPolicy"/>, each one volatile read of an immutable part; recovery thresholds, alert-code
/// lanes and the in-flight limiter swap their own settings the same way. Changes are applied one at a time under a
/// lock here, which the hot path never takes.</para>
/// </remarks>
internal sealed class PrioritisationTuning : IPrioritisationTuning, IDisposable
{
    private readonly IOptionsFactory<ResponsePrioritisationOptions> _factory;
    private readonly IValidateOptions<ResponsePrioritisationOptions>[] _validators;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<Action<ResponsePrioritisationOptions>> _changes = [];
    private readonly List<IDisposable> _subscriptions = [];

    private ResponsePrioritisationOptions _current;
    private SortedDictionary<string, string> _currentSettings;
    private Parts? _parts;
    private ConcurrencyLimiter? _limiter;

    public PrioritisationTuning(
        IOptions<ResponsePrioritisationOptions> options,
        IOptionsFactory<ResponsePrioritisationOptions> factory,
        IEnumerable<IValidateOptions<ResponsePrioritisationOptions>> validators,
        IEnumerable<IOptionsChangeTokenSource<ResponsePrioritisationOptions>> sources,
        ILogger<PrioritisationTuning>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(validators);
        ArgumentNullException.ThrowIfNull(sources);
        _factory = factory;
        _validators = [.. validators];
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _current = options.Value;
        _currentSettings = OptionsDescription.Flatten(_current);
        foreach (var source in sources)
        {
            if (string.Equals(source.Name ?? Options.DefaultName, Options.DefaultName, StringComparison.Ordinal))
            {
                _subscriptions.Add(ChangeToken.OnChange(source.GetChangeToken, OnConfigurationChanged));
            }
        }
    }

    public ResponsePrioritisationOptions Current => Volatile.Read(ref _current);

    /// <summary>Connects the scheduler's swappable parts; called once, when the scheduler is created.</summary>
    public void Attach(ResponseReleaseScheduler scheduler, SwappableClassifier classifier, SwappableDrainPolicy? policy, Func<ResponsePrioritisationOptions, IPriorityClassifier> createClassifier, TimeProvider timeProvider)
    {
        lock (_gate)
        {
            _parts = new Parts(scheduler, classifier, policy, createClassifier, timeProvider);
        }
    }

    /// <summary>Connects the release loop's limiter and gives it the pace settings in force (a change may have come before the loop).</summary>
    public void AttachLimiter(ConcurrencyLimiter limiter)
    {
        lock (_gate)
        {
            _limiter = limiter;
            limiter.Retune(_current.Pace);
        }
    }

    public TuningResult Apply(Action<ResponsePrioritisationOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            var result = Rebuild([.. _changes, change], source: "an Apply call", refuseStartTime: true);
            if (result.Applied)
            {
                _changes.Add(change);
            }

            return result;
        }
    }

    public TuningResult Reset()
    {
        lock (_gate)
        {
            var result = Rebuild([], source: "Reset", refuseStartTime: false);
            if (result.Applied)
            {
                _changes.Clear();
            }

            return result;
        }
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }

    private void OnConfigurationChanged()
    {
        try
        {
            lock (_gate)
            {
                Rebuild([.. _changes], source: "configuration", refuseStartTime: false);
            }
        }
#pragma warning disable CA1031 // This runs on the configuration's reload thread: nothing there could handle it.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.TuningFailed(_logger, exception);
        }
    }

    /// <summary>Builds the candidate (configuration, then <paramref name="changes"/>), validates, applies. Under <see cref="_gate"/>.</summary>
    private TuningResult Rebuild(List<Action<ResponsePrioritisationOptions>> changes, string source, bool refuseStartTime)
    {
        ResponsePrioritisationOptions candidate;
        var errors = new List<string>();
        try
        {
            candidate = _factory.Create(Options.DefaultName);
            foreach (var change in changes)
            {
                change(candidate);
            }
        }
        catch (OptionsValidationException exception)
        {
            return Refuse(source, [.. exception.Failures]);
        }
        catch (InvalidOperationException exception)
        {
            // The binder reports an unknown key or a value it cannot convert this way.
            return Refuse(source, [exception.Message]);
        }

        foreach (var validator in _validators)
        {
            var validation = validator.Validate(Options.DefaultName, candidate);
            if (validation.Failed)
            {
                errors.AddRange(validation.Failures ?? [validation.FailureMessage]);
            }
        }

        if (errors.Count > 0)
        {
            return Refuse(source, errors);
        }

        var settings = OptionsDescription.Flatten(candidate);
        var all = OptionsDescription.Diff(_currentSettings, settings);
        var changed = all.Where(c => !OptionsDescription.IsStartTime(c.Setting)).ToList();
        var ignored = all.Where(c => OptionsDescription.IsStartTime(c.Setting)).ToList();
        if (refuseStartTime && ignored.Count > 0)
        {
            return Refuse(source, [.. ignored.Select(c => $"{ResponsePrioritisationOptions.SectionName}:{c.Setting} is a start-time setting: change it in configuration and restart.")]);
        }

        // Start-time settings stay as they were, so Current describes what is in force.
        var previous = _current;
        candidate.Capacity = previous.Capacity;
        candidate.FullMode = previous.FullMode;
        candidate.Reader = previous.Reader;
        candidate.Journal = previous.Journal;
        candidate.Deduplication = previous.Deduplication;
        candidate.Release = previous.Release;
        candidate.Health = previous.Health;
        KeepFairness(candidate.Traffic, previous.Traffic);

        foreach (var change in ignored)
        {
            Log.TuningStartTimeSettingChanged(_logger, change.Setting, change.Before ?? "(none)", change.After ?? "(none)");
        }

        if (changed.Count > 0)
        {
            ApplyToParts(candidate);
            Volatile.Write(ref _current, candidate);
            _currentSettings = OptionsDescription.Flatten(candidate);
            string described = string.Join("; ", changed);
            Log.TuningApplied(_logger, source, changed.Count, described);
        }

        return new TuningResult(true, changed, ignored, []);
    }

    /// <summary>Fair queueing shapes the store's levels when it is built: keep what is in force.</summary>
    private static void KeepFairness(TrafficOptions candidate, TrafficOptions previous)
    {
        candidate.FlowBuckets = previous.FlowBuckets;
        candidate.UseFlowKey(previous.FlowKey);
        candidate.Consolidation = previous.Consolidation;
        foreach (var level in PriorityLevels.All)
        {
            candidate.Get(level).FairQueueing = previous.Get(level).FairQueueing;
        }
    }

    private TuningResult Refuse(string source, List<string> errors)
    {
        Log.TuningRefused(_logger, source, string.Join(" ", errors));
        return new TuningResult(false, [], [], errors);
    }

    private void ApplyToParts(ResponsePrioritisationOptions options)
    {
        if (_parts is { } parts)
        {
            parts.Classifier.Swap(parts.CreateClassifier(options));
            parts.Policy?.Swap(DrainPolicies.Create(options, parts.TimeProvider));
            parts.Scheduler.ApplyTuning(options);
        }

        _limiter?.Retune(options.Pace);
    }

    private sealed record Parts(
        ResponseReleaseScheduler Scheduler,
        SwappableClassifier Classifier,
        SwappableDrainPolicy? Policy,
        Func<ResponsePrioritisationOptions, IPriorityClassifier> CreateClassifier,
        TimeProvider TimeProvider);
}
