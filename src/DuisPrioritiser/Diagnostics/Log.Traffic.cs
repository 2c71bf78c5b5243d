using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Duis;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Diagnostics;

/// <summary>Log messages of traffic management and the hosted release loop (event ids 4000-4099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Traffic mode changed from {From} to {To}: {Reason} ({Held} message(s) held).")]
    public static partial void ModeChanged(ILogger logger, TrafficMode from, TrafficMode to, string reason, long held);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "In-flight limit changed from {From} to {To} (average latency {AverageLatencySeconds:F4} s, baseline {BaselineSeconds:F4} s, {Failures} failure(s) and {Timeouts} time-out(s) in {Samples} sample(s)).")]
    public static partial void PaceLimitChanged(ILogger logger, int from, int to, double averageLatencySeconds, double baselineSeconds, int failures, int timeouts, int samples);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Handler failed on attempt {Attempt} of {MaxAttempts} for a {Level} message {Message}.")]
    public static partial void HandlerFailed(ILogger logger, Exception? exception, int attempt, int maxAttempts, PriorityLevel level, DuisMessage message);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Error, Message = "Dead-lettered a {Level} message {Message} ({Reason}) after {Attempts} attempt(s); request id {RequestId}, response id {ResponseId}.")]
    public static partial void DeadLettered(ILogger logger, Exception? exception, PriorityLevel level, DuisMessage message, string reason, int attempts, string? requestId, string? responseId);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Critical, Message = "The dead-letter sink failed for a {Level} message {Message} ({Reason}); request id {RequestId}, response id {ResponseId}. The message is only in this log now.")]
    public static partial void DeadLetterSinkFailed(ILogger logger, Exception exception, PriorityLevel level, DuisMessage message, string reason, string? requestId, string? responseId);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Warning, Message = "Release loop shutdown handed {InFlight} in-flight and {Queued} queued message(s) to the dead-letter sink.")]
    public static partial void ShutdownDeadLettered(ILogger logger, int inFlight, int queued);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Information, Message = "Release loop started ({PaceMode} in-flight limit {Limit}).")]
    public static partial void ReleaseLoopStarted(ILogger logger, string paceMode, int limit);

    [LoggerMessage(EventId = 4015, Level = LogLevel.Information, Message = "Release loop stopped.")]
    public static partial void ReleaseLoopStopped(ILogger logger);

    [LoggerMessage(EventId = 4016, Level = LogLevel.Warning, Message = "A handler call for {Message} finished after shutdown had already dead-lettered it; its outcome is ignored.")]
    public static partial void AbandonedHandlerFinished(ILogger logger, DuisMessage message);

    [LoggerMessage(EventId = 4017, Level = LogLevel.Critical, Message = "The release loop faulted; remaining messages will be dead-lettered at shutdown.")]
    public static partial void ReleaseLoopFaulted(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4018, Level = LogLevel.Warning, Message = "Shutdown timed out after {Timeout} with {InFlight} message(s) still in flight; they go to the dead-letter sink.")]
    public static partial void ShutdownTimedOut(ILogger logger, TimeSpan timeout, int inFlight);

    [LoggerMessage(EventId = 4019, Level = LogLevel.Error, Message = "The release loop failed ({Faults} of {MaxFaults} in a row); it tries again in {Delay}.")]
    public static partial void ReleaseLoopIterationFailed(ILogger logger, Exception exception, int faults, int maxFaults, TimeSpan delay);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "Shutdown left a {Level} message {Message} waiting to retry (after attempt {Attempt}) in the durable journal; it will be recovered at the next start, not dead-lettered.")]
    public static partial void RetryLeftInJournal(ILogger logger, PriorityLevel level, DuisMessage message, int attempt);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Warning, Message = "Release paused: the release loop takes no new message until it is resumed; intake goes on.")]
    public static partial void ReleasePaused(ILogger logger);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Information, Message = "Release resumed.")]
    public static partial void ReleaseResumed(ILogger logger);
}
