using System.ComponentModel.DataAnnotations;
using DuisPrioritiser.Classification;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Draining;

/// <summary>Bounded-starvation and throttle settings for one <see cref="PriorityLevel"/>.</summary>
public sealed class LevelTrafficOptions
{
    /// <summary>
    /// Gets or sets the maximum wait: once the level's oldest message has waited longer, it is overdue and released
    /// ahead of higher levels (within <see cref="TrafficOptions.OverdueShare"/>). <see langword="null"/> means unbounded.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (unbounded); the per-level defaults of <see cref="TrafficOptions"/> differ.</value>
    public TimeSpan? MaxWait { get; set; }

    /// <summary>
    /// Gets or sets the minimum share of releases the level receives while it has a backlog, from 0 (none) to 0.5,
    /// whatever higher levels hold.
    /// </summary>
    /// <value>The default value is 0.</value>
    [Range(0d, 0.5d)]
    public double MinShare { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the level releases its messages fairly between flows (by default the
    /// device each message concerns, see <see cref="TrafficOptions.UseFlowKey"/>): one message per flow in turn, FIFO
    /// within a flow, so a noisy device does not put every other device's messages behind its own. When
    /// <see langword="false"/>, the level is one FIFO. Read once, at start (an embedded store: memory or the journal).
    /// </summary>
    /// <value>The default value is <see langword="false"/>; <see cref="TrafficOptions.Bulk"/> defaults to <see langword="true"/>.</value>
    public bool FairQueueing { get; set; }

    /// <summary>Gets or sets the release-rate limit in <see cref="TrafficMode.Normal"/>.</summary>
    /// <value>The default value is unlimited.</value>
    [Required]
    [ValidateObjectMembers]
    public ThrottleOptions Normal { get; set; } = new();

    /// <summary>Gets or sets the release-rate limit in <see cref="TrafficMode.Recovery"/>.</summary>
    /// <value>The default value is unlimited.</value>
    [Required]
    [ValidateObjectMembers]
    public ThrottleOptions Recovery { get; set; } = new();
}
