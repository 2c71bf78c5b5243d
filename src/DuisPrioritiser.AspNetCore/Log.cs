using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.AspNetCore;

/// <summary>The package's log events, 9001 to 9099 (intake) and 9101 to 9199 (admin API).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Refused a DUIS request from {RemoteAddress}: {Reason}.")]
    public static partial void ClientCertificateRefused(ILogger logger, string? remoteAddress, string reason);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "Refused a DUIS request with content type '{ContentType}' (415).")]
    public static partial void UnsupportedContentType(ILogger logger, string? contentType);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Refused a DUIS request body over {MaxBytes} bytes (declared length {ContentLength}) (413).")]
    public static partial void TooLarge(ILogger logger, long? contentLength, int maxBytes);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Warning, Message = "Refused an unreadable DUIS message ({Code}): {Detail} (400).")]
    public static partial void Invalid(ILogger logger, DuisParseErrorCode code, string detail);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Warning, Message = "Refused a {Level} message: the scheduler is at capacity (503).")]
    public static partial void Full(ILogger logger, PriorityLevel level);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Information, Message = "Refused a message: the scheduler is completed (503).")]
    public static partial void Completed(ILogger logger);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Error, Message = "Refused a message: the store could not make it durable (503).")]
    public static partial void StoreUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9008, Level = LogLevel.Warning, Message = "Refused a message with intake outcome {Status} (503).")]
    public static partial void NotAccepted(ILogger logger, IntakeStatus status);

    [LoggerMessage(EventId = 9009, Level = LogLevel.Warning, Message = "Refused a {Level} message: the backlog store cannot be reached (503).")]
    public static partial void BacklogUnavailable(ILogger logger, PriorityLevel level);

    [LoggerMessage(EventId = 9101, Level = LogLevel.Warning, Message = "Admin API: {Action} by {User}.")]
    public static partial void AdminAction(ILogger logger, string action, string? user);
}
