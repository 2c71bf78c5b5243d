namespace DuisPrioritiser.Release.Internal;

/// <summary>Why an enqueue did or did not happen.</summary>
internal enum EnqueueStatus
{
    Accepted,
    Full,
    Completed,
    Duplicate,
}
