using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Release.Internal;

/// <summary>What the queue holds per message: the envelope and when it was enqueued.</summary>
internal readonly record struct QueuedEntry(DuisMessage Message, long EnqueuedTimestamp);
