using DuisPrioritiser.Classification;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Diagnostics;

/// <summary>Source-generated log messages. Event ids are fixed and public: never renumber them.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Scheduler completed with {Held} message(s) still held: new writes are refused; held messages stay readable until released (the hosted release loop then hands them to the dead-letter store, or leaves them in the durable journal for the next start).")]
    public static partial void SchedulerCompleted(ILogger logger, long held);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Rejected a {Level} message: the scheduler is at its capacity of {Capacity}.")]
    public static partial void RejectedFull(ILogger logger, PriorityLevel level, long capacity);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "A message was acknowledged that the scheduler does not count as in flight (acknowledged twice, or never released).")]
    public static partial void UnbalancedAcknowledgement(ILogger logger);
}
