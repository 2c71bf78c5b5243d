using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Storage;

/// <summary>
/// Where accepted messages live until they are acknowledged: in memory (the default), in the file journal, or in a
/// shared remote store such as PostgreSQL. The scheduler's intake appends to it, its drain policy reads its per-level
/// state, and its release side claims from it and acknowledges to it.
/// </summary>
/// <remarks>
/// <para><b>Batches.</b> Every operation takes a batch so that a remote store pays one round trip (and a durable
/// store one flush) for many messages. The scheduler gathers concurrent intake into one append and acknowledgements
/// into one acknowledge.</para>
/// <para><b>Contract</b> (what every store must guarantee; see <c>docs/architecture.md</c>):</para>
/// <list type="bullet">
/// <item><see cref="AppendAsync"/> completes only once every item it reports <see cref="AppendOutcome.Accepted"/> is
/// durable to the store's own standard (memory: held; journal: on disk; remote: committed). An item reported
/// <see cref="AppendOutcome.Duplicate"/> is held already (a remote store dedups by
/// <see cref="BacklogAppend.DeduplicationKey"/> with a unique key). If the call throws, no item is accepted — or, for a
/// remote store whose commit outcome is unknown, the caller treats none as accepted and may redeliver (at-least-once).</item>
/// <item><see cref="ClaimAsync"/> returns the next messages of one level in order: returned messages first, in their
/// original order, then the rest in append order. A claimed message is not given to another claimer until it is
/// acknowledged — or, for a remote store, until its lease expires (then it is claimed again: at-least-once).</item>
/// <item><see cref="AcknowledgeAsync"/> ends a claim: <see cref="Release.ReleaseOutcome.Handled"/> removes the message,
/// <see cref="Release.ReleaseOutcome.DeadLettered"/> removes it from the backlog (a durable store may keep it with its
/// reason), <see cref="Release.ReleaseOutcome.Returned"/> puts it back at the front of its level, in original order,
/// with <see cref="StoredMessage.Attempts"/> one higher. Acknowledging an id that is no longer claimed (its lease
/// expired) is ignored.</item>
/// <item><see cref="GetLevelState"/> is cheap (no scan, no I/O on the caller's thread): a remote store answers from a
/// view it keeps current in the background, global across every scheduler sharing it.</item>
/// </list>
/// <para><b>Optional capabilities</b> a remote store adds by implementing: <see cref="IBacklogLeaseRenewal"/> (claims
/// are leases that the scheduler renews while a message is in flight), <see cref="IBacklogChangeNotifier"/> (wakes
/// idle readers when another process appends; without it readers poll), and
/// <see cref="IBacklogStoreHealth"/> (reports whether it reaches its server, for the health check), and
/// <see cref="BacklogStoreUnavailableException"/> (thrown when the store cannot be reached: intake answers
/// <see cref="Release.IntakeStatus.Unavailable"/>, readers back off and retry). A shared store also fills
/// <see cref="BacklogLevelState.ReleasedElsewhere"/>, so that minimum shares count every scheduler's releases.</para>
/// <para>Implementations must be thread-safe: the scheduler calls from many threads at once.</para>
/// </remarks>
public interface IBacklogStore : IAsyncDisposable
{
    /// <summary>Gets what kind of store this is (durable, shared), which decides how the scheduler uses it.</summary>
    BacklogStoreCapabilities Capabilities { get; }

    /// <summary>
    /// Opens the store and recovers what it held before the last stop (messages claimed but not acknowledged become
    /// claimable again, at their level and in their order). Called once, before any other operation.
    /// </summary>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>What was recovered.</returns>
    /// <exception cref="BacklogStoreUnavailableException">The store cannot be reached.</exception>
    ValueTask<BacklogRecovery> OpenAsync(CancellationToken cancellationToken = default);

    /// <summary>Appends a batch durably and reports, per item, whether it was accepted or was a duplicate.</summary>
    /// <param name="batch">The messages, each with its level, enqueue time and deduplication key.</param>
    /// <param name="outcomes">Receives one outcome per item of <paramref name="batch"/>, at the same index; at least as long as the batch.</param>
    /// <param name="cancellationToken">Cancels the append; then no item is accepted.</param>
    /// <returns>A task that completes once the accepted items are durable.</returns>
    /// <exception cref="ArgumentException"><paramref name="outcomes"/> is shorter than <paramref name="batch"/>.</exception>
    /// <exception cref="BacklogStoreUnavailableException">The store cannot be reached: no item was accepted.</exception>
    /// <exception cref="IOException">The store could not make the batch durable (for example a full disk): no item was accepted.</exception>
    ValueTask AppendAsync(ReadOnlyMemory<BacklogAppend> batch, Memory<AppendOutcome> outcomes, CancellationToken cancellationToken = default);

    /// <summary>Claims up to <c>destination.Length</c> of the next messages of <paramref name="level"/>, in order.</summary>
    /// <param name="level">The level to claim from.</param>
    /// <param name="destination">Receives the claimed messages, oldest first.</param>
    /// <param name="cancellationToken">Cancels the claim; then nothing is claimed.</param>
    /// <returns>How many were claimed (0 when the level is empty, or every message in it is claimed elsewhere).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not defined.</exception>
    /// <exception cref="BacklogStoreUnavailableException">The store cannot be reached: nothing was claimed.</exception>
    ValueTask<int> ClaimAsync(PriorityLevel level, Memory<StoredMessage> destination, CancellationToken cancellationToken = default);

    /// <summary>Acknowledges a batch of claimed messages, each with its outcome.</summary>
    /// <param name="batch">The acknowledgements.</param>
    /// <param name="cancellationToken">Cancels waiting; the acknowledgements may still be recorded.</param>
    /// <returns>A task that completes once the acknowledgements are recorded (durably, for a durable store).</returns>
    /// <exception cref="BacklogStoreUnavailableException">The store cannot be reached: the messages stay claimed until their lease expires, then are released again.</exception>
    /// <exception cref="IOException">A durable store could not record the acknowledgements: the messages will be released again after a restart.</exception>
    ValueTask AcknowledgeAsync(ReadOnlyMemory<BacklogAcknowledgement> batch, CancellationToken cancellationToken = default);

    /// <summary>Gets the depth and oldest enqueue time of one level, cheaply (no scan, no I/O on the caller's thread).</summary>
    /// <param name="level">The level.</param>
    /// <returns>The level's state: messages held and not claimed, returned ones included.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not defined.</exception>
    BacklogLevelState GetLevelState(PriorityLevel level);
}
