namespace DuisPrioritiser.Journal.Internal;

/// <summary>The kinds of journal record.</summary>
internal enum JournalRecordType : byte
{
    /// <summary>A message was accepted: level plus the whole envelope and its raw bytes.</summary>
    Enqueue = 1,

    /// <summary>A message was handled, dead-lettered or discarded: no body, only the id it completes.</summary>
    Complete = 2,

    /// <summary>A released message was returned for retry: its body is its new attempt count (record format 2).</summary>
    Returned = 3,
}
