using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DuisPrioritiser.Queueing.Internal;

namespace DuisPrioritiser.Deduplication.Internal;

/// <summary>
/// The keys of recently accepted messages, bounded by count and age, with no lock. Keys are written in arrival order
/// to a ring; a fixed table of <see cref="DeduplicationOptions.MaxCount"/> 8-byte slots (rounded up to whole buckets),
/// in buckets of <see cref="BucketSize"/> chosen by a seeded 64-bit hash of the key, points into the ring. A lookup
/// reads one bucket (one 64-byte cache line) and, only on a tag match, one ring entry; an add appends to the ring and
/// writes the bucket's empty or oldest slot, so each bucket forgets its oldest key first.
/// </summary>
/// <remarks>
/// <para><b>Why hand-written.</b> Every enqueue with the default options looks a key up and every accepted one adds
/// it. No library type offers a bounded, age-limited, lock-free set; a dictionary plus a ring needed a lock for both,
/// which cost a third to a half of in-memory throughput.</para>
/// <para><b>Why a ring.</b> With the default window (100,000 keys) the table is larger than a core's cache, so each
/// message's bucket is a cache miss. The layout before this one kept each slot's key (about 56 bytes) in an array
/// beside the slots, written at the slot's random index: a second miss per distinct message, measured at about 40 %
/// of the window's cost. Keys now go to the ring at consecutive positions (a sequential write the prefetcher
/// follows), and a slot holds only its tag and the key's ring position, so a bucket is one cache line instead of
/// two. The hash is one <see cref="XxHash3"/> pass over the id's UTF-16 bytes with a per-window random seed, plus a
/// multiply-fold of the small fields.</para>
/// <para><b>Slots.</b> A slot is one 64-bit word: the high 32 bits of the hash with its lowest bit forced to one (so
/// a written slot is never 0), and the low 32 bits of the ring position plus one. Slots change only by
/// compare-and-swap.</para>
/// <para><b>Ring entries are seqlocks.</b> An entry's version is <c>2 × (position + 1)</c> once written, odd while
/// being written. The writer of a position claims the entry by CAS of the version it saw to the odd value (a full
/// fence), writes the key and time, then publishes with a release store of the even value. A reader reads the
/// version (acquire), checks that it is even and belongs to the slot's position, reads the time and the key, issues
/// a full fence and re-reads the version: only when it is unchanged was the copy it compared whole. Versions are
/// unique per position, so a lapped entry cannot pass for the one the slot meant.</para>
/// <para><b>Never a false positive.</b> A lookup reports a key as seen only when a stable ring entry's whole key (the
/// id compared ordinally, and every other field) equals it and that entry's time is within
/// <see cref="DeduplicationOptions.MaxAge"/>: the key really was accepted within the window. A tag collision, a
/// stale slot or a lapped entry therefore never suppresses a distinct message: it only costs the comparison.</para>
/// <para><b>When it forgets early (a redelivery, never a loss).</b> (1) A bucket that fills evicts its oldest key
/// (counted in <see cref="EvictedLiveCount"/> when that key was not yet expired by the age of its ring page, see
/// below). Buckets fill unevenly: once more than about half of MaxCount keys arrive within MaxAge some buckets start
/// forgetting keys younger than the last MaxCount, and every bucket forgets once it has seen eight newer keys.
/// (2) The ring holds the last <c>MaxCount</c> rounded up to a power of two keys (between one and two times
/// MaxCount): a key older than that is forgotten even if its slot is still there (not counted; such a key is already
/// older than MaxCount other keys). (3) A lookup racing the write of the entry it needs misses. (4) Two copies racing
/// each other may both be accepted (see <see cref="Release.Internal.SchedulerIntake"/>).</para>
/// <para><b>Memory.</b> 8 bytes per slot plus one ring entry (the key, its time and version: 64 bytes) per ring
/// position: about 9 MB for the default 100,000 keys (131,072 ring entries), against about 6.4 MB for the previous
/// layout; the id strings the keys keep alive come on top in both.</para>
/// <para><b>Eviction counting without a miss.</b> To know whether an evicted key had expired, the add would have to
/// read its ring entry: a cache miss per message. Instead the ring is cut into pages of 256 positions and the first
/// add of each page records its time; an evicted key's age is taken as that of its page (it is no older), so a key
/// within 256 adds of a page's start whose own age passed MaxAge may be counted as live. The count is a diagnostic.</para>
/// </remarks>
internal sealed class DuplicateWindow
{
    internal const int BucketSize = 8;
    private const int BucketBytes = BucketSize * sizeof(long);
    private const int PageShift = 8; // 256 ring positions per page of recorded times
    private const int EvictionStripes = 8; // a power of two; per-core stripes so that counting costs no shared cache line
    private const uint RacingAhead = 1u << 24; // how far ahead of an add a slot's position can be and still be a racing add's, not an old one

