using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;

namespace AdapterGateway;

/// <summary>The gateway's log messages; event ids 7000-7099.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Rejected a DUIS message that is not readable ({Code}): {Reason}")]
    public static partial void Invalid(ILogger logger, DuisParseErrorCode code, string reason);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Answered 503: at capacity (a {Level} message); the DCC will resend it")]
    public static partial void Full(ILogger logger, PriorityLevel level);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Answered 503: shutting down; the DCC will resend the message")]
    public static partial void ShuttingDown(ILogger logger);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Answered 503 for an intake outcome this gateway does not know ({Status}); map it in DuisIntakeEndpoint")]
    public static partial void UnknownStatus(ILogger logger, IntakeStatus status);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Warning, Message = "Answered 503: the backlog store is unavailable ({Reason}); the DCC will resend the message")]
    public static partial void StoreUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Rejected a DUIS message larger than {MaxBytes} bytes (Content-Length {ContentLength})")]
    public static partial void TooLarge(ILogger logger, long? contentLength, int maxBytes);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "Rejected a request with Content-Type '{ContentType}': DUIS must be sent as XML")]
    public static partial void UnsupportedContentType(ILogger logger, string? contentType);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Debug, Message = "Back-end processed a {Level} {Kind} message after waiting {Wait} in the scheduler")]
    public static partial void Processed(ILogger logger, PriorityLevel level, DuisMessageKind kind, TimeSpan wait);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Warning, Message = "Back-end paused: released messages wait until it is resumed")]
    public static partial void Paused(ILogger logger);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Information, Message = "Back-end resumed")]
    public static partial void Resumed(ILogger logger);
}
