namespace DuisPrioritiser.DependencyInjection.Internal;

/// <summary>Registered once so that a second <c>AddResponsePrioritisation</c> call adds nothing twice.</summary>
internal sealed class ResponsePrioritisationMarker
{
}
