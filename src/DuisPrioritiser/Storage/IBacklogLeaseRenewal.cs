namespace DuisPrioritiser.Storage;

/// <summary>
/// Implemented by a store whose claims are leases (a shared store): a claimed message not acknowledged within
/// <see cref="LeaseDuration"/> becomes claimable again, so a scheduler that dies loses nothing. The scheduler renews the
/// leases of messages it holds claimed (prefetched or in flight) well before they expire, every third of
/// <see cref="LeaseDuration"/> as measured by <see cref="LeaseTimeProvider"/>.
/// </summary>
public interface IBacklogLeaseRenewal
{
    /// <summary>Gets how long a claim lasts without renewal.</summary>
    TimeSpan LeaseDuration { get; }

    /// <summary>Gets the clock the leases expire by, on which the scheduler times its renewals.</summary>
    /// <remarks>
    /// Not necessarily the scheduler's own <see cref="TimeProvider"/>: a lease kept by a database expires by the
    /// database's clock, in real time, even when the scheduler runs on a virtual or scaled clock (tests, simulations),
    /// and renewals timed on such a clock would let live leases expire and be released twice. A store whose leases
    /// run on the database's clock returns <see cref="TimeProvider.System"/>.
    /// </remarks>
    TimeProvider LeaseTimeProvider { get; }

    /// <summary>Extends the leases of claimed messages by <see cref="LeaseDuration"/> from now.</summary>
    /// <param name="ids">The <see cref="StoredMessage.Id"/> values to renew.</param>
    /// <param name="cancellationToken">Cancels the renewal.</param>
    /// <returns>How many of the leases were still held and were renewed (a lease already lost is not renewed).</returns>
    /// <exception cref="BacklogStoreUnavailableException">The store cannot be reached.</exception>
    ValueTask<int> RenewLeasesAsync(ReadOnlyMemory<long> ids, CancellationToken cancellationToken = default);
}
