using System.ComponentModel.DataAnnotations;
using DuisPrioritiser.Classification;

namespace DuisPrioritiser.Consolidation;

/// <summary>
/// Consolidation of repeated alerts (opt-in): while an alert from a device is held, a new alert with the same device,
/// alert code and level is not queued separately but attached to the held one, which keeps its place; the held alert is
/// then released once, carrying its repeats (<see cref="Release.ReleasedMessage.Repeats"/>), so the handler is called
/// once for the group. Every repeat is still accepted, journaled and acknowledged: nothing is dropped.
/// </summary>
/// <remarks>
/// <para>An alert is consolidated when its level is in <see cref="Levels"/> or its alert code is in
/// <see cref="AlertCodes"/>, it names a device (<see cref="Duis.DuisMessage.Device"/>), and its level is neither
/// <see cref="PriorityLevel.Critical"/> nor <see cref="PriorityLevel.High"/>: Critical and High work is never consolidated
/// (listing those levels is refused by validation; an alert code listed here whose alert is classified Critical or High
/// is queued on its own).</para>
/// <para>Read once, at start. Supported by the embedded stores (memory and the file journal); a remote store
/// (PostgreSQL) refuses it at start. See docs/traffic-management.md.</para>
/// </remarks>
public sealed class ConsolidationOptions
{
    /// <summary>Gets the levels whose alerts are consolidated: <see cref="PriorityLevel.Normal"/>, <see cref="PriorityLevel.Low"/> or <see cref="PriorityLevel.Bulk"/>.</summary>
    /// <value>The default value is empty (no level is consolidated).</value>
    public IList<PriorityLevel> Levels { get; } = new List<PriorityLevel>();

    /// <summary>Gets the alert codes (such as <c>8F35</c> or <c>N24</c>, case-insensitive) whose alerts are consolidated at any level below High.</summary>
    /// <value>The default value is empty (no code is consolidated).</value>
    public IList<string> AlertCodes { get; } = new List<string>();

    /// <summary>
    /// Gets or sets how long a group accepts repeats: a repeat is attached only while the group's first alert was
    /// accepted less than this long ago; after that, a repeat starts a new group (the old one keeps its place and its repeats).
    /// </summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the largest group: the held alert plus its repeats. A repeat that would exceed it starts a new group.</summary>
    /// <value>The default value is 100.</value>
    [Range(2, 100_000)]
    public int MaxGroupSize { get; set; } = 100;

    /// <summary>Gets a value indicating whether any level or alert code is consolidated.</summary>
    public bool IsEnabled => Levels.Count > 0 || AlertCodes.Count > 0;
}
