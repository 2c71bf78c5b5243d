using DuisPrioritiser.Queueing.Internal;

namespace DuisPrioritiser.Tests.Queueing;

public class LevelQueueTests
{
    [Test]
    public void Enqueue_BeyondOneSegment_GrowsAndKeepsFifo()
    {
        var queue = new LevelQueue<int>();
        const int Items = (LevelQueue<int>.MaxSegmentLength * 2) + 17;
        for (int i = 0; i < Items; i++)
        {
            queue.Enqueue(i);
        }

        Assert.That(queue.Count, Is.EqualTo(Items));
        for (int i = 0; i < Items; i++)
        {
            Assert.That(queue.TryDequeue(out int item), Is.True);
            Assert.That(item, Is.EqualTo(i));
        }

        Assert.That(queue.IsEmpty, Is.True);
        Assert.That(queue.TryDequeue(out _), Is.False);
    }

    [Test]
    public void TryPeek_ReturnsOldestWithoutRemoving_AcrossSegments()
    {
        var queue = new LevelQueue<string>();
        Assert.That(queue.TryPeek(out _), Is.False);
        for (int i = 0; i < 100; i++)
        {
            queue.Enqueue(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        for (int i = 0; i < 99; i++)
        {
            Assert.That(queue.TryPeek(out var head), Is.True);
            Assert.That(head, Is.EqualTo(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(queue.TryDequeue(out _), Is.True);
        }

        Assert.That(queue.TryPeek(out var last), Is.True);
        Assert.That(last, Is.EqualTo("99"));
        Assert.That(queue.Count, Is.EqualTo(1));
    }

    [Test]
    public void SteadyState_WithinOneSegment_AllocatesNothing()
    {
        var queue = new LevelQueue<long>();
        for (int warm = 0; warm < 1000; warm++)
        {
            queue.Enqueue(warm);
            queue.TryDequeue(out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            queue.Enqueue(i);
            queue.Enqueue(i);
            queue.TryDequeue(out _);
            queue.TryDequeue(out _);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void DequeuedReferenceSlots_AreCleared()
    {
        var queue = new LevelQueue<object>();
        var weak = EnqueueAndDequeue(queue);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.That(weak.IsAlive, Is.False, "the queue must not keep released items alive");

        static WeakReference EnqueueAndDequeue(LevelQueue<object> queue)
        {
            var item = new object();
            queue.Enqueue(item);
            queue.TryDequeue(out _);
            return new WeakReference(item);
        }
    }

    [Test]
    public void MultiLevelQueue_OccupancyMask_ReflectsLevels()
    {
        var queue = new MultiLevelQueue<int>(5);
        Assert.That(queue.GetOccupancyMask(), Is.Zero);
        queue.Enqueue(1, 1);
        queue.Enqueue(4, 4);
        Assert.That(queue.GetOccupancyMask(), Is.EqualTo(0b10010));
        Assert.That(queue.Count, Is.EqualTo(2));
        Assert.That(queue.TryDequeue(1, out _), Is.True);
        Assert.That(queue.TryDequeue(1, out _), Is.False);
        Assert.That(queue.GetOccupancyMask(), Is.EqualTo(0b10000), "a level found empty is cleared from the bitmap");
        Assert.That(queue.TryDequeueHighest(out int item, out int level), Is.True);
        Assert.That((item, level), Is.EqualTo((4, 4)));
        Assert.That(queue.TryDequeueHighest(out _, out _), Is.False);
        Assert.That(queue.GetOccupancyMask(), Is.Zero);
        queue.Enqueue(2, 2);
        Assert.That(queue.GetOccupancyMask(), Is.EqualTo(0b00100));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MultiLevelQueue<int>(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new MultiLevelQueue<int>(32));
    }

    [Test]
    public void MultiLevelQueue_ClearIfEmpty_ClearsAStaleBit_AndKeepsAnOccupiedLevelsBit()
    {
        var queue = new MultiLevelQueue<int>(5);
        queue.Enqueue(0, 1);
        queue.Enqueue(3, 2);
        Assert.That(queue.TryDequeue(0, out _), Is.True);
        Assert.That(queue.GetOccupancyMask(), Is.EqualTo(0b01001), "a successful take of the last item leaves the bit set");

        queue.ClearIfEmpty(0);
        queue.ClearIfEmpty(3);
        Assert.That(queue.GetOccupancyMask(), Is.EqualTo(0b01000), "the empty level's bit is cleared; the occupied level's stays");
        queue.Enqueue(0, 3);
        Assert.That(queue.GetOccupancyMask(), Is.EqualTo(0b01001), "a later enqueue sets it again");
    }
}
