using System.Diagnostics;
using System.Runtime.CompilerServices;

using DuisPrioritiser.Deduplication;
using DuisPrioritiser.Deduplication.Internal;

namespace DuisPrioritiser.Benchmarks.Deduplication;

/// <summary>
/// The duplicate window as it was before the fast-path work (main at 06afe07, src/DuisPrioritiser/Deduplication/Internal/DuplicateWindow.cs),
/// kept only as the same-run baseline of <see cref="DuplicateWindowBenchmarks"/>: the record struct's hash (Marvin over the id plus
/// HashCode over six fields), a table of exactly MaxCount slots, unaligned buckets.
/// The keys of recently accepted messages, bounded by count and age, with no lock: a fixed table of
/// MaxCount slots (rounded up to whole buckets) in buckets of
/// <see cref="BucketSize"/>, chosen by key hash. A slot's tag and acceptance time sit side by side, so a lookup and the
/// add that follows it read one bucket's 128 bytes (two cache lines) plus, on a hash match, one key; an add writes the
/// bucket's empty, expired or oldest slot, so each bucket forgets its oldest key first.
/// </summary>
/// <remarks>
/// <para><b>Why hand-written.</b> Every enqueue with the default options looks a key up and every accepted one adds
/// it; the previous dictionary-plus-ring per shard needed a lock for both, which cost a third to a half of in-memory
/// throughput. No library type offers a bounded, age-limited, lock-free set.</para>
/// <para><b>Layout.</b> Sampled with <c>perf</c> on the public path (default options, 256 Ki distinct ids through a
/// 100,000-key window), the window's lookup and add plus the id's hash were about half of the CPU time: each message
/// touched a tag array, a time array and the key array at random places. Tags and times now share one array of
/// 16-byte slots in buckets of eight, so a bucket is two cache lines instead of four to six.</para>
/// <para><b>Slots are seqlocks.</b> A slot's tag packs the key's hash (high 32 bits) and a version (low 32 bits, odd
/// while the slot is being written). A writer claims a slot by CAS of its tag to an odd version (a full fence),
/// writes the key and time, then publishes with a release store of the next even version. A reader reads the tag
/// (acquire), the time and the key, issues a full fence, and re-reads the tag: only when it is unchanged and even was
/// the copy it compared whole. A torn or changing slot reads as "not found".</para>
/// <para><b>Best effort in one direction only.</b> A lookup may miss (a slot being rewritten, a key evicted early
/// because its bucket filled, two copies racing), which costs a redelivery; it never reports a key as seen unless an
/// equal key was added within MaxAge, because a match requires a stable slot whose
/// whole key compares equal and whose time is within the window.</para>
/// </remarks>
internal sealed class PreviousDuplicateWindow
{
    internal const int BucketSize = 8;
    private const long Writing = 1;

    private readonly Slot[] _slots;
    private readonly DeduplicationKey[] _keys;
    private readonly uint _bucketCount;
    private readonly TimeProvider _timeProvider;
    private readonly long _maxAgeTicks;
    private long _suppressed;

    public PreviousDuplicateWindow(DeduplicationOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _maxAgeTicks = (long)(options.MaxAge.TotalSeconds * timeProvider.TimestampFrequency);
        _bucketCount = (uint)Math.Max(1, (options.MaxCount + BucketSize - 1) / BucketSize);
        int slots = (int)_bucketCount * BucketSize;
        _slots = new Slot[slots];
        _keys = new DeduplicationKey[slots];
    }

    /// <summary>Gets how many duplicates were suppressed.</summary>
    public long SuppressedCount => Volatile.Read(ref _suppressed);

