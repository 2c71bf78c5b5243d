using System.Collections.Concurrent;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Queueing.Internal;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Benchmarks;

/// <summary>
/// Cost per message (one enqueue plus one dequeue), single-threaded, of our multi-level queue against the
/// baselines the brief names. Each invocation moves <see cref="Batch"/> messages through the queue in bursts,
/// so the figures are per message.
/// </summary>
[MemoryDiagnoser]
public class QueueSingleThreadBenchmarks
{
    public const int Batch = 4096;
    private const int Burst = 64;

    private readonly ConcurrentQueue<Item> _concurrentQueue = new();
    private readonly MultiLevelQueue<Item> _multiLevel = new(PriorityLevels.Count);
    private readonly Channel<Item> _prioritizedChannel = Channel.CreateUnboundedPrioritized(new UnboundedPrioritizedChannelOptions<Item> { Comparer = Item.ByLevel });
    private readonly PriorityQueue<Item, (int Level, long Sequence)> _priorityQueue = new();
    private readonly Lock _lock = new();
    private readonly ResponseReleaseScheduler _scheduler = new(new ResponsePrioritisationOptions { Capacity = 1_000_000 });
    private Item[] _items = [];
    private long _sequence;

    [GlobalSetup]
    public void Setup()
    {
        _items = Enumerable.Range(0, Batch).Select(i => new Item(i % PriorityLevels.Count, new DuisMessage(DuisMessageKind.Response))).ToArray();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public void ConcurrentQueue()
    {
        var items = _items;
        for (int i = 0; i < items.Length; i += Burst)
        {
            for (int j = i; j < i + Burst; j++)
            {
                _concurrentQueue.Enqueue(items[j]);
            }

            for (int j = 0; j < Burst; j++)
            {
                _concurrentQueue.TryDequeue(out _);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void MultiLevelQueue_OneLevel()
    {
        var items = _items;
        for (int i = 0; i < items.Length; i += Burst)
        {
            for (int j = i; j < i + Burst; j++)
            {
                _multiLevel.Enqueue(0, items[j]);
            }

            for (int j = 0; j < Burst; j++)
            {
                _multiLevel.TryDequeue(0, out _);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void MultiLevelQueue_FiveLevels()
    {
        var items = _items;
        for (int i = 0; i < items.Length; i += Burst)
        {
            for (int j = i; j < i + Burst; j++)
            {
                var item = items[j];
                _multiLevel.Enqueue(item.Level, item);
            }

            for (int j = 0; j < Burst; j++)
            {
                _multiLevel.TryDequeueHighest(out _, out _);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void Scheduler_FiveLevels()
    {
        var items = _items;
        for (int i = 0; i < items.Length; i += Burst)
        {
            for (int j = i; j < i + Burst; j++)
            {
                var item = items[j];
                _scheduler.TryEnqueue(item.Message, (PriorityLevel)item.Level);
            }

            for (int j = 0; j < Burst; j++)
            {
                _scheduler.TryDequeue(out _);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void PrioritizedChannel()
    {
        var items = _items;
        var writer = _prioritizedChannel.Writer;
        var reader = _prioritizedChannel.Reader;
        for (int i = 0; i < items.Length; i += Burst)
        {
            for (int j = i; j < i + Burst; j++)
            {
                writer.TryWrite(items[j]);
            }

            for (int j = 0; j < Burst; j++)
            {
                reader.TryRead(out _);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void LockedPriorityQueue()
    {
        var items = _items;
        for (int i = 0; i < items.Length; i += Burst)
        {
            for (int j = i; j < i + Burst; j++)
            {
                var item = items[j];
                lock (_lock)
                {
                    _priorityQueue.Enqueue(item, (item.Level, _sequence++));
                }
            }

            for (int j = 0; j < Burst; j++)
            {
                lock (_lock)
                {
                    _priorityQueue.TryDequeue(out _, out _);
                }
            }
        }
    }
}

/// <summary>
/// Cost per message with two producer threads and two consumer threads sharing the queue.
/// </summary>
[MemoryDiagnoser]
public class QueueConcurrentBenchmarks
{
    public const int Messages = 200_000;

    private Item[] _items = [];

    [GlobalSetup]
    public void Setup()
    {
        _items = Enumerable.Range(0, Messages).Select(i => new Item(i % PriorityLevels.Count, new DuisMessage(DuisMessageKind.Response))).ToArray();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public void ConcurrentQueue_2P2C()
    {
        var queue = new ConcurrentQueue<Item>();
        Run(item => queue.Enqueue(item), () => queue.TryDequeue(out _));
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public void MultiLevelQueue_2P2C()
    {
        var queue = new MultiLevelQueue<Item>(PriorityLevels.Count);
        Run(item => queue.Enqueue(item.Level, item), () => queue.TryDequeueHighest(out _, out _));
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public void PrioritizedChannel_2P2C()
    {
        var channel = Channel.CreateUnboundedPrioritized(new UnboundedPrioritizedChannelOptions<Item> { Comparer = Item.ByLevel });
        Run(item => channel.Writer.TryWrite(item), () => channel.Reader.TryRead(out _));
    }

    [Benchmark(OperationsPerInvoke = Messages)]
    public void LockedPriorityQueue_2P2C()
    {
        var queue = new PriorityQueue<Item, int>();
        var gate = new Lock();
        Run(
            item =>
            {
                lock (gate)
                {
                    queue.Enqueue(item, item.Level);
                }
            },
            () =>
            {
                lock (gate)
                {
                    return queue.TryDequeue(out _, out _);
                }
            });
    }

    private void Run(Action<Item> enqueue, Func<bool> tryDequeue)
    {
        var items = _items;
        int half = items.Length / 2;
        long consumed = 0;
        var threads = new[]
        {
            new Thread(() => { for (int i = 0; i < half; i++) { enqueue(items[i]); } }),
            new Thread(() => { for (int i = half; i < items.Length; i++) { enqueue(items[i]); } }),
            new Thread(Consume),
            new Thread(Consume),
        };
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        void Consume()
        {
            while (Interlocked.Read(ref consumed) < items.Length)
            {
                if (tryDequeue())
                {
                    Interlocked.Increment(ref consumed);
                }
            }
        }
    }
}

/// <summary>A benchmark message with its level.</summary>
public sealed class Item(int level, DuisMessage message)
{
    public static readonly IComparer<Item> ByLevel = Comparer<Item>.Create((a, b) => a.Level.CompareTo(b.Level));

    public int Level { get; } = level;

    public DuisMessage Message { get; } = message;
}
