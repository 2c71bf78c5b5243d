using System.Diagnostics;

namespace DuisPrioritiser.Deduplication.Internal;

/// <summary>
/// The keys of recently accepted messages, bounded by count and age. Split into shards by key hash, each a
/// dictionary plus a ring of insertion order under its own lock, so that every operation is O(1) (eviction is
/// amortised: each key is evicted at most once) and producers on different shards do not contend.
/// </summary>
/// <remarks>
/// The window is best effort in one direction only: it may let a duplicate through (two copies racing, or a key
/// that was evicted), which costs a redelivery, but it never reports a message as a duplicate unless a message with
/// an equal key was accepted within <see cref="DeduplicationOptions.MaxAge"/>.
/// </remarks>
internal sealed class DuplicateWindow
{
    private const int ShardCount = 16;

    private readonly Shard[] _shards;
    private readonly TimeProvider _timeProvider;
    private readonly long _maxAgeTicks;
    private long _suppressed;

    public DuplicateWindow(DeduplicationOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _maxAgeTicks = (long)(options.MaxAge.TotalSeconds * timeProvider.TimestampFrequency);
        int perShard = Math.Max(1, (options.MaxCount + ShardCount - 1) / ShardCount);
        _shards = new Shard[ShardCount];
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard(perShard);
        }
    }

    /// <summary>Gets how many duplicates were suppressed.</summary>
    public long SuppressedCount => Volatile.Read(ref _suppressed);

    /// <summary>Gets how many keys are remembered (expired keys not yet evicted included).</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (var shard in _shards)
            {
                count += shard.Count;
            }

            return count;
        }
    }

    /// <summary>Returns <see langword="true"/> (and counts it) when <paramref name="key"/> was accepted within the window.</summary>
    public bool TrySuppress(in DeduplicationKey key)
    {
        long now = _timeProvider.GetTimestamp();
        if (ShardOf(key).Contains(key, now - _maxAgeTicks))
        {
            Interlocked.Increment(ref _suppressed);
            return true;
        }

        return false;
    }

    /// <summary>Remembers <paramref name="key"/> as accepted now.</summary>
    public void Add(in DeduplicationKey key) => ShardOf(key).Add(key, _timeProvider.GetTimestamp(), _maxAgeTicks);

    private Shard ShardOf(in DeduplicationKey key) => _shards[(uint)key.GetHashCode() % ShardCount];

    private sealed class Shard(int capacity)
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<DeduplicationKey, long> _acceptedAt = new(Math.Min(capacity, 4096));
        private readonly (DeduplicationKey Key, long Timestamp)[] _ring = new (DeduplicationKey, long)[capacity];
        private int _head;
        private int _count;

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _count;
                }
            }
        }

        public bool Contains(in DeduplicationKey key, long notBefore)
        {
            lock (_lock)
            {
                return _acceptedAt.TryGetValue(key, out long at) && at >= notBefore;
            }
        }

        public void Add(in DeduplicationKey key, long now, long maxAgeTicks)
        {
            lock (_lock)
            {
                // Forget expired keys from the old end, then make room if the ring is full.
                while (_count > 0 && _ring[_head].Timestamp < now - maxAgeTicks)
                {
                    EvictOldest();
                }

                if (_count == _ring.Length)
                {
                    EvictOldest();
                }

                int tail = (_head + _count) % _ring.Length;
                _ring[tail] = (key, now);
                _count++;
                _acceptedAt[key] = now;
                Debug.Assert(_acceptedAt.Count <= _count, "Every remembered key has a ring slot.");
            }
        }

        private void EvictOldest()
        {
            var (key, timestamp) = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;

            // A key re-added later has a newer timestamp in the dictionary; only forget it when this was its last slot.
            if (_acceptedAt.TryGetValue(key, out long at) && at == timestamp)
            {
                _acceptedAt.Remove(key);
            }
        }
    }
}
