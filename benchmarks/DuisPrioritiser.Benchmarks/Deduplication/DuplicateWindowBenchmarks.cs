using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DuisPrioritiser.Deduplication;
using DuisPrioritiser.Deduplication.Internal;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Benchmarks.Deduplication;

/// <summary>
/// Cost per message of duplicate suppression alone, as the intake uses it: a lookup and, for a distinct message, an
/// add, single-threaded, with the default window (100,000 keys, one hour). Rows: this commit's
/// <see cref="DuplicateWindow"/> (hash included), the window at main 2a4cac9 (<see cref="SlotTagDuplicateWindow"/>: keys beside their slots), the window before the first fast-path work (<see cref="PreviousDuplicateWindow"/>),
/// and two library baselines of the same bounded set: a <see cref="Dictionary{TKey, TValue}"/> plus a ring of keys
/// under one lock, and a <see cref="ConcurrentDictionary{TKey, TValue}"/> plus a ring.
/// </summary>
/// <remarks>
/// <para><c>Distinct</c>: 400,000 distinct ids cycled through the window (so every lookup misses and every add
/// replaces an older key, as in <see cref="QueueDepthBenchmarks"/>); each run checks that nothing was suppressed.
/// <c>Repeated</c>: each id is looked up again right after it was added (a redelivery), and must be suppressed;
/// each run checks that all were.</para>
/// <para>Keys are DUIS-shaped (a 56-character ResponseID, I0, an SRV) and built once; the hash is part of what is
/// measured, as it is on the intake path.</para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class DuplicateWindowBenchmarks
{
    private const int Batch = 4096;
    private const int Pool = 400_000;
    private const int Window = 100_000;

    private DeduplicationKey[] _keys = [];
    private int _next;
    private DuplicateWindow _window = null!;
    private PreviousDuplicateWindow _previous = null!;
    private SlotTagDuplicateWindow _slotTag = null!;
    private LockedWindow _locked = null!;
    private ConcurrentWindow _concurrent = null!;

    [Params("Distinct", "Repeated")]
    public string Workload { get; set; } = "Distinct";

    [GlobalSetup]
    public void Setup()
    {
        var srv = ServiceReferenceVariant.Parse("4.1.1");
        var i0 = DuisCode.Parse("I0");
        _keys = new DeduplicationKey[Pool];
        for (int i = 0; i < Pool; i++)
        {
            string id = string.Create(CultureInfo.InvariantCulture, $"00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:{1_700_000_000_000L + i}");
            _keys[i] = new DeduplicationKey(id, true, i0, DuisMessageKind.Response, DuisCode.None, srv);
        }

        var options = new DeduplicationOptions { MaxCount = Window };
        _window = new DuplicateWindow(options, TimeProvider.System);
        _previous = new PreviousDuplicateWindow(options, TimeProvider.System);
        _slotTag = new SlotTagDuplicateWindow(options, TimeProvider.System);
        _locked = new LockedWindow(Window);
        _concurrent = new ConcurrentWindow(Window);

        // Fill every window once so that the measured adds replace keys (the steady state).
        for (int i = 0; i < Pool; i++)
        {
            _window.Add(in _keys[i]);
            _previous.Add(in _keys[i]);
            _slotTag.Add(in _keys[i]);
            _locked.TrySuppressOrAdd(in _keys[i]);
            _concurrent.TrySuppressOrAdd(in _keys[i]);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "Dictionary + ring, one lock")]
    public long LockedDictionary() => Run(new LockedOps(_locked));

    [Benchmark(OperationsPerInvoke = Batch, Description = "ConcurrentDictionary + ring")]
    public long ConcurrentDictionaryRing() => Run(new ConcurrentOps(_concurrent));

    [Benchmark(OperationsPerInvoke = Batch, Description = "Previous window (main 06afe07)")]
    public long PreviousWindow() => Run(new PreviousOps(_previous));

    [Benchmark(OperationsPerInvoke = Batch, Description = "Slot-tag window (main 2a4cac9)")]
    public long SlotTagWindow() => Run(new SlotTagOps(_slotTag));

    [Benchmark(OperationsPerInvoke = Batch, Description = "This window")]
    public long ThisWindow() => Run(new CurrentOps(_window));

    private long Run<TOps>(TOps ops)
        where TOps : struct, ISuppressOps
    {
        bool repeated = Workload == "Repeated";
        var keys = _keys;
        int next = _next;
        long suppressed = 0;
        for (int i = 0; i < Batch; i++)
        {
            ref readonly var key = ref keys[next];
            if (++next == keys.Length)
            {
                next = 0;
            }

            if (ops.TrySuppressOrAdd(in key))
            {
                suppressed++;
            }

            if (repeated && ops.TrySuppressOrAdd(in key))
            {
                suppressed++;
            }
        }

        _next = next;
        long expected = repeated ? Batch : 0;
        if (suppressed != expected)
        {
            Fail.Check($"{suppressed} suppressed in a batch of {Batch} {Workload} keys, expected {expected}.");
        }

        return suppressed;
    }

    private interface ISuppressOps
    {
        /// <summary>The intake's use: <see langword="true"/> when the key was seen (suppressed); otherwise remembers it.</summary>
        bool TrySuppressOrAdd(in DeduplicationKey key);
    }

    private readonly struct CurrentOps(DuplicateWindow window) : ISuppressOps
    {
        public bool TrySuppressOrAdd(in DeduplicationKey key)
        {
            ulong hash = window.Hash(in key);
            long now = TimeProvider.System.GetTimestamp();
            if (window.TrySuppress(in key, hash, now))
            {
                return true;
            }

            window.Add(in key, hash, now);
            return false;
        }
    }

    private readonly struct SlotTagOps(SlotTagDuplicateWindow window) : ISuppressOps
    {
        public bool TrySuppressOrAdd(in DeduplicationKey key)
        {
            ulong hash = window.Hash(in key);
            long now = TimeProvider.System.GetTimestamp();
            if (window.TrySuppress(in key, hash, now))
            {
                return true;
            }

            window.Add(in key, hash, now);
            return false;
        }
    }

    private readonly struct PreviousOps(PreviousDuplicateWindow window) : ISuppressOps
    {
        public bool TrySuppressOrAdd(in DeduplicationKey key)
        {
            int hash = key.GetHashCode();
            long now = TimeProvider.System.GetTimestamp();
            if (window.TrySuppress(in key, hash, now))
            {
                return true;
            }

            window.Add(in key, hash, now);
            return false;
        }
    }

    private readonly struct LockedOps(LockedWindow window) : ISuppressOps
    {
        public bool TrySuppressOrAdd(in DeduplicationKey key) => window.TrySuppressOrAdd(in key);
    }

    private readonly struct ConcurrentOps(ConcurrentWindow window) : ISuppressOps
    {
        public bool TrySuppressOrAdd(in DeduplicationKey key) => window.TrySuppressOrAdd(in key);
    }

    /// <summary>The bounded set with library types under one lock: a dictionary of acceptance times and a ring that evicts the oldest key.</summary>
    private sealed class LockedWindow(int capacity)
    {
        private readonly Dictionary<DeduplicationKey, long> _seen = new(capacity);
        private readonly DeduplicationKey[] _ring = new DeduplicationKey[capacity];
        private readonly Lock _lock = new();
        private int _head;

        public bool TrySuppressOrAdd(in DeduplicationKey key)
        {
            long now = TimeProvider.System.GetTimestamp();
            lock (_lock)
            {
                if (_seen.ContainsKey(key))
                {
                    return true;
                }

                if (_ring[_head].Id is not null)
                {
                    _seen.Remove(_ring[_head]);
                }

                _ring[_head] = key;
                _head = (_head + 1) % _ring.Length;
                _seen[key] = now;
                return false;
            }
        }
    }

    /// <summary>The bounded set with a <see cref="ConcurrentDictionary{TKey, TValue}"/> and a ring claimed by an interlocked index.</summary>
    private sealed class ConcurrentWindow(int capacity)
    {
        private readonly ConcurrentDictionary<DeduplicationKey, long> _seen = new(Environment.ProcessorCount, capacity);
        private readonly DeduplicationKey[] _ring = new DeduplicationKey[capacity];
        private long _head;

        public bool TrySuppressOrAdd(in DeduplicationKey key)
        {
            long now = TimeProvider.System.GetTimestamp();
            if (_seen.ContainsKey(key) || !_seen.TryAdd(key, now))
            {
                return true;
            }

            int slot = (int)((ulong)(Interlocked.Increment(ref _head) - 1) % (ulong)_ring.Length);
            if (_ring[slot].Id is not null)
            {
                _seen.TryRemove(_ring[slot], out _);
            }

            _ring[slot] = key;
            return false;
        }
    }
}
