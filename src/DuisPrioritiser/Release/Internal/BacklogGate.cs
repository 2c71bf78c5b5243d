using System.Diagnostics;
using System.Runtime.CompilerServices;
using DuisPrioritiser.Queueing.Internal;

namespace DuisPrioritiser.Release.Internal;

/// <summary>
/// Admission and completion: the held count against capacity, the completed bit, the in-flight count, and the
/// wake-ups for readers (something to release) and waiting writers (room).
/// </summary>
/// <remarks>
/// <para><b>Capacity and completion</b> share one 64-bit word: the held count plus a completed bit. A producer
/// reserves a place by compare-and-swap, which fails once the bit is set, so a message is either refused or counted
/// before completion, and readers end only when the word reads "completed, zero held": no message can slip in after
/// the last reader has left.</para>
/// <para><b>Waiting</b> uses <see cref="AsyncSignal"/>: a waiter registers (an interlocked increment, a full fence),
/// takes the signal's task, and re-checks; a signaller changes the state (a CAS, a full fence) and then reads the
/// waiter count. Whichever runs second sees the other's write, so no wake-up is lost.</para>
/// </remarks>
internal sealed class BacklogGate
{
    public const long CompletedBit = 1L << 62;

    private readonly long _capacity;
    private readonly AsyncSignal _readSignal = new();
    private readonly AsyncSignal _spaceSignal = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PaddedCounter _state; // held count | CompletedBit
    private PaddedCounter _inFlight;
    private int _readWaiters;
    private int _writeWaiters;

    public BacklogGate(long capacity)
    {
        _capacity = capacity;
    }

    public long Capacity => _capacity;

    public Task Completion => _completion.Task;

    /// <summary>Gets the raw state word (held count | <see cref="CompletedBit"/>).</summary>
    public long State => Volatile.Read(ref _state.Value);

    public long Held => Volatile.Read(ref _state.Value) & ~CompletedBit;

    public bool IsCompleted => (Volatile.Read(ref _state.Value) & CompletedBit) != 0;

    public long InFlight => Math.Max(0, Volatile.Read(ref _inFlight.Value));

    public bool HasReadWaiters => Volatile.Read(ref _readWaiters) > 0;

    public Task ReadSignalled => _readSignal.WaitTask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public EnqueueStatus TryReserve()
    {
        long state = Volatile.Read(ref _state.Value);
        while (true)
        {
            if ((state & CompletedBit) != 0)
            {
                return EnqueueStatus.Completed;
            }

            if (state >= _capacity)
            {
                return EnqueueStatus.Full;
            }

            long seen = Interlocked.CompareExchange(ref _state.Value, state + 1, state);
            if (seen == state)
            {
                return EnqueueStatus.Accepted;
            }

            state = seen;
        }
    }

    /// <summary>Says whether there is room now, without reserving it.</summary>
    public EnqueueStatus Peek()
    {
        long state = Volatile.Read(ref _state.Value);
        return (state & CompletedBit) != 0 ? EnqueueStatus.Completed : state < _capacity ? EnqueueStatus.Accepted : EnqueueStatus.Full;
    }

    /// <summary>Counts a message held regardless of capacity (recovered, or returned: accepted before, never dropped).</summary>
    public void AddHeld(long count = 1) => Interlocked.Add(ref _state.Value, count);

    /// <summary>Wakes readers if any wait (after a message became visible).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NotifyReaders()
    {
        if (Volatile.Read(ref _readWaiters) > 0)
        {
            _readSignal.Pulse();
        }
    }

    /// <summary>Wakes readers unconditionally (the mode changed, or a remote store may have grown).</summary>
    public void PulseReaders() => _readSignal.Pulse();

    /// <summary>Moves one message from held to in flight.</summary>
    public void OnReleased()
    {
        Interlocked.Increment(ref _inFlight.Value);
        long state = Interlocked.Decrement(ref _state.Value);
        Debug.Assert((state & ~CompletedBit) >= 0, "Held count went negative.");
        if (state == CompletedBit)
        {
            _completion.TrySetResult();
            _readSignal.Pulse();
        }

        if (Volatile.Read(ref _writeWaiters) > 0)
        {
            _spaceSignal.Pulse();
        }
    }

    /// <summary>Ends one message's time in flight; <see langword="false"/> when more were acknowledged than released.</summary>
    public bool OnAcknowledged()
    {
        if (Interlocked.Decrement(ref _inFlight.Value) < 0)
        {
            Interlocked.Increment(ref _inFlight.Value);
            return false;
        }

        return true;
    }

    /// <summary>Sets the completed bit; returns the held count at that moment, or -1 when already completed.</summary>
    public long Complete()
    {
        long state = Volatile.Read(ref _state.Value);
        while ((state & CompletedBit) == 0)
        {
            long seen = Interlocked.CompareExchange(ref _state.Value, state | CompletedBit, state);
            if (seen == state)
            {
                if (state == 0)
                {
                    _completion.TrySetResult();
                }

                // Wake everyone: readers to notice the end, writers to give up waiting for space.
                _readSignal.Pulse();
                _spaceSignal.Pulse();
                return state;
            }

            state = seen;
        }

        return -1;
    }

    /// <summary>Returns Accepted when there is room now; waits for room when <paramref name="wait"/>; otherwise says why not. Reserves nothing.</summary>
    public async ValueTask<EnqueueStatus> WaitForRoomAsync(bool wait, CancellationToken cancellationToken)
    {
        var status = Peek();
        if (status != EnqueueStatus.Full || !wait)
        {
            return status;
        }

        Interlocked.Increment(ref _writeWaiters);
        try
        {
            while (true)
            {
                var signalled = _spaceSignal.WaitTask;
                status = Peek();
                if (status != EnqueueStatus.Full)
                {
                    return status;
                }

                await signalled.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _writeWaiters);
        }
    }

    /// <summary>Registers a writer waiting for room; pair with <see cref="EndWriteWait"/>.</summary>
    public Task BeginWriteWait()
    {
        Interlocked.Increment(ref _writeWaiters);
        return _spaceSignal.WaitTask;
    }

    public Task SpaceSignalled => _spaceSignal.WaitTask;

    public void EndWriteWait() => Interlocked.Decrement(ref _writeWaiters);

    /// <summary>Registers a reader waiting; pair with <see cref="EndReadWait"/>.</summary>
    public void BeginReadWait() => Interlocked.Increment(ref _readWaiters);

    public void EndReadWait() => Interlocked.Decrement(ref _readWaiters);
}
