using System.ComponentModel.DataAnnotations;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Deduplication;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Duis;
using DuisPrioritiser.Health;
using DuisPrioritiser.Journal;
using DuisPrioritiser.Release;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser;

/// <summary>
/// Options for DuisPrioritiser, bound from the <c>DuisPrioritiser</c> configuration section by default.
/// </summary>
public sealed class ResponsePrioritisationOptions
{
    /// <summary>The configuration section name the options bind from by default.</summary>
    public const string SectionName = "DuisPrioritiser";

    /// <summary>The default <see cref="Capacity"/> in memory: 500,000 messages, about 1.2 GB of RAM at 2 KB bodies (see docs/configuration.md).</summary>
    public const int DefaultMemoryCapacity = 500_000;

    /// <summary>The default <see cref="Capacity"/> with the journal on: 10,000,000 messages (about 60 bytes of RAM each; bounded on disk by <see cref="JournalOptions.MaxDiskSize"/>).</summary>
    public const int DefaultJournalCapacity = 10_000_000;

    private int? _capacity;

    /// <summary>
    /// Gets or sets the maximum number of messages held. Beyond it, writes are rejected (or wait, per
    /// <see cref="FullMode"/>); a held message is never evicted to admit another.
    /// </summary>
    /// <remarks>
    /// In memory a held message costs its envelope and raw bytes (about 2.4 KB at a 2 KB body); with the journal on
    /// the bytes stay on disk and a held message costs a compact entry (about 60 bytes), so the default follows
    /// <see cref="JournalOptions.Directory"/> unless set.
    /// </remarks>
    /// <value>The default value is <see cref="DefaultMemoryCapacity"/> (500,000) without the journal and
    /// <see cref="DefaultJournalCapacity"/> (10,000,000) with the journal on.</value>
    [Range(1, int.MaxValue)]
    public int Capacity
    {
        get => _capacity ?? (Journal?.IsEnabled == true ? DefaultJournalCapacity : DefaultMemoryCapacity);
        set => _capacity = value;
    }

    /// <summary>Gets or sets what <see cref="IResponseReleaseScheduler.EnqueueAsync(DuisMessage, CancellationToken)"/> does at capacity.</summary>
    /// <value>The default value is <see cref="QueueFullMode.Reject"/>.</value>
    [EnumDataType(typeof(QueueFullMode))]
    public QueueFullMode FullMode { get; set; } = QueueFullMode.Reject;

    /// <summary>
    /// Gets or sets the level for a message no classifier decides. The built-in DUIS classifier decides every
    /// well-formed DUIS message (an unknown SRV is Normal), so this applies only to envelopes built by hand without
    /// an SRV or alert code, or when a custom classifier chain is used.
    /// </summary>
    /// <value>The default value is <see cref="PriorityLevel.Normal"/>.</value>
    [EnumDataType(typeof(PriorityLevel))]
    public PriorityLevel DefaultLevel { get; set; } = PriorityLevel.Normal;

    /// <summary>Gets the explicit priority overrides, which win over every other classifier.</summary>
    public PriorityOverrideOptions Overrides { get; } = new();

    /// <summary>Gets or sets the limits for reading raw DUIS messages (the byte intake of the scheduler).</summary>
    /// <value>The default value allows messages up to 4 MiB.</value>
    [Required]
    [ValidateObjectMembers]
    public DuisReaderOptions Reader { get; set; } = new();

    /// <summary>Gets or sets the drain policy options.</summary>
    /// <value>The default value is strict priority.</value>
    [Required]
    [ValidateObjectMembers]
    public DrainOptions Drain { get; set; } = new();

    /// <summary>Gets or sets traffic management: bounded waits, minimum shares and throttles on top of <see cref="Drain"/>.</summary>
    /// <value>The default value is the DCC adapter policy: Bulk gets 5% while backlogged and waits at most about an hour; no throttles.</value>
    [Required]
    [ValidateObjectMembers]
    public TrafficOptions Traffic { get; set; } = new();

    /// <summary>Gets or sets when the scheduler enters and leaves <see cref="TrafficMode.Recovery"/>.</summary>
    /// <value>The default value is enter at 10,000 held, leave after 2 minutes at or below 1,000.</value>
    [Required]
    [ValidateObjectMembers]
    public RecoveryOptions Recovery { get; set; } = new();

    /// <summary>Gets or sets the in-flight limit of the hosted release loop.</summary>
    /// <value>The default value is adaptive, from 8 between 1 and 256.</value>
    [Required]
    [ValidateObjectMembers]
    public PaceOptions Pace { get; set; } = new();

    /// <summary>Gets or sets retries, time-outs and shutdown of the hosted release loop.</summary>
    /// <value>The default value is 5 attempts, backoff from 1 s to 1 min, 30 s handler time-out, 30 s shutdown.</value>
    [Required]
    [ValidateObjectMembers]
    public ReleaseOptions Release { get; set; } = new();

    /// <summary>Gets or sets the thresholds of the health check registered by <c>AddHealthCheck()</c>.</summary>
    /// <value>The default value is Degraded once Critical work waits 60 s, Unhealthy after 10 consecutive handler failures.</value>
    [Required]
    [ValidateObjectMembers]
    public HealthOptions Health { get; set; } = new();

    /// <summary>Gets or sets the durable journal options; the journal is off unless a directory is set.</summary>
    /// <value>The default value is no journal.</value>
    [Required]
    [ValidateObjectMembers]
    public JournalOptions Journal { get; set; } = new();

    /// <summary>Gets or sets the duplicate suppression options.</summary>
    /// <value>The default value is on, remembering 100,000 keys for one hour.</value>
    [Required]
    [ValidateObjectMembers]
    public DeduplicationOptions Deduplication { get; set; } = new();
}
