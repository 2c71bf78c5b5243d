using System.ComponentModel.DataAnnotations;

namespace DuisPrioritiser.Deduplication;

/// <summary>
/// Options for duplicate suppression, bound from <c>DuisPrioritiser:Deduplication</c>. A message whose key
/// (ResponseID, or else RequestID; ResponseCode; kind; alert code) matches one accepted within the window is
/// reported as <see cref="Release.EnqueueResult.AcceptedDuplicate"/> and not enqueued again. Messages with neither
/// id are never suppressed.
/// </summary>
public sealed class DeduplicationOptions
{
    /// <summary>Gets or sets a value indicating whether duplicates are suppressed.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets how many recent keys are remembered; each part of the window forgets its oldest key first (see <see cref="Release.SchedulerSnapshot.DuplicateKeysEvicted"/>). Memory is about 150 bytes per key.</summary>
    /// <value>The default value is 100,000.</value>
    [Range(16, 10_000_000)]
    public int MaxCount { get; set; } = 100_000;

    /// <summary>Gets or sets how long a key is remembered after its message was accepted.</summary>
    /// <value>The default value is one hour. From one second to seven days.</value>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Returns the rules DataAnnotations cannot express, as messages naming the setting.</summary>
    internal static IEnumerable<string> GetValidationErrors(DeduplicationOptions? options, string path)
    {
        if (options is null)
        {
            yield return $"{path} must not be null.";
        }
        else if (options.MaxAge < TimeSpan.FromSeconds(1) || options.MaxAge > TimeSpan.FromDays(7))
        {
            yield return $"{path}:MaxAge '{options.MaxAge}' must be between 00:00:01 and 7.00:00:00.";
        }
    }

    internal DeduplicationOptions Clone() => new() { Enabled = Enabled, MaxCount = MaxCount, MaxAge = MaxAge };
}
