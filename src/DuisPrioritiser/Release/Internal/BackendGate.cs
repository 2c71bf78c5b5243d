using DuisPrioritiser.Diagnostics;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Release.Internal;

/// <summary>The back-end's state as the release loop sees it.</summary>
internal enum BackendState
{
    /// <summary>Releasing normally.</summary>
    Closed = 0,

    /// <summary>The breaker is open: nothing is released until the break ends.</summary>
    Open = 1,

    /// <summary>The break has ended and one probe is (or may be) in flight.</summary>
    HalfOpen = 2,
}

/// <summary>
/// Holds the release loop while the back-end is down: driven by the Polly circuit breaker's callbacks, it lets
/// nothing through while the breaker is open and exactly one message (the half-open probe) once each break ends, and
/// everything once the breaker closes. It also records the downtime for the drain policy's wait bounds.
/// </summary>
/// <remarks>
/// <para>Written by hand because Polly's breaker <i>rejects</i> calls while open (each rejected message would have to
/// be taken out of the queue first, losing its place); the release loop must instead not take them out at all. The
/// breaker stays the one that decides: the gate only mirrors its state and paces the loop's reads by it.</para>
/// <para>Without a circuit breaker in the pipeline (replaced by the integrator), the gate backs off after each run of
/// failures instead (<see cref="OnReleaseFailed"/>): exponential from the retry base delay, reset by any success.</para>
/// <para>All members are thread-safe: state changes take a lock; waiters are woken by an <see cref="AsyncSignal"/>.</para>
/// </remarks>
internal sealed class BackendGate
{
    private readonly Lock _lock = new();
    private readonly AsyncSignal _changed = new();
    private readonly TimeProvider _timeProvider;
    private readonly BackendDowntime? _downtime;
    private readonly ILogger _logger;
    private readonly TimeSpan _fallbackBase;
    private readonly TimeSpan _fallbackMax;
    private readonly Action<string>? _onEvent;
    private volatile BackendState _state; // written under the lock; read without it on the release fast path
    private long _openUntil;        // timestamp at which the current break ends
    private long _downSince = -1;   // timestamp the breaker first opened in this outage
    private bool _probeInFlight;
    private int _failureRun;
    private long _pausedUntil;      // fallback backoff without a breaker
    private long _opened;           // count of openings, for tests

    public BackendGate(TimeProvider timeProvider, BackendDowntime? downtime, ILogger logger, TimeSpan fallbackBase, TimeSpan fallbackMax, Action<string>? onEvent = null)
    {
        _onEvent = onEvent;
        _timeProvider = timeProvider;
        _downtime = downtime;
        _logger = logger;
        _fallbackBase = fallbackBase <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : fallbackBase;
        _fallbackMax = fallbackMax < _fallbackBase ? _fallbackBase : fallbackMax;
    }

    /// <summary>Gets or sets a value indicating whether the pipeline has the release loop's circuit breaker.</summary>
    public bool HasBreaker { get; set; }

    /// <summary>Gets the current state.</summary>
    public BackendState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Gets how many times the breaker has opened.</summary>
    public long OpenedCount => Interlocked.Read(ref _opened);

    /// <summary>Gets how long the back-end has been down (breaker open or half-open without closing), or zero.</summary>
    public TimeSpan DownFor
    {
        get
        {
            lock (_lock)
            {
                return _downSince < 0 ? TimeSpan.Zero : _timeProvider.GetElapsedTime(_downSince);
            }
        }
    }

    /// <summary>Gets a value indicating whether a reader would be let through now (for virtual-time tests: the loop is idle by design while false).</summary>
    public bool IsHolding
    {
        get
        {
            lock (_lock)
            {
                return _state != BackendState.Closed || _timeProvider.GetTimestamp() < _pausedUntil;
            }
        }
    }

    public void OnOpened(TimeSpan breakDuration, Exception? cause)
    {
        long now = _timeProvider.GetTimestamp();
        bool first;
        lock (_lock)
        {
            first = _downSince < 0;
            _state = BackendState.Open;
            _openUntil = now + ToTimestampTicks(breakDuration);
            _probeInFlight = false;
            if (first)
            {
                _downSince = now;
            }
        }

        Interlocked.Increment(ref _opened);
        _onEvent?.Invoke("breaker_opened");
        _downtime?.MarkDown(now);
        if (first)
        {
            Log.BreakerOpened(_logger, cause, breakDuration);
        }
        else
        {
            Log.BreakerProbeFailed(_logger, cause, breakDuration);
        }

        _changed.Pulse();
    }

