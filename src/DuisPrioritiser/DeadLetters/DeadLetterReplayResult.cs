namespace DuisPrioritiser.DeadLetters;

/// <summary>What <see cref="DeadLetterManager.ReplayAsync"/> did with one dead letter.</summary>
public enum DeadLetterReplayResult
{
    /// <summary>It was enqueued again at its original level (durably, with a journal) and removed from the store.</summary>
    Replayed = 0,

    /// <summary>There is no dead letter with that id.</summary>
    NotFound = 1,

    /// <summary>The scheduler is at capacity; the dead letter stays in the store.</summary>
    RejectedFull = 2,

    /// <summary>The scheduler has completed (shutting down); the dead letter stays in the store.</summary>
    RejectedCompleted = 3,

    /// <summary>Its bytes are not a readable DUIS message any more (a store written by another tool); it stays in the store.</summary>
    Invalid = 4,
}
