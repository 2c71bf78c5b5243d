using DuisPrioritiser.Duis;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Diagnostics;

/// <content>Log messages of the raw-bytes intake (event ids 3000-3099).</content>
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Rejected invalid DUIS input ({Code}): {Error}")]
    public static partial void RejectedInvalid(ILogger logger, DuisParseErrorCode code, string error);
}
