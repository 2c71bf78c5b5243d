using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Storage.Internal;

/// <summary>
/// What an embedded store holds per message: the envelope, when it was first enqueued (a <see cref="TimeProvider"/>
/// timestamp), its store id (the journal id; 0 in memory) and how many of its releases were returned.
/// </summary>
internal readonly record struct QueuedEntry(DuisMessage Message, long EnqueuedTimestamp, long Token = 0, int Attempts = 0);
