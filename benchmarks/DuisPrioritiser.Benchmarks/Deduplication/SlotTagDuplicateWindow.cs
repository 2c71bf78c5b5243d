// The duplicate window as it was at main 2a4cac9 (src/DuisPrioritiser/Deduplication/Internal/DuplicateWindow.cs), kept
// verbatim apart from its name and namespace as the same-run "before" row of DuplicateWindowBenchmarks: 16-byte slots
// (tag and time) in buckets of eight, and each slot's key in a parallel array written at the slot's random index.
using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DuisPrioritiser.Queueing.Internal;

using DuisPrioritiser.Deduplication;
using DuisPrioritiser.Deduplication.Internal;

namespace DuisPrioritiser.Benchmarks.Deduplication;

/// <summary>
/// The keys of recently accepted messages, bounded by count and age, with no lock: a fixed table of
/// <see cref="DeduplicationOptions.MaxCount"/> slots (rounded up to whole buckets) in buckets of <see cref="BucketSize"/>,
/// chosen by a seeded 64-bit hash of the key. A slot's tag and acceptance time sit side by side, so a lookup reads one
/// bucket's 128 bytes (two adjacent cache lines) plus, on a tag match, one key; an add writes the bucket's empty,
/// expired or oldest slot, so each bucket forgets its oldest key first.
/// </summary>
/// <remarks>
/// <para><b>Why hand-written.</b> Every enqueue with the default options looks a key up and every accepted one adds
/// it. No library type offers a bounded, age-limited, lock-free set; a dictionary plus a ring needed a lock for both,
/// which cost a third to a half of in-memory throughput.</para>
/// <para><b>Cost.</b> Sampled with <c>perf</c> on the public path (default options, 400,000 distinct ids through the
/// 100,000-key window), the window plus the key's hash were about 40 % of the time: the record struct's hash (Marvin
/// over the id, then <see cref="HashCode"/> over six more fields through their comparers) and a random bucket that is
/// never in cache. The hash is now one <see cref="XxHash3"/> pass over the id's UTF-16 bytes with a per-window random
/// seed, plus a multiply-fold of the small fields; the bucket comes from its low 32 bits and the slot's tag from its
/// high 32 bits, so a false tag match (which only costs one key comparison) happens about once in 2^29 lookups. The
/// slots are allocated pinned and the buckets start on a 128-byte boundary where the runtime allows it, so a bucket
/// never straddles a third cache line.</para>
/// <para><b>Slots are seqlocks.</b> A slot's tag packs the key's hash (high 32 bits) and a version (low 32 bits, odd
/// while the slot is being written). A writer claims a slot by CAS of its tag to an odd version (a full fence),
/// writes the key and time, then publishes with a release store of the next even version. A reader reads the tag
/// (acquire), the time and the key, issues a full fence, and re-reads the tag: only when it is unchanged and even was
/// the copy it compared whole. A torn or changing slot reads as "not found".</para>
/// <para><b>Never a false positive.</b> A lookup reports a key as seen only when a stable slot's whole key (the id
/// compared ordinally, and every other field) equals it and that slot's time is within
/// <see cref="DeduplicationOptions.MaxAge"/>. A hash or tag collision therefore never suppresses a distinct message:
/// it only costs the comparison.</para>
/// <para><b>When it forgets early (a redelivery, never a loss).</b> (1) A bucket that fills evicts its oldest live key
/// (counted in <see cref="EvictedLiveCount"/>). Buckets fill unevenly: with MaxCount slots in buckets of eight, once
/// more than about half of MaxCount keys arrive within MaxAge some buckets start forgetting keys younger than the last
/// MaxCount (at a full window, the last MaxCount keys overflow about 40 % of buckets by one or two keys), and every
/// bucket forgets once it has seen eight newer keys. A table of twice the slots would halve that but change how long
/// keys are remembered for every user; MaxCount stays the memory bound it documents. (2) A lookup racing the write of the slot it needs misses.
/// (3) Two copies racing each other may both be accepted (see the scheduler intake).</para>
/// </remarks>
internal sealed class SlotTagDuplicateWindow
{
    internal const int BucketSize = 8;
    private const int BucketBytes = BucketSize * 16;
    private const long Writing = 1;
    private const int EvictionStripes = 8; // a power of two; per-core stripes so that counting costs no shared cache line

    private readonly Slot[] _slots;
    private readonly int _first; // the index of bucket 0's first slot (the alignment offset)
    private readonly DeduplicationKey[] _keys;
    private readonly uint _bucketCount;
    private readonly long _seed;
    private readonly TimeProvider _timeProvider;
    private readonly long _maxAgeTicks;
    private readonly PaddedCounter[] _evictedLive = new PaddedCounter[EvictionStripes];
    private long _suppressed;

    public SlotTagDuplicateWindow(DeduplicationOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _maxAgeTicks = (long)(options.MaxAge.TotalSeconds * timeProvider.TimestampFrequency);
        _bucketCount = (uint)Math.Max(1, (options.MaxCount + BucketSize - 1) / BucketSize);
        int slots = (int)_bucketCount * BucketSize;

        // Pinned (never moved by the GC) so that the alignment computed here holds for the window's lifetime.
        _slots = GC.AllocateArray<Slot>(slots + BucketSize, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(_slots, 0);
        _first = address % 16 == 0 ? (int)(((BucketBytes - (address % BucketBytes)) % BucketBytes) / 16) : 0;
        _keys = new DeduplicationKey[_slots.Length];
        _seed = Random.Shared.NextInt64();
    }

    /// <summary>Gets how many duplicates were suppressed.</summary>
    public long SuppressedCount => Volatile.Read(ref _suppressed);

    /// <summary>Gets how many keys were forgotten before <see cref="DeduplicationOptions.MaxAge"/> because their bucket was full (a copy arriving later would be accepted again).</summary>
    public long EvictedLiveCount
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _evictedLive.Length; i++)
            {
                sum += Volatile.Read(ref _evictedLive[i].Value);
            }

