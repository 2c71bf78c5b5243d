using System.ComponentModel.DataAnnotations;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Draining;

/// <summary>
/// Traffic management on top of the drain policy (<see cref="DrainOptions.Policy"/>): bounded waits, minimum
/// shares and release-rate limits per level, and per alert code.
/// </summary>
/// <remarks>
/// The defaults are the policy for a DCC adapter: strict priority, except that Bulk (most alerts) always gets
/// 5% of releases while it has a backlog and no Bulk message waits much longer than an hour; no throttles,
/// so the back-end is never left idle while work waits (the in-flight limit of <see cref="Release.PaceOptions"/>
/// protects it instead). See docs/traffic-management.md.
/// </remarks>
public sealed class TrafficOptions
{
    /// <summary>Gets or sets a value indicating whether traffic management wraps the drain policy. When <see langword="false"/>, the plain policy runs.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets the largest share of releases that overdue messages (older than their level's
    /// <see cref="LevelTrafficOptions.MaxWait"/>) may take ahead of higher levels, so an overdue flood cannot
    /// starve new Critical work.
    /// </summary>
    /// <value>The default value is 0.5.</value>
    [Range(0.01d, 1d)]
    public double OverdueShare { get; set; } = 0.5;

    /// <summary>Gets or sets the settings of <see cref="PriorityLevel.Critical"/>.</summary>
    /// <value>The default value is unbounded, no minimum share, unthrottled.</value>
    [Required]
    [ValidateObjectMembers]
    public LevelTrafficOptions Critical { get; set; } = new();

    /// <summary>Gets or sets the settings of <see cref="PriorityLevel.High"/>.</summary>
    /// <value>The default value is a maximum wait of 15 minutes, no minimum share, unthrottled.</value>
    [Required]
    [ValidateObjectMembers]
    public LevelTrafficOptions High { get; set; } = new() { MaxWait = TimeSpan.FromMinutes(15) };

    /// <summary>Gets or sets the settings of <see cref="PriorityLevel.Normal"/>.</summary>
    /// <value>The default value is a maximum wait of 30 minutes, no minimum share, unthrottled.</value>
    [Required]
    [ValidateObjectMembers]
    public LevelTrafficOptions Normal { get; set; } = new() { MaxWait = TimeSpan.FromMinutes(30) };

    /// <summary>Gets or sets the settings of <see cref="PriorityLevel.Low"/>.</summary>
    /// <value>The default value is a maximum wait of 1 hour, no minimum share, unthrottled.</value>
    [Required]
    [ValidateObjectMembers]
    public LevelTrafficOptions Low { get; set; } = new() { MaxWait = TimeSpan.FromHours(1) };

    /// <summary>Gets or sets the settings of <see cref="PriorityLevel.Bulk"/>.</summary>
    /// <value>The default value is a maximum wait of 1 hour, a minimum share of 5%, fair between devices, unthrottled.</value>
    [Required]
    [ValidateObjectMembers]
    public LevelTrafficOptions Bulk { get; set; } = new() { MaxWait = TimeSpan.FromHours(1), MinShare = 0.05, FairQueueing = true };

    /// <summary>
    /// Gets or sets the number of flow buckets of each level with <see cref="LevelTrafficOptions.FairQueueing"/>:
    /// flows are hashed into this many buckets (rounded up to a power of two), so memory stays bounded whatever the
    /// number of devices; flows sharing a bucket share its turn (and its queue), so a well-behaved device that shares a
    /// bucket with a noisy one waits behind it: keep the buckets well above the number of noisy devices. Each bucket
    /// costs 24 bytes per fair level up front, and about 300 more once it has held two messages at a time. Read once,
    /// at start.
    /// </summary>
    /// <value>The default value is 16384.</value>
    [Range(16, 65536)]
    public int FlowBuckets { get; set; } = 16384;

    /// <summary>Gets the flow key set by <see cref="UseFlowKey"/>, or <see langword="null"/> for the device.</summary>
    internal Func<DuisMessage, ulong>? FlowKey { get; private set; }

    /// <summary>Gets or sets the flow hash seed; <see langword="null"/> (the default) for a random one per level, so no fixed set of devices always shares a bucket. Tests fix it.</summary>
    internal ulong? FlowHashSeed { get; set; }

    /// <summary>
    /// Gets the release-rate limits per alert code (key: the code, such as <c>8F35</c> or <c>N24</c>, case-insensitive).
    /// A message whose code is over its limit is held back (still counted, never dropped) and released when its
    /// next token is due.
    /// </summary>
    /// <value>The default value is empty (no per-code limits).</value>
    public Dictionary<string, AlertCodeThrottleOptions> AlertCodes { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Gets or sets the consolidation of repeated alerts (one handler call for a held alert and its repeats from the same
    /// device with the same code). Opt-in: off unless a level or an alert code is listed; never for Critical or High.
    /// </summary>
    /// <value>The default value is off (no level or code listed), a 5-minute window and groups of at most 100.</value>
    [Required]
    [ValidateObjectMembers]
    public Consolidation.ConsolidationOptions Consolidation { get; set; } = new();

    /// <summary>
    /// Sets what a flow is for the levels with <see cref="LevelTrafficOptions.FairQueueing"/>: messages with the same
    /// key share a flow. By default the key is the device a message concerns (<see cref="DuisMessage.Device"/>; messages
    /// that name none share one flow); a party that releases traffic to many DCC Users can key on the User instead,
    /// or on any value read from the message. Called on every accepted message of a fair level: keep it cheap and
    /// free of allocation. A selector that throws puts that message in the flow of key 0 (it is held, never lost). Read once, at start.
    /// </summary>
    /// <param name="selector">The flow key of a message, or <see langword="null"/> for the device.</param>
    /// <returns>These options.</returns>
    public TrafficOptions UseFlowKey(Func<DuisMessage, ulong>? selector)
    {
        FlowKey = selector;
        return this;
    }

    /// <summary>Gets the settings of <paramref name="level"/>.</summary>
    /// <param name="level">The level.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not defined.</exception>
    public LevelTrafficOptions Get(PriorityLevel level) => level switch
    {
        PriorityLevel.Critical => Critical,
        PriorityLevel.High => High,
        PriorityLevel.Normal => Normal,
        PriorityLevel.Low => Low,
        PriorityLevel.Bulk => Bulk,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "Undefined priority level."),
    };
}
