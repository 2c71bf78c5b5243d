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
    private bool IsDuplicate(DuisMessage message, out DeduplicationKey key, out bool hasKey)
    {
        if (_duplicates is null || !DeduplicationKey.TryCreate(message, out key))
        {
            key = default;
            hasKey = false;
            return false;
        }

        hasKey = true;
        if (!_duplicates.TrySuppress(key))
        {
            return false;
        }

        Log.DuplicateSuppressed(_logger, key);
        _metrics.Duplicate(message.Kind);

        return true;
    }

    private void Remember(EnqueueStatus status, in DeduplicationKey key, bool hasKey)
    {
        if (hasKey && status == EnqueueStatus.Accepted)
        {
            _duplicates!.Add(key);
        }
    }
}
