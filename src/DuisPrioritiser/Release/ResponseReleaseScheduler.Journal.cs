using DuisPrioritiser.Classification;
using DuisPrioritiser.Deduplication.Internal;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Journal.Internal;
using DuisPrioritiser.Release.Internal;

namespace DuisPrioritiser.Release;

/// <summary>The durable journal and duplicate suppression, wired into intake, release acknowledgement and start-up.</summary>
/// <remarks>
/// <para><b>Intake with a journal.</b> A message is journaled (and forced to disk) before it is placed in the queue,
/// so a reader never sees a reserved place whose message is still being written. Capacity and completion are checked
/// first, so a message that would be refused is not journaled; if the scheduler fills or completes while the message
/// is being written, a Complete record cancels it. <c>EnqueueAsync</c> returns only after the message is durable.</para>
/// <para><b>Synchronous TryEnqueue with a journal</b> throws <see cref="InvalidOperationException"/>: it is documented
/// never to block, and making a message durable takes a disk flush (milliseconds), so it cannot keep both promises.
/// Blocking a thread-pool thread per message on an <c>fsync</c> would also starve an HTTP intake under a flood.</para>
/// </remarks>
public sealed partial class ResponseReleaseScheduler
{
    private IMessageJournal? _journal;
    private DuplicateWindow? _duplicates;

    /// <summary>Gets how many duplicate messages were suppressed (reported as <see cref="EnqueueResult.AcceptedDuplicate"/> and not enqueued again).</summary>
    public long DuplicatesSuppressed => _duplicates?.SuppressedCount ?? 0;

    /// <summary>Gets the journal, for tests.</summary>
    internal IMessageJournal? Journal => _journal;

    /// <summary>Gets a value indicating whether a durable journal is configured (see <see cref="JournalOptions"/>).</summary>
    public bool IsJournaled => _journal is not null;

    /// <summary>
    /// Classifies and enqueues <paramref name="message"/> like <see cref="EnqueueAsync(DuisMessage, CancellationToken)"/>, and says why it was or was
    /// not accepted. With a journal, the task completes only once the message is on stable storage.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels a wait for space (under <see cref="QueueFullMode.Wait"/>).</param>
    /// <returns>
    /// <see cref="EnqueueResult.Accepted"/> or <see cref="EnqueueResult.AcceptedDuplicate"/>: acknowledge the DCC with a 2xx;
    /// otherwise the message stays the caller's.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting; the message was not accepted.</exception>
    /// <exception cref="JournalWriteException">The journal could not make the message durable (disk full): it was not accepted.</exception>
    public ValueTask<EnqueueResult> EnqueueWithResultAsync(DuisMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<EnqueueResult>(cancellationToken);
        }

