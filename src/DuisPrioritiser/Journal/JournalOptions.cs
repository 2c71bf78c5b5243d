using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.Journal;

/// <summary>
/// Options for the optional durable journal, bound from <c>DuisPrioritiser:Journal</c>. The journal is on when
/// <see cref="Directory"/> is set (or through <c>UseFileJournal</c>).
/// </summary>
public sealed class JournalOptions
{
    /// <summary>Gets or sets the directory holding the journal segments; <see langword="null"/> or empty turns the journal off.</summary>
    /// <value>The default value is <see langword="null"/> (no journal: messages are held in memory only).</value>
    public string? Directory { get; set; }

    /// <summary>Gets or sets when appended messages are forced to disk.</summary>
    /// <value>The default value is <see cref="JournalFlushPolicy.GroupCommit"/>.</value>
    [EnumDataType(typeof(JournalFlushPolicy))]
    public JournalFlushPolicy FlushPolicy { get; set; } = JournalFlushPolicy.GroupCommit;

    /// <summary>Gets or sets the most appends forced to disk by one <c>fsync</c> under <see cref="JournalFlushPolicy.GroupCommit"/>.</summary>
    /// <value>The default value is 512.</value>
    [Range(1, 65_536)]
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>
    /// Gets or sets how long the writer waits for more appends before forcing a batch that is not full to disk
    /// (<see cref="JournalFlushPolicy.GroupCommit"/> only). Zero writes what has arrived at once; appends that arrive
    /// during an <c>fsync</c> still share the next one.
    /// </summary>
    /// <value>The default value is zero. At most one second.</value>
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Gets or sets the size at which the writer starts a new segment file. Fully completed segments are deleted.</summary>
    /// <value>The default value is 64 MiB.</value>
    [Range(4_096L, 4L * 1024 * 1024 * 1024)]
    public long SegmentSize { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Gets or sets the disk budget: the most bytes the journal's segment files may take. When they reach it, intake
    /// refuses new messages (<see cref="Release.EnqueueResult.RejectedFull"/>, counted in
    /// <c>duis_prioritiser.messages.rejected</c> with <c>error.type</c> <c>disk_budget</c>, event 6017) until
    /// acknowledgements let segments be deleted. A batch being written when the budget is reached may overshoot it by
    /// at most one batch.
    /// </summary>
    /// <value>The default value is 64 GiB: 10,000,000 messages of 2.6 KB take about 27 GB, plus partly completed segments.</value>
    [Range(1024L * 1024, long.MaxValue)]
    public long MaxDiskSize { get; set; } = 64L * 1024 * 1024 * 1024;

    /// <summary>Gets or sets what recovery does when a segment is damaged before its last good record.</summary>
    /// <value>The default value is <see cref="JournalCorruptionHandling.Throw"/>.</value>
    [EnumDataType(typeof(JournalCorruptionHandling))]
    public JournalCorruptionHandling CorruptionHandling { get; set; } = JournalCorruptionHandling.Throw;

    /// <summary>Gets a value indicating whether the journal is on.</summary>
    internal bool IsEnabled => !string.IsNullOrWhiteSpace(Directory);

    /// <summary>Returns the rules DataAnnotations cannot express, as messages naming the setting.</summary>
    internal static IEnumerable<string> GetValidationErrors(JournalOptions? options, string path)
    {
        if (options is null)
        {
            yield return $"{path} must not be null.";
            yield break;
        }

        if (options.MaxBatchDelay < TimeSpan.Zero || options.MaxBatchDelay > TimeSpan.FromSeconds(1))
        {
            yield return $"{path}:MaxBatchDelay '{options.MaxBatchDelay}' must be between 00:00:00 and 00:00:01.";
        }

        if (options.IsEnabled && options.Directory!.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            yield return $"{path}:Directory '{options.Directory}' contains characters that are not valid in a path.";
        }
    }

    internal JournalOptions Clone() => new()
    {
        Directory = Directory,
        FlushPolicy = FlushPolicy,
        MaxBatchSize = MaxBatchSize,
        MaxBatchDelay = MaxBatchDelay,
        SegmentSize = SegmentSize,
        MaxDiskSize = MaxDiskSize,
        CorruptionHandling = CorruptionHandling,
    };
}
