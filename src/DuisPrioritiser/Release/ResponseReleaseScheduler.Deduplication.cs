using DuisPrioritiser.Deduplication.Internal;
using DuisPrioritiser.Diagnostics;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Release.Internal;

namespace DuisPrioritiser.Release;

/// <summary>Duplicate suppression at intake.</summary>
/// <remarks>
/// A key is remembered only after its message was accepted, and looked up before; two copies racing may therefore
/// both be accepted (a redelivery, harmless under at-least-once), but a copy is never reported as a duplicate of a
/// message that was refused, so suppression can never lose a message.
/// </remarks>
public sealed partial class ResponseReleaseScheduler
{
    /// <summary>Looks the message's key up as of one intake timestamp, which the enqueue then reuses (one clock read per message).</summary>
    private bool IsDuplicate(DuisMessage message, out DuplicateCheck check)
    {
        if (_duplicates is null || !DeduplicationKey.TryCreate(message, out var key))
        {
            check = default;
            return false;
        }

        check = new DuplicateCheck(key, key.GetHashCode(), _timeProvider.GetTimestamp());
        if (!_duplicates.TrySuppress(in check.Key, check.Hash, check.Timestamp))
        {
            return false;
        }

        Log.DuplicateSuppressed(_logger, key);
        _metrics.Duplicate(message.Kind);

        return true;
    }

    private void Remember(EnqueueStatus status, in DuplicateCheck check)
    {
        if (check.HasKey && status == EnqueueStatus.Accepted)
        {
            _duplicates!.Add(in check.Key, check.Hash, check.Timestamp);
        }
    }

    /// <summary>A message's duplicate key, its hash and the intake timestamp it was looked up at; default when it has no key or suppression is off.</summary>
    private readonly struct DuplicateCheck(DeduplicationKey key, int hash, long timestamp)
    {
        public readonly DeduplicationKey Key = key;
        public readonly int Hash = hash;
        public readonly long Timestamp = timestamp;

        public bool HasKey => Key.Id is not null;
    }
}
