using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Draining;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// Decides <see cref="TrafficMode"/> from the backlog and the arrival rate, with hysteresis. Lock-free: the mode is one
/// int changed by compare-and-swap (the winner logs), the "below the low watermark since" time and the arrival window
/// are single words.
/// </summary>
/// <remarks>
/// <para>The thresholds live in one immutable <see cref="Thresholds"/> object read through a volatile reference, so
/// <see cref="Retune"/> swaps them without a lock while producers and readers keep running; the mode and the windows
/// are kept across a change.</para>
/// Checks run on the scheduler's own operations (enqueue, release, snapshot, reader wake-ups), never on a timer, so
/// an idle scheduler leaves Recovery at its next operation after the hold time.
/// </remarks>
internal sealed class RecoveryModeController
{
    private const long NotBelow = long.MinValue;

    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private Thresholds _thresholds;

    private int _mode;
    private long _belowSince = NotBelow;
    private long _windowStart;
    private long _windowCount;
    private long _lastRateBits; // BitConverter.DoubleToInt64Bits of the last measured rate

    public RecoveryModeController(RecoveryOptions options, TimeProvider timeProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _timeProvider = timeProvider;
        _logger = logger;
        _thresholds = new Thresholds(options, timeProvider.TimestampFrequency);
        _windowStart = timeProvider.GetTimestamp();
    }

    /// <summary>Raised after every mode change (for example to wake readers whose throttles changed).</summary>
    public event Action? ModeChanged;

    public TrafficMode Mode => (TrafficMode)Volatile.Read(ref _mode);

    /// <summary>Replaces the thresholds (validated by the caller); the next check uses them.</summary>
    public void Retune(RecoveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Volatile.Write(ref _thresholds, new Thresholds(options, _timeProvider.TimestampFrequency));
    }

    /// <summary>Called after each accepted message with the held count.</summary>
    public void OnArrival(long held, long now)
    {
        var t = Volatile.Read(ref _thresholds);
        if (!t.AutoDetect)
        {
            return;
        }

        if (held >= t.EnterBacklog && Volatile.Read(ref _mode) == (int)TrafficMode.Normal)
        {
            TrySwitch(TrafficMode.Normal, TrafficMode.Recovery, "backlog reached the threshold", held);
        }

        if (t.EnterRate <= 0)
        {
            return;
        }

        long count = Interlocked.Increment(ref _windowCount);
        long start = Volatile.Read(ref _windowStart);
        long elapsed = now - start;
        if (elapsed >= t.WindowTicks && Interlocked.CompareExchange(ref _windowStart, now, start) == start)
        {
            // The winner of the window closes it; arrivals counted by racing producers fall into the next window.
            Interlocked.Add(ref _windowCount, -count);
            double rate = count * (double)_timeProvider.TimestampFrequency / elapsed;
            Volatile.Write(ref _lastRateBits, BitConverter.DoubleToInt64Bits(rate));
            if (rate >= t.EnterRate && Volatile.Read(ref _mode) == (int)TrafficMode.Normal)
            {
                TrySwitch(TrafficMode.Normal, TrafficMode.Recovery, $"arrival rate {rate:F0}/s reached the threshold", held);
            }
        }
    }

    /// <summary>Gets a value indicating whether <see cref="Evaluate"/> has anything to do (Recovery, switched by the scheduler itself): a release reads the held count, a line every producer writes, only then.</summary>
    public bool IsEvaluating => Volatile.Read(ref _mode) == (int)TrafficMode.Recovery;

    /// <summary>Called on releases and other operations: leaves Recovery once the backlog has stayed low for the hold time.</summary>
    public void Evaluate(long held, long now)
    {
        var t = Volatile.Read(ref _thresholds);
        if (!t.AutoDetect || Volatile.Read(ref _mode) != (int)TrafficMode.Recovery)
        {
            return;
        }

        bool rateLow = t.EnterRate <= 0 || BitConverter.Int64BitsToDouble(Volatile.Read(ref _lastRateBits)) < t.EnterRate;
        if (held > t.ExitBacklog || !rateLow)
        {
            if (Volatile.Read(ref _belowSince) != NotBelow)
            {
                Volatile.Write(ref _belowSince, NotBelow);
            }

            return;
        }

        long since = Volatile.Read(ref _belowSince);
        if (since == NotBelow)
        {
            Interlocked.CompareExchange(ref _belowSince, now, NotBelow);
            since = Volatile.Read(ref _belowSince);
            if (since == NotBelow)
            {
                return;
            }
        }

        if (now - since >= t.HoldTicks)
        {
            TrySwitch(TrafficMode.Recovery, TrafficMode.Normal, "backlog stayed at or below the low watermark for the hold time", held);
        }
    }

    public void Enter(long held)
    {
        Volatile.Write(ref _belowSince, NotBelow);
        TrySwitch(TrafficMode.Normal, TrafficMode.Recovery, "requested", held);
    }

    public void Exit(long held) => TrySwitch(TrafficMode.Recovery, TrafficMode.Normal, "requested", held);

    private void TrySwitch(TrafficMode from, TrafficMode to, string reason, long held)
    {
        if (Interlocked.CompareExchange(ref _mode, (int)to, (int)from) != (int)from)
        {
            return;
        }

        Volatile.Write(ref _belowSince, NotBelow);
        Log.ModeChanged(_logger, from, to, reason, held);
        ModeChanged?.Invoke();
    }

    /// <summary>One immutable set of thresholds, in timestamp ticks.</summary>
    private sealed class Thresholds(RecoveryOptions options, long frequency)
    {
        public bool AutoDetect { get; } = options.AutoDetect;

        public long EnterBacklog { get; } = options.EnterBacklog;

        public long ExitBacklog { get; } = options.ExitBacklog;

        public double EnterRate { get; } = options.EnterArrivalRate;

        public long WindowTicks { get; } = Math.Max(1, (long)(options.ArrivalRateWindow.TotalSeconds * frequency));

        public long HoldTicks { get; } = (long)(options.HoldTime.TotalSeconds * frequency);
    }
}
