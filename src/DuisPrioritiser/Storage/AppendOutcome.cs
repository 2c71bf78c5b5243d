namespace DuisPrioritiser.Storage;

/// <summary>What <see cref="IBacklogStore.AppendAsync"/> did with one item of a batch.</summary>
public enum AppendOutcome
{
    /// <summary>The message is held (durably, for a durable store): it will be released.</summary>
    Accepted = 0,

    /// <summary>A message with the same deduplication key is held already: this copy was not added, but the original will be released.</summary>
    Duplicate = 1,

    /// <summary>The store refused this item (its disk budget or capacity is reached, or the message is too large for it): not accepted.</summary>
    Refused = 2,
}