            return sum;
        }
    }

    /// <summary>Gets the number of slots (the configured count rounded up to whole buckets).</summary>
    internal int SlotCount => (int)_bucketCount * BucketSize;

    /// <summary>Gets how many keys are remembered and not yet expired (a scan of the table: for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            long notBefore = _timeProvider.GetTimestamp() - _maxAgeTicks;
            int count = 0;
            for (int i = _first; i < _first + SlotCount; i++)
            {
                if (Volatile.Read(ref _slots[i].Tag) != 0 && Volatile.Read(ref _slots[i].AcceptedAt) >= notBefore)
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <summary>
    /// The key's 64-bit hash for this window: <see cref="XxHash3"/> over the id's UTF-16 code units with the window's
    /// random seed (so ids chosen to collide in one process do not collide in another), with the codes, SRV, kind and
    /// id namespace folded in. The DCC alert payload name is left out: keys that differ only there share a slot's tag
    /// and are told apart by the full comparison.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(in DeduplicationKey key)
    {
        ulong hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(key.Id.AsSpan()), _seed);
        ulong small = (key.ResponseCode.Packed * 0x9E3779B97F4A7C15UL)
            ^ (key.AlertCode.Packed * 0xC2B2AE3D27D4EB4FUL)
            ^ ((ulong)(uint)key.Srv.GetHashCode() << 3)
            ^ ((ulong)(uint)key.Kind << 1)
            ^ (key.IsResponseId ? 1UL : 0UL);
        if (small == 0)
        {
            return hash;
        }

        // A murmur3 finaliser over the fold, so that the small fields move bucket and tag bits alike.
        hash ^= small;
        hash ^= hash >> 33;
        hash *= 0xFF51AFD7ED558CCDUL;
        hash ^= hash >> 33;
        return hash;
    }

    /// <summary>Returns <see langword="true"/> (and counts it) when <paramref name="key"/> was accepted within the window.</summary>
    public bool TrySuppress(in DeduplicationKey key) => TrySuppress(in key, Hash(in key), _timeProvider.GetTimestamp());

    /// <summary>Returns <see langword="true"/> (and counts it) when <paramref name="key"/>, whose <see cref="Hash"/> is <paramref name="hash"/>, was accepted within the window as of <paramref name="now"/>.</summary>
    public bool TrySuppress(in DeduplicationKey key, ulong hash, long now)
    {
        if (Find(in key, hash, now - _maxAgeTicks) < 0)
        {
            return false;
        }

        Interlocked.Increment(ref _suppressed);
        return true;
    }

    /// <summary>Remembers <paramref name="key"/> as accepted now.</summary>
    public void Add(in DeduplicationKey key) => Add(in key, Hash(in key), _timeProvider.GetTimestamp());

    /// <summary>Remembers <paramref name="key"/>, whose <see cref="Hash"/> is <paramref name="hash"/>, as accepted at <paramref name="now"/>.</summary>
    public void Add(in DeduplicationKey key, ulong hash, long now)
    {
        int start = BucketStart(hash);
        long hashBits = TagBits(hash);
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
                    victimTime = long.MinValue;
                    break;
                }

                long at = Volatile.Read(ref slots[i].AcceptedAt);
                if ((tag & ~0xFFFF_FFFFL) == hashBits && _keys[i].Equals(key))
                {
                    // Already remembered (a racing copy): refresh its time in place.
                    victim = i;
                    victimTag = tag;
                    victimTime = long.MinValue;
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

            if (victimTime != long.MinValue)
            {
                CountLiveEviction();
            }

            _keys[victim] = key;
            slots[victim].AcceptedAt = now;
            Debug.Assert(((version + 2) & Writing) == 0, "A published version is even.");
            Volatile.Write(ref slots[victim].Tag, hashBits | (uint)(version + 2 == 0 ? 2 : version + 2));
            return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long TagBits(ulong hash) => (long)(hash & 0xFFFF_FFFF_0000_0000UL);

    private void CountLiveEviction()
        => Interlocked.Increment(ref _evictedLive[Thread.GetCurrentProcessorId() & (EvictionStripes - 1)].Value);

    private int Find(in DeduplicationKey key, ulong hash, long notBefore)
    {
        int start = BucketStart(hash);
        long hashBits = TagBits(hash);
        var slots = _slots;
        for (int i = start; i < start + BucketSize; i++)
        {
            long tag = Volatile.Read(ref slots[i].Tag);
            if ((tag & ~0xFFFF_FFFFL) != hashBits || (tag & Writing) != 0 || tag == 0)
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
    private int BucketStart(ulong hash)
    {
        // Multiply-shift of the low 32 bits onto the bucket count (any count, no modulo); the tag keeps the high 32.
        return _first + ((int)(((ulong)(uint)hash * _bucketCount) >> 32) * BucketSize);
    }

    /// <summary>A slot's tag (hash &lt;&lt; 32 | version, odd while written; 0 = never written) and when its key was accepted.</summary>
    private struct Slot
    {
        public long Tag;
        public long AcceptedAt;
    }
}