    private readonly long[] _slots;
    private readonly int _first; // the index of bucket 0's first slot (the alignment offset)
    private readonly Entry[] _ring;
    private readonly long _ringMask;
    private readonly long[] _pageTimes; // the time of each ring page's first add, by page index modulo the page count
    private readonly long _pageMask;
    private readonly uint _bucketCount;
    private readonly long _seed;
    private readonly TimeProvider _timeProvider;
    private readonly long _maxAgeTicks;
    private readonly PaddedCounter[] _evictedLive = new PaddedCounter[EvictionStripes];
    private PaddedCounter _next; // the next ring position
    private long _suppressed;

    public DuplicateWindow(DeduplicationOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _maxAgeTicks = (long)(options.MaxAge.TotalSeconds * timeProvider.TimestampFrequency);
        _bucketCount = (uint)Math.Max(1, (options.MaxCount + BucketSize - 1) / BucketSize);
        int slots = (int)_bucketCount * BucketSize;

        // Pinned (never moved by the GC) so that the alignment computed here holds for the window's lifetime.
        _slots = GC.AllocateArray<long>(slots + BucketSize, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(_slots, 0);
        _first = address % sizeof(long) == 0 ? (int)(((BucketBytes - (address % BucketBytes)) % BucketBytes) / sizeof(long)) : 0;

        int ring = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(slots, 1 << PageShift));
        _ring = new Entry[ring];
        _ringMask = ring - 1;
        _pageTimes = new long[ring >> PageShift];
        _pageMask = _pageTimes.Length - 1;
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

    /// <summary>Gets the number of ring positions (the slot count rounded up to a power of two).</summary>
    internal int RingLength => _ring.Length;

    /// <summary>Gets how many keys are remembered and not yet expired (a scan of the table: for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            long notBefore = _timeProvider.GetTimestamp() - _maxAgeTicks;
            int count = 0;
            for (int i = _first; i < _first + SlotCount; i++)
            {
                long slot = Volatile.Read(ref _slots[i]);
                if (slot != 0 && TryReadEntry(slot, out long acceptedAt, out _) && acceptedAt >= notBefore)
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
        if (!Contains(in key, hash, now - _maxAgeTicks))
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
        long position = Interlocked.Increment(ref _next.Value) - 1;
        if (!TryWriteEntry(position, in key, now))
        {
            return; // the entry is being written by a writer a whole ring behind: best effort, the key is forgotten
        }

        long word = TagBits(hash) | (uint)(position + 1);
        int start = BucketStart(hash);
        long tagBits = TagBits(hash);
        var slots = _slots;

        // A CAS lost to another writer means that writer made progress; rescan and try again (bounded: the bucket has
        // BucketSize slots and each retry follows another writer's claim). Giving up only costs a future miss.
        for (int attempt = 0; attempt < BucketSize; attempt++)
        {
            int victim = -1;
            long seen = 0;
            long oldest = 0;
            for (int i = start; i < start + BucketSize; i++)
            {
                long slot = Volatile.Read(ref slots[i]);
                if (slot == 0 || (slot & ~0xFFFF_FFFFL) == tagBits)
                {
                    // Empty, or the same tag (most likely the same key, a racing copy): take it, forgetting nothing live.
                    victim = i;
                    seen = slot;
                    oldest = 0;
                    break;
                }

                // The oldest by ring position: the largest distance back from this add's position. A slot a little
                // ahead of it was written by a racing, newer add: keep it (rank it below every older key).
                uint distance = (uint)(position + 1) - (uint)slot;
                long rank = distance > uint.MaxValue - RacingAhead ? -1 : distance;
                if (victim < 0 || rank > oldest)
                {
                    victim = i;
                    seen = slot;
                    oldest = rank;
                }
            }

            if (Interlocked.CompareExchange(ref slots[victim], word, seen) != seen)
            {
                continue;
            }

            if (oldest > 0 && oldest <= _ring.Length && IsLive(position + 1 - oldest, now))
            {
                CountLiveEviction();
            }

            return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long TagBits(ulong hash) => (long)((hash | 0x1_0000_0000UL) & 0xFFFF_FFFF_0000_0000UL);

    /// <summary>Appends <paramref name="key"/> at <paramref name="position"/>; <see langword="false"/> when its entry is still being written for an earlier lap.</summary>
    private bool TryWriteEntry(long position, in DeduplicationKey key, long now)
    {
        if ((position & ((1L << PageShift) - 1)) == 0)
        {
            Volatile.Write(ref _pageTimes[(position >> PageShift) & _pageMask], now);
        }

        ref var entry = ref _ring[position & _ringMask];
        long version = Volatile.Read(ref entry.Version);
        if ((version & 1) != 0 || Interlocked.CompareExchange(ref entry.Version, (2 * (position + 1)) - 1, version) != version)
        {
            return false;
        }

        entry.Key = key;
        entry.AcceptedAt = now;
        Volatile.Write(ref entry.Version, 2 * (position + 1));
        return true;
    }

    /// <summary>Reads the entry <paramref name="slot"/> points to, whole, when it still holds that position's key.</summary>
    private bool TryReadEntry(long slot, out long acceptedAt, out DeduplicationKey key)
    {
        uint positionPlusOne = (uint)slot;
        ref var entry = ref _ring[(positionPlusOne - 1) & _ringMask];
        long version = Volatile.Read(ref entry.Version);
        if ((version & 1) != 0 || (uint)(version >> 1) != positionPlusOne)
        {
            acceptedAt = 0;
            key = default;
            return false;
        }

        acceptedAt = entry.AcceptedAt;
        key = entry.Key;

        // Order the reads above before the re-read of the version (a seqlock's read side).
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref entry.Version) == version;
    }

    /// <summary>Says whether the key at ring position <paramref name="positionPlusOne"/> − 1 was younger than MaxAge, by its page's time.</summary>
    private bool IsLive(long positionPlusOne, long now)
        => Volatile.Read(ref _pageTimes[((positionPlusOne - 1) >> PageShift) & _pageMask]) >= now - _maxAgeTicks;

    private void CountLiveEviction()
        => Interlocked.Increment(ref _evictedLive[Thread.GetCurrentProcessorId() & (EvictionStripes - 1)].Value);

    private bool Contains(in DeduplicationKey key, ulong hash, long notBefore)
    {
        int start = BucketStart(hash);
        long tagBits = TagBits(hash);
        var slots = _slots;
        for (int i = start; i < start + BucketSize; i++)
        {
            long slot = Volatile.Read(ref slots[i]);
            if ((slot & ~0xFFFF_FFFFL) == tagBits && Matches(slot, in key, notBefore))
            {
                return true;
            }
        }

        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Matches(long slot, in DeduplicationKey key, long notBefore)
        => TryReadEntry(slot, out long acceptedAt, out var copy) && acceptedAt >= notBefore && copy.Equals(key);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int BucketStart(ulong hash)
    {
        // Multiply-shift of the low 32 bits onto the bucket count (any count, no modulo); the tag keeps the high 32.
        return _first + ((int)(((ulong)(uint)hash * _bucketCount) >> 32) * BucketSize);
    }

    /// <summary>A ring entry: its version (2 × (position + 1) once written, odd while written, 0 never), the key and when it was accepted.</summary>
    private struct Entry
    {
        public long Version;
        public long AcceptedAt;
        public DeduplicationKey Key;
    }
}
