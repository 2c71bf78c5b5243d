using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Release.Internal;

/// <summary>What the queue holds per message: the envelope, when it was enqueued, and its journal id (0 without a journal).</summary>
internal readonly record struct QueuedEntry(DuisMessage Message, long EnqueuedTimestamp, long Token = 0);
