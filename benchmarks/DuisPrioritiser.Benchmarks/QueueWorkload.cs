using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Deduplication;
using DuisPrioritiser.Deduplication.Internal;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Queueing.Internal;
using DuisPrioritiser.Release;

namespace DuisPrioritiser.Benchmarks;

/// <summary>A benchmark message with its level and a check value (the identity hash of its ResponseID string).</summary>
public sealed class Item(int id, int level, DuisMessage message)
{
    public int Id { get; } = id;

    public int Level { get; } = level;

    public DuisMessage Message { get; } = message;

    /// <summary>
    /// What a consumer adds to its checksum; the scheduler's consumer computes it from the released message's ResponseID
    /// string, which the baseline library's copy of the message shares (so the same-run baseline rows check alike).
    /// </summary>
    public long Check { get; } = RuntimeHelpers.GetHashCode(message.ResponseId);
}

/// <summary>
/// Pre-built messages for the queue benchmarks: five kinds that the built-in classifier puts at the five levels,
/// round-robin, each with its own ResponseID so duplicate suppression (on by default) has a real key to look up and
/// never suppresses one of them.
/// </summary>
internal static class ItemPool
{
    private static readonly ServiceReferenceVariant s_critical = ServiceReferenceVariant.Parse("1.5");      // Update Meter Balance
    private static readonly ServiceReferenceVariant s_high = ServiceReferenceVariant.Parse("1.1.1");        // Update Import Tariff
    private static readonly ServiceReferenceVariant s_normal = ServiceReferenceVariant.Parse("3.1");        // Display Message
    private static readonly ServiceReferenceVariant s_low = ServiceReferenceVariant.Parse("4.1.1");         // DCC-scheduled read
    private static readonly DuisCode s_i0 = DuisCode.Parse("I0");
    private static readonly DuisCode s_bulkAlert = DuisCode.Parse("N9Z9");                                  // unlisted DCC alert: Bulk

    public static Item[] Create(int count)
    {
        var items = new Item[count];
        for (int i = 0; i < count; i++)
        {
            string responseId = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"00-DB-12-34-56-78-90-A0:90-B3-D5-1F-30-01-00-00:{1_700_000_000_000L + i}");
            int level = i % PriorityLevels.Count;
            var message = level switch
            {
                0 => new DuisMessage(DuisMessageKind.Response) { ServiceReferenceVariant = s_critical, ResponseCode = s_i0, ResponseId = responseId },
                1 => new DuisMessage(DuisMessageKind.Response) { ServiceReferenceVariant = s_high, ResponseCode = s_i0, ResponseId = responseId },
                2 => new DuisMessage(DuisMessageKind.Response) { ServiceReferenceVariant = s_normal, ResponseCode = s_i0, ResponseId = responseId },
                3 => new DuisMessage(DuisMessageKind.Response) { ServiceReferenceVariant = s_low, ResponseCode = s_i0, ResponseId = responseId, IsDccScheduled = true },
                _ => new DuisMessage(DuisMessageKind.DccAlert) { AlertCode = s_bulkAlert, ResponseId = responseId },
            };

            if (!DuisDefaultPriorityClassifier.Instance.TryClassify(message, out var classified) || (int)classified != level)
            {
                throw new InvalidOperationException($"Benchmark message {i} classifies as {classified}, expected {(PriorityLevel)level}.");
            }

            items[i] = new Item(i, level, message);
        }

        return items;
    }
}

/// <summary>
/// One queue under test, as a struct so that the generic harness is specialised per queue by the JIT: no delegate or
/// interface call per message distorts the ratios. <see cref="TryDequeue"/> returns the consumed message's check value.
/// </summary>
internal interface IQueueOps
{
    bool TryEnqueue(Item item);

    bool TryDequeue(out long check);
}

internal readonly struct ConcurrentQueueOps(ConcurrentQueue<Item> queue) : IQueueOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(Item item)
    {
        queue.Enqueue(item);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out long check)
    {
        bool ok = queue.TryDequeue(out var item);
        check = ok ? item!.Check : 0;
        return ok;
    }
}

internal readonly struct MultiLevelQueueOps(MultiLevelQueue<Item> queue) : IQueueOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(Item item)
    {
        queue.Enqueue(item.Level, item);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out long check)
    {
        bool ok = queue.TryDequeueHighest(out var item, out _);
        check = ok ? item.Check : 0;
        return ok;
    }
}