    public void OnHalfOpened()
    {
        lock (_lock)
        {
            _state = BackendState.HalfOpen;
        }

        _onEvent?.Invoke("breaker_half_opened");
        _changed.Pulse();
    }

    public void OnClosed()
    {
        long now = _timeProvider.GetTimestamp();
        TimeSpan downFor;
        lock (_lock)
        {
            downFor = _downSince < 0 ? TimeSpan.Zero : _timeProvider.GetElapsedTime(_downSince, now);
            _state = BackendState.Closed;
            _probeInFlight = false;
            _downSince = -1;
        }

        _downtime?.MarkUp(now);
        _onEvent?.Invoke("breaker_closed");
        Log.BreakerClosed(_logger, downFor);
        _changed.Pulse();
    }

    /// <summary>Called when a release ends; <paramref name="wasProbe"/> frees the probe slot when the breaker did not change.</summary>
    public void OnReleaseFinished(bool wasProbe, bool handlerCalled)
    {
        if (!wasProbe)
        {
            return;
        }

        lock (_lock)
        {
            _probeInFlight = false;
            if (!handlerCalled && _state != BackendState.Closed)
            {
                // The breaker refused the probe (its break had not quite ended by its own clock): wait a little.
                _state = BackendState.Open;
                _openUntil = _timeProvider.GetTimestamp() + ToTimestampTicks(TimeSpan.FromMilliseconds(100));
            }
        }

        _changed.Pulse();
    }

    /// <summary>Frees the probe slot when the probe found nothing to release.</summary>
    public void AbandonProbe()
    {
        lock (_lock)
        {
            _probeInFlight = false;
        }

        _changed.Pulse();
    }

    /// <summary>Without a breaker: back off after a failed release; any success resets the run.</summary>
    public void OnReleaseFailed()
    {
        if (HasBreaker)
        {
            return;
        }

        lock (_lock)
        {
            int run = Math.Min(++_failureRun, 30);
            double ticks = Math.Min(_fallbackBase.Ticks * Math.Pow(2, run - 1), _fallbackMax.Ticks);
            _pausedUntil = _timeProvider.GetTimestamp() + ToTimestampTicks(TimeSpan.FromTicks((long)ticks));
        }
    }

    public void OnReleaseSucceeded()
    {
        if (HasBreaker || Volatile.Read(ref _failureRun) == 0)
        {
            return;
        }

        lock (_lock)
        {
            _failureRun = 0;
            _pausedUntil = 0;
        }

        _changed.Pulse();
    }

    /// <summary>Waits until a release may start; returns whether it is the half-open probe.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken)
    {
        // Fast path without the lock: a state change racing this read is no different from one just after it (the
        // breaker refuses a call it no longer admits, and the message is returned to its level).
        if (_state == BackendState.Closed && Volatile.Read(ref _pausedUntil) == 0)
        {
            return new ValueTask<bool>(false);
        }

        return WaitSlowAsync(cancellationToken);
    }

    private async ValueTask<bool> WaitSlowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = _changed.WaitTask;
            long delay;
            lock (_lock)
            {
                long now = _timeProvider.GetTimestamp();
                if (_state == BackendState.Closed)
                {
                    if (now >= _pausedUntil)
                    {
                        _pausedUntil = 0;
                        return false;
                    }

                    delay = _pausedUntil - now;
                }
                else if (_probeInFlight || _state == BackendState.HalfOpen)
                {
                    delay = long.MaxValue; // wait for the probe's result
                }
                else if (now >= _openUntil)
                {
                    _probeInFlight = true;
                    return true;
                }
                else
                {
                    delay = _openUntil - now;
                }
            }

            if (delay == long.MaxValue)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            using var timerCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var timer = Task.Delay(_timeProvider.GetElapsedTime(0, delay), _timeProvider, timerCancellation.Token);
            await Task.WhenAny(changed, timer).ConfigureAwait(false);
            await timerCancellation.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private long ToTimestampTicks(TimeSpan span)
        => (long)(span.Ticks * (_timeProvider.TimestampFrequency / (double)TimeSpan.TicksPerSecond));
}
