using DuisPrioritiser.Classification;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Diagnostics;

/// <summary>Log messages of backlog stores other than the journal (event ids 8000-8099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "Backlog store {Store} opened: {Recovered} message(s) held.")]
    public static partial void BacklogStoreOpened(ILogger logger, string store, long recovered);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "Claiming {Level} messages from the backlog store failed; retrying in {RetryAfter}.")]
    public static partial void BacklogClaimFailed(ILogger logger, Exception exception, PriorityLevel level, TimeSpan retryAfter);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Renewing the leases of {Count} claimed message(s) failed; they may be released again elsewhere if the leases expire.")]
    public static partial void BacklogLeaseRenewalFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "{Count} message(s) claimed after the scheduler completed were returned to the backlog store.")]
    public static partial void BacklogLateClaimReturned(ILogger logger, int count);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Debug, Message = "A {Level} message was not accepted: the backlog store cannot be reached (intake answers Unavailable; the sender should retry).")]
    public static partial void BacklogStoreUnavailable(ILogger logger, Exception exception, PriorityLevel level);
}