/// <summary>
/// The floor under the public path: only the work that default options cannot skip, with nothing else of the
/// scheduler. The internal queue, one clock read at intake (the receive time) and one at release (the release wait),
/// and a lookup plus add in a default duplicate window (100,000 keys) with the message's real key. No classification,
/// capacity, drain policy, fair Bulk, metrics or acknowledgement.
/// </summary>
/// <remarks>
/// Not a scheduler anyone could use: a yardstick. When this row alone is slower than a baseline, no implementation
/// of the default options can be faster than that baseline on this machine.
/// </remarks>
internal readonly struct RequiredWorkOps(MultiLevelQueue<Item> queue, DuplicateWindow window) : IQueueOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(Item item)
    {
        if (!DeduplicationKey.TryCreate(item.Message, out var key))
        {
            return false;
        }

        ulong hash = window.Hash(in key);
        long now = TimeProvider.System.GetTimestamp();
        if (window.TrySuppress(in key, hash, now))
        {
            return false;
        }

        window.Add(in key, hash, now);
        queue.Enqueue(item.Level, item);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out long check)
    {
        bool ok = queue.TryDequeueHighest(out var item, out _);
        long now = TimeProvider.System.GetTimestamp();
        check = ok && now != 0 ? item.Check : 0;
        return ok;
    }
}

/// <summary>An entry of the FIFO-keeping baselines: the item and its arrival order.</summary>
internal readonly record struct Sequenced(Item Item, long Sequence);

/// <summary>Orders by level, then by arrival, so a heap keeps FIFO within a level: the same work our queue does.</summary>
internal sealed class LevelThenSequence : IComparer<Sequenced>
{
    public static readonly LevelThenSequence Instance = new();

    public int Compare(Sequenced x, Sequenced y)
    {
        int byLevel = x.Item.Level.CompareTo(y.Item.Level);
        return byLevel != 0 ? byLevel : x.Sequence.CompareTo(y.Sequence);
    }
}

/// <summary>The arrival order for the FIFO-keeping baselines: a plain counter on one thread, the monotonic clock across threads (no shared counter).</summary>
internal sealed class SequenceSource(bool concurrent)
{
    private long _next;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next() => concurrent ? Stopwatch.GetTimestamp() : _next++;
}

internal readonly struct PrioritizedChannelOps(Channel<Sequenced> channel, SequenceSource sequence) : IQueueOps
{
    public static Channel<Sequenced> Create() => Channel.CreateUnboundedPrioritized(new UnboundedPrioritizedChannelOptions<Sequenced> { Comparer = LevelThenSequence.Instance });

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(Item item) => channel.Writer.TryWrite(new Sequenced(item, sequence.Next()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out long check)
    {
        bool ok = channel.Reader.TryRead(out var entry);
        check = ok ? entry.Item.Check : 0;
        return ok;
    }
}

internal sealed class LockedPriorityQueue
{
    public readonly Lock Gate = new();
    public readonly PriorityQueue<Item, (int Level, long Sequence)> Queue = new();
    public long Sequence;
}

internal readonly struct LockedPriorityQueueOps(LockedPriorityQueue queue) : IQueueOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(Item item)
    {
        lock (queue.Gate)
        {
            queue.Queue.Enqueue(item, (item.Level, queue.Sequence++));
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out long check)
    {
        Item? item;
        bool ok;
        lock (queue.Gate)
        {
            ok = queue.Queue.TryDequeue(out item, out _);
        }

        check = ok ? item!.Check : 0;
        return ok;
    }
}

/// <summary>
/// The public path a user calls: <see cref="ResponseReleaseScheduler.TryEnqueue(DuisMessage)"/> (classification,
/// duplicate suppression, capacity, timestamps, metrics), <see cref="ResponseReleaseScheduler.TryDequeue"/> (the
/// default drain policy) and <see cref="ResponseReleaseScheduler.AcknowledgeAsync"/>.
/// </summary>
internal readonly struct SchedulerOps(ResponseReleaseScheduler scheduler) : IQueueOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(Item item) => scheduler.TryEnqueue(item.Message);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out long check)
    {
        if (!scheduler.TryDequeue(out var released))
        {
            check = 0;
            return false;
        }

        var acknowledged = scheduler.AcknowledgeAsync(released);
        if (!acknowledged.IsCompletedSuccessfully)
        {
            acknowledged.AsTask().GetAwaiter().GetResult();
        }

        check = RuntimeHelpers.GetHashCode(released.Message.ResponseId);
        return true;
    }
}

/// <summary>The public asynchronous intake: <see cref="ResponseReleaseScheduler.EnqueueAsync(DuisMessage, CancellationToken)"/>, which must complete synchronously in memory.</summary>
internal readonly struct SchedulerAsyncOps(ResponseReleaseScheduler scheduler) : IQueueOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnqueue(Item item)
    {
        var pending = scheduler.EnqueueAsync(item.Message);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out long check) => new SchedulerOps(scheduler).TryDequeue(out check);
}

/// <summary>Fails a benchmark run: a refused enqueue or an empty dequeue is never counted as a fast operation.</summary>
internal static class Fail
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Refused(Item item) => throw new InvalidOperationException($"The queue refused message {item.Id}: the benchmark would measure a refusal, not an enqueue.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Empty(long held) => throw new InvalidOperationException($"A dequeue found nothing with {held} messages expected: the benchmark would measure an empty dequeue.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Check(string what) => throw new InvalidOperationException(what);
}
