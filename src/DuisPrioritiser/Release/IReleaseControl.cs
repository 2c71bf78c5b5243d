namespace DuisPrioritiser.Release;

/// <summary>
/// Pauses and resumes the hosted release loop, for example while an operator investigates the back-end during an
/// incident. Registered by <c>AddResponsePrioritisation</c>; the admin API of <c>DuisPrioritiser.AspNetCore</c> calls it.
/// </summary>
/// <remarks>
/// <para>While paused, the hosted release loop takes no new message from the scheduler: intake goes on (the backlog
/// grows up to its capacity), messages already handed to the handler finish, and messages waiting to retry are
/// retried. Nothing is dropped. Pull-mode readers of <see cref="IResponseReleaseScheduler"/> are not affected.</para>
/// <para>All members are thread-safe; <see cref="Pause"/> and <see cref="Resume"/> are idempotent.</para>
/// </remarks>
public interface IReleaseControl
{
    /// <summary>Gets a value indicating whether release is paused.</summary>
    bool IsPaused { get; }

    /// <summary>Stops the hosted release loop from taking new messages until <see cref="Resume"/>. Idempotent.</summary>
    void Pause();

    /// <summary>Lets the hosted release loop take messages again. Idempotent.</summary>
    void Resume();
}
