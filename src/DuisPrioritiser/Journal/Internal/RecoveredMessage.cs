using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Journal.Internal;

/// <summary>A message the journal holds as accepted and not completed.</summary>
internal readonly record struct RecoveredMessage(long Id, PriorityLevel Level, DuisMessage Message);
