namespace AdapterGateway.BackEnd;

/// <summary>The simulated back-end's state.</summary>
/// <param name="Paused">Whether it is paused.</param>
/// <param name="Processed">How many messages it has processed since the gateway started.</param>
internal sealed record BackEndStatus(bool Paused, long Processed);
