using Microsoft.Extensions.DependencyInjection;

namespace DuisPrioritiser;

/// <summary>Returned by <c>AddResponsePrioritisation</c> to configure DuisPrioritiser further.</summary>
public interface IResponsePrioritisationBuilder
{
    /// <summary>Gets the service collection DuisPrioritiser is registered in.</summary>
    IServiceCollection Services { get; }
}
