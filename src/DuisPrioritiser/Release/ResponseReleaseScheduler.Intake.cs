using DuisPrioritiser.Classification;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release.Internal;

namespace DuisPrioritiser.Release;

/// <content>One-call intake of raw DUIS bytes: read, classify, enqueue.</content>
public sealed partial class ResponseReleaseScheduler
{
    private readonly int _maxMessageBytes;

    /// <inheritdoc />
    public IntakeResult TryEnqueue(ReadOnlyMemory<byte> xml)
    {
        if (!DuisReader.TryRead(xml, _maxMessageBytes, out var message, out var error))
        {
            Log.RejectedInvalid(_logger, error.Code, error.Message);
            _metrics.Rejected("invalid", null);
            return IntakeResult.Invalid(error);
        }

        var level = Classify(message);
        return IntakeResult.Read(ToIntakeStatus(TryEnqueueRawChecked(message, level)), level, message);
    }

    /// <inheritdoc />
    public ValueTask<IntakeResult> EnqueueAsync(ReadOnlyMemory<byte> xml, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<IntakeResult>(cancellationToken);
        }

        if (!DuisReader.TryRead(xml, _maxMessageBytes, out var message, out var error))
        {
            Log.RejectedInvalid(_logger, error.Code, error.Message);
            _metrics.Rejected("invalid", null);
            return new ValueTask<IntakeResult>(IntakeResult.Invalid(error));
        }

        var level = Classify(message);
        if (_journal is not null || _duplicates is not null)
        {
            // Through the journal (durable before it returns) and duplicate suppression.
            var checkedResult = EnqueueCheckedAsync(message, level, cancellationToken);
            return checkedResult.IsCompletedSuccessfully
                ? new ValueTask<IntakeResult>(IntakeResult.Read(ToIntakeStatus(checkedResult.Result), level, message))
                : EnqueueRawCheckedAsync(checkedResult, message, level);
        }

        var status = TryEnqueueCore(message, level, final: _fullMode == QueueFullMode.Reject);
        if (status != EnqueueStatus.Full || _fullMode == QueueFullMode.Reject)
        {
            return new ValueTask<IntakeResult>(IntakeResult.Read(ToIntakeStatus(status), level, message));
        }

        return EnqueueRawWaitingAsync(message, level, cancellationToken);
    }

    private static IntakeStatus ToIntakeStatus(EnqueueResult result) => result switch
    {
        EnqueueResult.Accepted => IntakeStatus.Accepted,
        EnqueueResult.AcceptedDuplicate => IntakeStatus.AcceptedDuplicate,
        EnqueueResult.RejectedFull => IntakeStatus.RejectedFull,
        _ => IntakeStatus.RejectedCompleted,
    };

    private static async ValueTask<IntakeResult> EnqueueRawCheckedAsync(ValueTask<EnqueueResult> pending, DuisMessage message, PriorityLevel level)
        => IntakeResult.Read(ToIntakeStatus(await pending.ConfigureAwait(false)), level, message);

    /// <summary>The synchronous raw intake: refuses when journaled, suppresses duplicates.</summary>
    private EnqueueResult TryEnqueueRawChecked(DuisMessage message, PriorityLevel level)
    {
        ThrowIfJournaled();
        if (IsDuplicate(message, out var check))
        {
            return EnqueueResult.AcceptedDuplicate;
        }

        var status = TryEnqueueCore(message, level, timestamp: check.Timestamp);
        Remember(status, in check);
        return ToResult(status);
    }

    private static IntakeStatus ToIntakeStatus(EnqueueStatus status) => status switch
    {
        EnqueueStatus.Accepted => IntakeStatus.Accepted,
        EnqueueStatus.Full => IntakeStatus.RejectedFull,
        _ => IntakeStatus.RejectedCompleted,
    };

    private async ValueTask<IntakeResult> EnqueueRawWaitingAsync(DuisMessage message, PriorityLevel level, CancellationToken cancellationToken)
    {
        // EnqueueWaitingAsync only gives up waiting for space when the scheduler completes.
        bool accepted = await EnqueueWaitingAsync(message, level, cancellationToken).ConfigureAwait(false);
        return IntakeResult.Read(accepted ? IntakeStatus.Accepted : IntakeStatus.RejectedCompleted, level, message);
    }
}
