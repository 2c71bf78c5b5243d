using Microsoft.Extensions.DependencyInjection;

namespace DuisPrioritiser.Release.Internal;

/// <summary>Resolves the integrator's handler in a new DI scope per message (so a scoped <c>DbContext</c> works), calls it, and disposes the scope.</summary>
internal sealed class ScopedResponseHandler(IServiceScopeFactory scopes, Func<IServiceProvider, ReleasedMessage, CancellationToken, ValueTask> invoke) : IResponseHandler
{
    public async ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await invoke(scope.ServiceProvider, message, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>How the release loop gets its handler: registered by <c>UseHandler</c>; the last registration wins.</summary>
internal sealed class ReleaseHandlerRegistration(Func<IServiceProvider, IResponseHandler> create)
{
    public IResponseHandler Create(IServiceProvider services) => create(services);
}