        return EnqueueCheckedAsync(message, Classify(message), cancellationToken);
    }

    private static EnqueueResult ToResult(EnqueueStatus status) => status switch
    {
        EnqueueStatus.Accepted => EnqueueResult.Accepted,
        EnqueueStatus.Full => EnqueueResult.RejectedFull,
        _ => EnqueueResult.RejectedCompleted,
    };

    private static async ValueTask<bool> IsAcceptedAsync(ValueTask<EnqueueResult> result)
        => await result.ConfigureAwait(false) is EnqueueResult.Accepted or EnqueueResult.AcceptedDuplicate;

    /// <summary>Opens the journal (recovering what it holds, ahead of any new work) and the duplicate window. Called last by the constructor.</summary>
    private void InitialiseDurability(ResponsePrioritisationOptions options)
    {
        if (options.Deduplication.Enabled)
        {
            _duplicates = new DuplicateWindow(options.Deduplication.Clone(), _timeProvider);
        }

        if (!options.Journal.IsEnabled)
        {
            return;
        }

        var journal = MessageJournal.Open(options.Journal, _timeProvider, _logger);
        long now = _timeProvider.GetTimestamp();
        foreach (var recovered in journal.Recovered)
        {
            // Recovered messages were accepted before the restart: they are held even beyond capacity, never dropped.
            Interlocked.Increment(ref _state.Value);
            Hold((int)recovered.Level, new QueuedEntry(recovered.Message, now, recovered.Id));
            if (_duplicates is not null && DeduplicationKey.TryCreate(recovered.Message, out var key))
            {
                _duplicates.Add(key);
            }
        }

        Log.JournalRecoveredIntoScheduler(_logger, journal.Recovered.Count);
        _journal = journal;
    }

    /// <summary>The synchronous intake: refuses when journaled (see the type remarks), suppresses duplicates.</summary>
    private bool TryEnqueueChecked(DuisMessage message, PriorityLevel level)
    {
        ThrowIfJournaled();
        if (IsDuplicate(message, out var check))
        {
            return true;
        }

        var status = TryEnqueueCore(message, level, timestamp: check.Timestamp);
        Remember(status, in check);
        return status == EnqueueStatus.Accepted;
    }

    private ValueTask<EnqueueResult> EnqueueCheckedAsync(DuisMessage message, PriorityLevel level, CancellationToken cancellationToken)
    {
        if (IsDuplicate(message, out var check))
        {
            return new ValueTask<EnqueueResult>(EnqueueResult.AcceptedDuplicate);
        }

        if (_journal is not null)
        {
            return EnqueueJournaledAsync(message, level, check, cancellationToken);
        }

        var status = TryEnqueueCore(message, level, final: _fullMode == QueueFullMode.Reject, timestamp: check.Timestamp);
        if (status == EnqueueStatus.Full && _fullMode == QueueFullMode.Wait)
        {
            return EnqueueWaitingCheckedAsync(message, level, check, cancellationToken);
        }

        Remember(status, in check);
        return new ValueTask<EnqueueResult>(ToResult(status));
    }

    private async ValueTask<EnqueueResult> EnqueueWaitingCheckedAsync(DuisMessage message, PriorityLevel level, DuplicateCheck check, CancellationToken cancellationToken)
    {
        bool accepted = await EnqueueWaitingAsync(message, level, cancellationToken).ConfigureAwait(false);
        var status = accepted ? EnqueueStatus.Accepted : EnqueueStatus.Completed;
        Remember(status, in check);
        return ToResult(status);
    }

    private async ValueTask<EnqueueResult> EnqueueJournaledAsync(DuisMessage message, PriorityLevel level, DuplicateCheck check, CancellationToken cancellationToken)
    {
        var journal = _journal!;

        // Check first, so that a message that would be refused is not journaled.
        var status = await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        if (status != EnqueueStatus.Accepted)
        {
            RecordRejection(status, message, level);
            return ToResult(status);
        }

        // Stamped before the append, so that the journal records (and recovery restores) the receive time.
        EnsureReceivedAt(message, _timeProvider.GetTimestamp());

        long id;
        try
        {
            id = await journal.AppendAsync(message, level).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return EnqueueResult.RejectedCompleted;
        }
        catch (JournalWriteException)
        {
            _metrics.Rejected("journal", message.Kind);
            throw;
        }

        try
        {
            while (true)
            {
                status = TryEnqueueCore(message, level, id, final: false);
                if (status != EnqueueStatus.Full || _fullMode == QueueFullMode.Reject)
                {
                    break;
                }

                // Filled up while the message was being written: wait for room, still holding its journal record.
                status = await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
                if (status != EnqueueStatus.Accepted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            await journal.CompleteAsync(id).ConfigureAwait(false);
            throw;
        }

        if (status != EnqueueStatus.Accepted)
        {
            // Refused after all: cancel the journal record so that it is not recovered as accepted.
            RecordRejection(status, message, level);
            await journal.CompleteAsync(id).ConfigureAwait(false);
            return ToResult(status);
        }

        Remember(status, in check);
        return EnqueueResult.Accepted;
    }

    /// <summary>Returns Accepted when there is room now; waits for room under Wait; otherwise says why not. Reserves nothing.</summary>
    private async ValueTask<EnqueueStatus> WaitForRoomAsync(CancellationToken cancellationToken)
    {
        long state = Volatile.Read(ref _state.Value);
        if ((state & CompletedBit) != 0)
        {
            return EnqueueStatus.Completed;
        }

        if (state < _capacity)
        {
            return EnqueueStatus.Accepted;
        }

        if (_fullMode == QueueFullMode.Reject)
        {
            return EnqueueStatus.Full;
        }

        Interlocked.Increment(ref _writeWaiters);
        try
        {
            while (true)
            {
                var signalled = _spaceSignal.WaitTask;
                state = Volatile.Read(ref _state.Value);
                if ((state & CompletedBit) != 0)
                {
                    return EnqueueStatus.Completed;
                }

                if (state < _capacity)
                {
                    return EnqueueStatus.Accepted;
                }

                await signalled.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _writeWaiters);
        }
    }

    private void ThrowIfJournaled()
    {
        if (_journal is not null)
        {
            throw new InvalidOperationException(
                "A durable journal is configured, so accepting a message means waiting for the disk: use EnqueueAsync or EnqueueWithResultAsync, " +
                "and acknowledge the DCC when it completes. TryEnqueue never blocks and cannot make a message durable.");
        }
    }

    /// <summary>Records a handled or dead-lettered message as complete in the journal, so that it is not recovered.</summary>
    private ValueTask CompleteInJournalAsync(in ReleasedMessage message)
        => _journal is null || message.Token <= 0 ? ValueTask.CompletedTask : _journal.CompleteAsync(message.Token);

    private void DisposeJournal() => _journal?.Dispose();

    private ValueTask DisposeJournalAsync() => _journal?.DisposeAsync() ?? ValueTask.CompletedTask;
}
