using DuisPrioritiser.Diagnostics;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Release.Internal;

/// <summary>The default <see cref="IDeadLetterSink"/>: logs each message at error level (event 4011) with its ids, so it can be found and replayed.</summary>
internal sealed class LoggingDeadLetterSink(ILogger<LoggingDeadLetterSink> logger) : IDeadLetterSink
{
    public ValueTask DeadLetterAsync(DeadLetter deadLetter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        var message = deadLetter.Message;
        Log.DeadLettered(logger, deadLetter.Exception, message.Level, message.Message, deadLetter.Reason, deadLetter.Attempts, message.Message?.RequestId, message.Message?.ResponseId);
        return ValueTask.CompletedTask;
    }
}
