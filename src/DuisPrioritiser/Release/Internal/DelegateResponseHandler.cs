namespace DuisPrioritiser.Release.Internal;

/// <summary>Adapts a delegate registered with <c>UseHandler(Func&lt;…&gt;)</c> to <see cref="IResponseHandler"/>.</summary>
internal sealed class DelegateResponseHandler(Func<ReleasedMessage, CancellationToken, ValueTask> handler) : IResponseHandler
{
    public ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken) => handler(message, cancellationToken);
}
