using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace AdapterGateway;

/// <summary>The simulated back-end's log messages; event ids 7010-7099 (the intake's own, 9001-9008, come from DuisPrioritiser.AspNetCore).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7010, Level = LogLevel.Debug, Message = "Back-end processed a {Level} {Kind} message after waiting {Wait} in the scheduler")]
    public static partial void Processed(ILogger logger, PriorityLevel level, DuisMessageKind kind, TimeSpan wait);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Warning, Message = "Back-end paused: released messages wait until it is resumed")]
    public static partial void Paused(ILogger logger);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Information, Message = "Back-end resumed")]
    public static partial void Resumed(ILogger logger);
}
