using DuisPrioritiser.Classification;
using DuisPrioritiser.Deduplication.Internal;
using Microsoft.Extensions.Logging;

namespace DuisPrioritiser.Diagnostics;

/// <summary>Log messages of the journal and duplicate suppression (event ids 6000-6099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Journal opened in {Directory}: {Segments} segment(s), {Recovered} message(s) accepted but not completed recovered, next id {NextId}.")]
    public static partial void JournalOpened(ILogger logger, string directory, int segments, int recovered, long nextId);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Recovered {Count} message(s) from the journal into the scheduler, ahead of new work.")]
    public static partial void JournalRecoveredIntoScheduler(ILogger logger, int count);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Journal segment {Path} ends in a torn write at byte {Offset}: truncated {Bytes} byte(s) after the last good record (their writers were never told they were accepted).")]
    public static partial void JournalTornTailTruncated(ILogger logger, string path, long offset, long bytes);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Journal segment {Path} is damaged at byte {Offset} ({Reason}): skipped {Bytes} byte(s) as configured (SkipDamagedRecords). Messages in them are lost or may be redelivered.")]
    public static partial void JournalDamageSkipped(ILogger logger, string path, long offset, long bytes, string reason);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Error, Message = "Journal write failed; {Failed} message(s) in the batch were not accepted and their callers were told so.")]
    public static partial void JournalWriteFailed(ILogger logger, Exception exception, int failed);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Critical, Message = "Journal in {Directory} is faulted and refuses all further messages; fix the disk and restart.")]
    public static partial void JournalFaulted(ILogger logger, Exception exception, string directory);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Debug, Message = "Journal started segment {Path} at id {FirstId}.")]
    public static partial void JournalSegmentStarted(ILogger logger, string path, long firstId);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Debug, Message = "Journal deleted fully completed segment {Path}.")]
    public static partial void JournalSegmentDeleted(ILogger logger, string path);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "Journal could not delete completed segment {Path}; will retry.")]
    public static partial void JournalSegmentDeleteFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Warning, Message = "Journal segment {Path} was cut short while being created ({Bytes} byte(s), no complete header) and held nothing; removed.")]
    public static partial void JournalTornSegmentRemoved(ILogger logger, string path, long bytes);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "Journal is closed: the completion of message {Id} was not recorded, so it will be redelivered after a restart.")]
    public static partial void JournalCompletionNotRecorded(ILogger logger, long id);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Debug, Message = "Suppressed a duplicate message ({Key}): a message with the same key was accepted recently; not enqueued again.")]
    public static partial void DuplicateSuppressed(ILogger logger, DeduplicationKey key);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Information, Message = "Release loop stopped with a durable journal: {Abandoned} in-flight and {Queued} queued message(s) stay in the journal and will be recovered at the next start (not dead-lettered).")]
    public static partial void ShutdownLeftInJournal(ILogger logger, int abandoned, long queued);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Error, Message = "Journal directory {Directory} is in use by another scheduler (its lock file is held); refusing to open it a second time.")]
    public static partial void JournalLocked(ILogger logger, Exception exception, string directory);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Error, Message = "Journal directory {Directory} cannot be written ({Reason}): read-only file system or no permission (not a lock conflict); refusing to open it.")]
    public static partial void JournalNotWritable(ILogger logger, Exception exception, string directory, string reason);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Warning, Message = "Journal did not record the attempt count {Attempts} of returned message {Id}: it is held again, and after a restart it has its previous count.")]
    public static partial void JournalAttemptsNotRecorded(ILogger logger, long id, int attempts, Exception? exception);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Error, Message = "Journal could not read held message {Id} ({Level}) back from its segment: not released in this run; it stays in the journal, and the next start recovers it or reports the damage.")]
    public static partial void JournalReadFailed(ILogger logger, Exception exception, long id, PriorityLevel level);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Warning, Message = "Journal in {Directory} reached its disk budget ({Bytes} of {Budget} bytes): new messages are refused (RejectedFull, error.type disk_budget) until acknowledgements free segments.")]
    public static partial void JournalDiskBudgetReached(ILogger logger, string directory, long bytes, long budget);

    [LoggerMessage(EventId = 6018, Level = LogLevel.Information, Message = "Journal in {Directory} is below its disk budget again ({Bytes} of {Budget} bytes): accepting messages.")]
    public static partial void JournalDiskBudgetRecovered(ILogger logger, string directory, long bytes, long budget);
}
