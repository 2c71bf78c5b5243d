using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Journal.Internal;

/// <summary>
/// A message the journal holds as accepted and not completed, in compact form: its id, level, where its record is
/// (<see cref="JournalPosition.Pack"/>; read it back with <see cref="IMessageJournal.ReadMessage"/>), how many of its
/// releases were returned, its alert code (the throttles route by it) and, for a consolidated repeat, the journal id of
/// the head it joined (0 otherwise).
/// </summary>
internal readonly record struct RecoveredMessage(long Id, PriorityLevel Level, long Locator, int Attempts, DuisCode AlertCode, long GroupHead = 0);
