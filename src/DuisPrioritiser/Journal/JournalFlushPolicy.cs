namespace DuisPrioritiser.Journal;

/// <summary>When the journal forces appended messages to stable storage (<c>fsync</c>).</summary>
public enum JournalFlushPolicy
{
    /// <summary>
    /// One writer batches the appends that arrive together (up to <see cref="JournalOptions.MaxBatchSize"/>, waiting
    /// at most <see cref="JournalOptions.MaxBatchDelay"/> for more) and forces them to disk with one <c>fsync</c>;
    /// every caller in the batch is answered after that <c>fsync</c>. High throughput under concurrency.
    /// </summary>
    GroupCommit = 0,

    /// <summary>
    /// Every appended message is forced to disk with its own <c>fsync</c> before its caller is answered. Simplest,
    /// lowest throughput (one message per disk flush).
    /// </summary>
    EveryMessage = 1,
}
