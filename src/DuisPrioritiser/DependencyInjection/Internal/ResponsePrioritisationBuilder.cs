using Microsoft.Extensions.DependencyInjection;

namespace DuisPrioritiser.DependencyInjection.Internal;

internal sealed class ResponsePrioritisationBuilder(IServiceCollection services) : IResponsePrioritisationBuilder
{
    public IServiceCollection Services { get; } = services;
}
