using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.PostgreSql.Internal;

internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "The PostgreSQL backlog cannot be reached; intake answers unavailable and releases pause until it returns.")]
    public static partial void Unavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "The PostgreSQL backlog is reachable again.")]
    public static partial void Available(ILogger logger);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "{Count} acknowledged message(s) were no longer leased by this instance (their lease expired); another instance releases them again.")]
    public static partial void LeasesLost(ILogger logger, int count);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "{Count} expired lease(s) made claimable again (an instance stopped renewing them).")]
    public static partial void LeasesReaped(ILogger logger, int count);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error, Message = "The PostgreSQL backlog's {Loop} loop failed; it retries.")]
    public static partial void BackgroundFailed(ILogger logger, string loop, Exception exception);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "A BacklogChanged handler threw; handlers must not throw.")]
    public static partial void ChangeHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "The PostgreSQL backlog's committer did not finish its queued accepts within 30 seconds of disposal.")]
    public static partial void CommitterSlowToStop(ILogger logger);
}
