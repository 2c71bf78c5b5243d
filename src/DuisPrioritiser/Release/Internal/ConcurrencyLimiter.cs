using DuisPrioritiser.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuisPrioritiser.Release.Internal;

/// <summary>How one handler attempt ended, as the limiter sees it.</summary>
internal enum PaceSample
{
    Success,
    Failure,
    Timeout,
}

/// <summary>
/// The in-flight limit of the release loop, fixed or adaptive (see <see cref="PaceOptions"/> for the algorithm), and
/// the gate that holds the loop to it.
/// </summary>
/// <remarks>
/// <para>Like Netflix's Gradient2 and Envoy's adaptive concurrency, it compares recent latency with a baseline; unlike
/// them, the baseline is the lowest <em>window average</em> seen recently rather than the lowest single sample, so
/// latency jitter does not read as queueing and collapse the limit, and failures back off only above a failure
/// ratio, so a steady trickle of bad messages (which retries and dead-lettering deal with) does not throttle a
/// healthy back-end. Time-outs always back off.</para>
/// <para>The gate is lock-free (an interlocked count checked against the current limit); window statistics are
/// updated under a small lock, once per handler call.</para>
/// </remarks>
internal sealed class ConcurrencyLimiter
{
    private const int MinWindowSamples = 16;

    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly AsyncSignal _slotFreed = new();
    private readonly Lock _gate = new();

    private PaceOptions _options; // a private copy, replaced whole by Retune (volatile reads outside _gate)
    private long _minLatencyWindowTicks;

    private double _limit;
    private int _currentLimit;
    private int _inFlight;
    private int _waiters;

    // Window statistics (under _gate).
    private int _samples;
    private int _successes;
    private int _failures;
    private int _timeouts;
    private double _latencySum;
    private double _baselineCurrent = double.PositiveInfinity;
    private double _baselinePrevious = double.PositiveInfinity;
    private long _baselineBucketStart;
    private bool _slowStart = true;

    public ConcurrencyLimiter(PaceOptions options, TimeProvider timeProvider, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = Copy(options);
        _timeProvider = timeProvider;
        _logger = logger ?? NullLogger.Instance;
        _limit = IsAdaptive ? Math.Clamp(options.InitialLimit, _options.MinLimit, _options.MaxLimit) : Math.Max(1, options.FixedLimit);
        _currentLimit = (int)_limit;
        _minLatencyWindowTicks = (long)(_options.MinLatencyWindow.TotalSeconds * timeProvider.TimestampFrequency);
        _baselineBucketStart = timeProvider.GetTimestamp();
    }

    public bool IsAdaptive => Volatile.Read(ref _options).Mode == PaceMode.Adaptive;

    /// <summary>Gets the current limit.</summary>
    public int Limit => Volatile.Read(ref _currentLimit);

    /// <summary>Gets the number of slots taken.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Gets the baseline latency (lowest recent window average), or <see cref="TimeSpan.Zero"/> before the first window.</summary>
    public TimeSpan Baseline
    {
        get
        {
            lock (_gate)
            {
                double baseline = Math.Min(_baselineCurrent, _baselinePrevious);
                return double.IsPositiveInfinity(baseline) ? TimeSpan.Zero : TimeSpan.FromSeconds(baseline);
            }
        }
    }

    /// <summary>
    /// Applies new pace settings (validated by the caller) from the next decision on: a fixed limit takes its new
    /// value; an adaptive limit keeps its learnt value clamped to the new bounds (or starts from the initial limit
    /// when switching from fixed). Slots already taken stay taken; a higher limit wakes waiters at once.
    /// </summary>
    public void Retune(PaceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var next = Copy(options);
        int from;
        int to;
        lock (_gate)
        {
            bool wasAdaptive = _options.Mode == PaceMode.Adaptive;
            from = _currentLimit;
            if (next.Mode != PaceMode.Adaptive)
            {
                _limit = Math.Max(1, next.FixedLimit);
            }
            else
            {
                _limit = Math.Clamp(wasAdaptive ? _limit : next.InitialLimit, next.MinLimit, next.MaxLimit);
                _slowStart = _slowStart && wasAdaptive;
            }

            _minLatencyWindowTicks = (long)(next.MinLatencyWindow.TotalSeconds * _timeProvider.TimestampFrequency);
            _samples = _successes = _failures = _timeouts = 0;
            _latencySum = 0;
            Volatile.Write(ref _options, next);
            to = next.Mode == PaceMode.Adaptive ? Math.Max(next.MinLimit, (int)Math.Round(_limit)) : (int)_limit;
            Volatile.Write(ref _currentLimit, to);
        }

        if (to > from && Volatile.Read(ref _waiters) > 0)
        {
            _slotFreed.Pulse();
        }
    }

