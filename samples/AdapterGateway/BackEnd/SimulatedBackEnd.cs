using DuisPrioritiser.Release;
using Microsoft.Extensions.Options;

namespace AdapterGateway.BackEnd;

/// <summary>
/// Stands in for the adapter's back-end (the systems that act on DUIS responses): a fixed latency per message and a
/// limited number processed at once. Replace it with your own <see cref="IResponseHandler"/>.
/// </summary>
internal sealed class SimulatedBackEnd : IResponseHandler, IDisposable
{
    private readonly BackEndControl _control;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SimulatedBackEnd> _logger;
    private readonly TimeSpan _latency;
    private readonly SemaphoreSlim _capacity;

    public SimulatedBackEnd(BackEndControl control, IOptions<SimulatedBackEndOptions> options, TimeProvider timeProvider, ILogger<SimulatedBackEnd> logger)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _control = control;
        _timeProvider = timeProvider;
        _logger = logger;
        _latency = options.Value.Latency;
        _capacity = new SemaphoreSlim(options.Value.MaxConcurrency, options.Value.MaxConcurrency);
    }

    public async ValueTask HandleAsync(ReleasedMessage message, CancellationToken cancellationToken)
    {
        // The release loop calls handlers in release order, up to their first await: number the message here.
        long received = _control.Receive();

        // Throwing (here: OperationCanceledException on the handler time-out) reports a failure: the release loop
        // retries with backoff and, after its last attempt, dead-letters the message. Nothing is dropped.
        await _control.WaitWhilePausedAsync(cancellationToken).ConfigureAwait(false);
        await _capacity.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_latency > TimeSpan.Zero)
            {
                await Task.Delay(_latency, _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            var duis = message.Message;
            _control.Record(new ProcessedMessage(
                received,
                message.Level,
                duis.Kind,
                duis.ServiceReferenceVariant.IsNone ? null : duis.ServiceReferenceVariant.ToString(),
                duis.AlertCode.IsNone ? null : duis.AlertCode.ToString(),
                duis.RequestId,
                duis.ResponseId,
                message.Wait.TotalSeconds,
                _timeProvider.GetUtcNow()));
            Log.Processed(_logger, message.Level, duis.Kind, message.Wait);
        }
        finally
        {
            _capacity.Release();
        }
    }

    public void Dispose() => _capacity.Dispose();
}
