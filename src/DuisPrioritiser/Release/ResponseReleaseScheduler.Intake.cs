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
        return IntakeResult.Read(ToIntakeStatus(TryEnqueueCore(message, level)), level, message);
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
        var status = TryEnqueueCore(message, level);
        if (status != EnqueueStatus.Full || _fullMode == QueueFullMode.Reject)
        {
            return new ValueTask<IntakeResult>(IntakeResult.Read(ToIntakeStatus(status), level, message));
        }

        return EnqueueRawWaitingAsync(message, level, cancellationToken);
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
