using System.Diagnostics;

namespace DuisPrioritiser.Draining.Internal;

/// <summary>
/// A lock-free token bucket driven by <see cref="TimeProvider"/> timestamps, in the GCRA form (generic cell rate
/// algorithm): the whole state is one 64-bit "theoretical arrival time" (TAT) changed by compare-and-swap.
/// </summary>
/// <remarks>
/// <para><b>Why not <c>System.Threading.RateLimiting.TokenBucketRateLimiter</c>.</b> It replenishes from a real
/// <see cref="System.Threading.Timer"/> (or an explicit <c>TryReplenish</c> call) and reads the wall clock, so it
/// cannot run in virtual time under a <c>FakeTimeProvider</c>, and a drain decision would have to allocate a
/// lease. This bucket is a pure function of the timestamp it is given: deterministic under a fake clock,
/// allocation-free, and able to say exactly when the next token is due, which readers need to sleep instead of
/// spinning while every releasable message is throttled.</para>
/// <para><b>Semantics.</b> Tokens accrue at <c>rate</c> per second up to <c>burst</c>. A release conforms when
/// <c>TAT - now &lt;= (burst - 1) * interval</c>; it moves <c>TAT</c> to <c>max(TAT, now) + interval</c>.
/// <see cref="HasToken"/> and <see cref="Consume"/> are separate so a policy can test before releasing and charge
/// after; two consumers racing for the last token may both take it, leaving a debt of one interval that delays the
/// next token: the long-run rate still holds.</para>
/// </remarks>
internal sealed class TokenBucket
{
    private readonly long _interval;
    private readonly long _tolerance;
    private long _tat = long.MinValue / 2;

    public TokenBucket(double ratePerSecond, int burst, long timestampFrequency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timestampFrequency);
        _interval = Math.Max(1, (long)Math.Round(timestampFrequency / ratePerSecond));
        _tolerance = (burst - 1) * _interval;
        Debug.Assert(_tolerance >= 0, "Tolerance overflowed.");
    }

    /// <summary>Gets the number of timestamp ticks between tokens.</summary>
    public long Interval => _interval;

    /// <summary>Determines whether a release at <paramref name="now"/> conforms.</summary>
    public bool HasToken(long now) => Volatile.Read(ref _tat) - now <= _tolerance;

    /// <summary>Gets the timestamp ticks until the next token is due; 0 when one is available now.</summary>
    public long GetDelay(long now) => Math.Max(0, Volatile.Read(ref _tat) - _tolerance - now);

    /// <summary>Charges one token (even when none is available: the debt delays the next one).</summary>
    public void Consume(long now)
    {
        long tat = Volatile.Read(ref _tat);
        while (true)
        {
            long next = Math.Max(tat, now) + _interval;
            long seen = Interlocked.CompareExchange(ref _tat, next, tat);
            if (seen == tat)
            {
                return;
            }

            tat = seen;
        }
    }

    /// <summary>Takes a token if one is available at <paramref name="now"/>.</summary>
    public bool TryAcquire(long now)
    {
        long tat = Volatile.Read(ref _tat);
        while (true)
        {
            if (tat - now > _tolerance)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _tat, Math.Max(tat, now) + _interval, tat);
            if (seen == tat)
            {
                return true;
            }

            tat = seen;
        }
    }

    /// <summary>Creates a bucket for <paramref name="options"/>, or <see langword="null"/> when it does not limit.</summary>
    public static TokenBucket? Create(ThrottleOptions? options, long timestampFrequency)
        => options is { IsLimited: true } ? new TokenBucket(options.Rate, options.Burst, timestampFrequency) : null;
}