    /// <summary>Gets how many keys are remembered and not yet expired (a scan of the table: for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            long notBefore = _timeProvider.GetTimestamp() - _maxAgeTicks;
            int count = 0;
            for (int i = 0; i < _slots.Length; i++)
            {
                if (Volatile.Read(ref _slots[i].Tag) != 0 && Volatile.Read(ref _slots[i].AcceptedAt) >= notBefore)
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <summary>Returns <see langword="true"/> (and counts it) when <paramref name="key"/> was accepted within the window.</summary>
    public bool TrySuppress(in DeduplicationKey key) => TrySuppress(in key, key.GetHashCode(), _timeProvider.GetTimestamp());

    /// <summary>Returns <see langword="true"/> (and counts it) when <paramref name="key"/>, whose hash is <paramref name="hash"/>, was accepted within the window as of <paramref name="now"/>.</summary>
    public bool TrySuppress(in DeduplicationKey key, int hash, long now)
    {
        if (Find(in key, hash, now - _maxAgeTicks) < 0)
        {
            return false;
        }

        Interlocked.Increment(ref _suppressed);
        return true;
    }

    /// <summary>Remembers <paramref name="key"/> as accepted now.</summary>
    public void Add(in DeduplicationKey key) => Add(in key, key.GetHashCode(), _timeProvider.GetTimestamp());

    /// <summary>Remembers <paramref name="key"/>, whose hash is <paramref name="hash"/>, as accepted at <paramref name="now"/>.</summary>
    public void Add(in DeduplicationKey key, int hash, long now)
    {
        int start = BucketStart(hash);
        long hashBits = (long)hash << 32;
        long notBefore = now - _maxAgeTicks;
        var slots = _slots;

        // A CAS lost to another writer means that writer made progress; rescan and try again (bounded: the bucket
        // has BucketSize slots and each retry follows another writer's claim). Giving up only costs a future miss.
        for (int attempt = 0; attempt < BucketSize; attempt++)
        {
            int victim = -1;
            long victimTag = 0;
            long victimTime = long.MaxValue;
            for (int i = start; i < start + BucketSize; i++)
            {
                long tag = Volatile.Read(ref slots[i].Tag);
                if ((tag & Writing) != 0)
                {
                    continue;
                }

                if (tag == 0)
                {
                    victim = i;
                    victimTag = 0;
                    break;
                }

                long at = Volatile.Read(ref slots[i].AcceptedAt);
                if ((tag & ~0xFFFF_FFFFL) == hashBits && _keys[i].Equals(key))
                {
                    // Already remembered (a racing copy): refresh its time in place.
                    victim = i;
                    victimTag = tag;
                    break;
                }

                long rank = at < notBefore ? long.MinValue : at; // expired slots first, then the oldest
                if (rank < victimTime)
                {
                    victim = i;
                    victimTag = tag;
                    victimTime = rank;
                }
            }

            if (victim < 0)
            {
                return; // every slot is being written right now: best effort
            }

            int version = (int)victimTag;
            long writing = hashBits | (uint)(version + 1);
            if (Interlocked.CompareExchange(ref slots[victim].Tag, writing, victimTag) != victimTag)
            {
                continue;
            }

            _keys[victim] = key;
            slots[victim].AcceptedAt = now;
            Debug.Assert(((version + 2) & Writing) == 0, "A published version is even.");
            Volatile.Write(ref slots[victim].Tag, hashBits | (uint)(version + 2 == 0 ? 2 : version + 2));
            return;
        }
    }

    private int Find(in DeduplicationKey key, int hash, long notBefore)
    {
        int start = BucketStart(hash);
        var slots = _slots;
        for (int i = start; i < start + BucketSize; i++)
        {
            long tag = Volatile.Read(ref slots[i].Tag);
            if ((int)(tag >> 32) != hash || (tag & Writing) != 0 || tag == 0)
            {
                continue;
            }

            if (Matches(i, tag, in key, notBefore))
            {
                return i;
            }
        }

        return -1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Matches(int slot, long tag, in DeduplicationKey key, long notBefore)
    {
        long at = _slots[slot].AcceptedAt;
        var copy = _keys[slot];

        // Order the reads above before the re-read of the tag (a seqlock's read side).
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _slots[slot].Tag) == tag && at >= notBefore && copy.Equals(key);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int BucketStart(int hash)
    {
        // Multiply-shift onto the bucket count (any count, no modulo); the tag keeps the full hash.
        uint mixed = (uint)hash * 0x9E3779B9u;
        return (int)(((ulong)mixed * _bucketCount) >> 32) * BucketSize;
    }

    /// <summary>A slot's tag (hash &lt;&lt; 32 | version, odd while written; 0 = never written) and when its key was accepted.</summary>
    private struct Slot
    {
        public long Tag;
        public long AcceptedAt;
    }
}