    public bool TryAcquire()
    {
        int inFlight = Volatile.Read(ref _inFlight);
        while (inFlight < Volatile.Read(ref _currentLimit))
        {
            int seen = Interlocked.CompareExchange(ref _inFlight, inFlight + 1, inFlight);
            if (seen == inFlight)
            {
                return true;
            }

            inFlight = seen;
        }

        return false;
    }

    public ValueTask AcquireAsync(CancellationToken cancellationToken)
        => TryAcquire() ? ValueTask.CompletedTask : AcquireSlowAsync(cancellationToken);

    public void Release()
    {
        int inFlight = Interlocked.Decrement(ref _inFlight);
        System.Diagnostics.Debug.Assert(inFlight >= 0, "Released more slots than acquired.");
        if (Volatile.Read(ref _waiters) > 0)
        {
            _slotFreed.Pulse();
        }
    }

    /// <summary>Records one handler attempt's latency and outcome.</summary>
    public void OnSample(TimeSpan latency, PaceSample outcome)
    {
        if (!IsAdaptive)
        {
            return;
        }

        int from;
        int to;
        double average;
        double baseline;
        int failures;
        int timeouts;
        int samples;
        lock (_gate)
        {
            if (_options.Mode != PaceMode.Adaptive)
            {
                return; // switched to fixed by Retune since the check above
            }

            _samples++;
            switch (outcome)
            {
                case PaceSample.Success:
                    _successes++;
                    _latencySum += latency.TotalSeconds;
                    break;
                case PaceSample.Failure:
                    _failures++;
                    break;
                default:
                    _timeouts++;
                    break;
            }

            if (_samples < Math.Max(MinWindowSamples, _currentLimit))
            {
                return;
            }

            from = _currentLimit;
            failures = _failures;
            timeouts = _timeouts;
            samples = _samples;
            average = _successes > 0 ? _latencySum / _successes : 0;
            long now = _timeProvider.GetTimestamp();
            if (now - _baselineBucketStart >= _minLatencyWindowTicks)
            {
                _baselinePrevious = _baselineCurrent;
                _baselineCurrent = double.PositiveInfinity;
                _baselineBucketStart = now;
            }

            if (_successes > 0)
            {
                _baselineCurrent = Math.Min(_baselineCurrent, average);
            }

            baseline = Math.Min(_baselineCurrent, _baselinePrevious);
            double next;
            if (timeouts > 0 || (failures > 0 && failures > _options.FailureRatioThreshold * samples))
            {
                next = _limit * _options.BackoffRatio;
                _slowStart = false;
            }
            else if (_successes == 0 || average <= 0)
            {
                next = _limit;
            }
            else
            {
                double gradient = Math.Clamp(_options.Tolerance * baseline / average, 0.5, 1.0);
                if (_slowStart && gradient >= 1.0)
                {
                    // Slow start, as in TCP: double per window until latency first rises above its baseline.
                    next = _limit * 2;
                }
                else
                {
                    _slowStart = false;
                    double estimate = (_limit * gradient) + Math.Sqrt(_limit);
                    next = (_limit * (1 - _options.Smoothing)) + (estimate * _options.Smoothing);
                }
            }

            _limit = Math.Clamp(next, _options.MinLimit, _options.MaxLimit);
            to = Math.Max(_options.MinLimit, (int)Math.Round(_limit));
            Volatile.Write(ref _currentLimit, to);
            _samples = _successes = _failures = _timeouts = 0;
            _latencySum = 0;
        }

        if (to != from)
        {
            Log.PaceLimitChanged(_logger, from, to, average, baseline, failures, timeouts, samples);
            if (to > from && Volatile.Read(ref _waiters) > 0)
            {
                _slotFreed.Pulse();
            }
        }
    }

    private async ValueTask AcquireSlowAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiters);
        try
        {
            while (true)
            {
                var freed = _slotFreed.WaitTask;
                if (TryAcquire())
                {
                    return;
                }

                await freed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    private static PaceOptions Copy(PaceOptions options) => new()
    {
        Mode = options.Mode,
        FixedLimit = options.FixedLimit,
        InitialLimit = options.InitialLimit,
        MinLimit = options.MinLimit,
        MaxLimit = Math.Max(options.MinLimit, options.MaxLimit),
        BackoffRatio = options.BackoffRatio,
        FailureRatioThreshold = options.FailureRatioThreshold,
        Tolerance = options.Tolerance,
        Smoothing = options.Smoothing,
        MinLatencyWindow = options.MinLatencyWindow,
    };
}
