using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Diagnostics;

/// <summary>Log messages of tuning without restart (5xxx).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Settings changed by {Source}, applied to the next decisions ({Count} change(s)): {Changes}")]
    public static partial void TuningApplied(ILogger logger, string source, int count, string changes);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "A settings change from {Source} was refused; the settings in force stay: {Errors}")]
    public static partial void TuningRefused(ILogger logger, string source, string errors);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "DuisPrioritiser:{Setting} changed from {Before} to {After} in configuration; it is a start-time setting and takes effect at the next start.")]
    public static partial void TuningStartTimeSettingChanged(ILogger logger, string setting, string before, string after);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Error, Message = "Applying a configuration change failed; the settings in force stay.")]
    public static partial void TuningFailed(ILogger logger, Exception exception);
}
