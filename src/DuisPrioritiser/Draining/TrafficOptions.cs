using System.ComponentModel.DataAnnotations;
using DuisPrioritiser.Classification;
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
    /// <value>The default value is a maximum wait of 1 hour, a minimum share of 5%, unthrottled.</value>
    [Required]
    [ValidateObjectMembers]
    public LevelTrafficOptions Bulk { get; set; } = new() { MaxWait = TimeSpan.FromHours(1), MinShare = 0.05 };

    /// <summary>
    /// Gets the release-rate limits per alert code (key: the code, such as <c>8F35</c> or <c>N24</c>, case-insensitive).
    /// A message whose code is over its limit is held back (still counted, never dropped) and released when its
    /// next token is due.
    /// </summary>
    /// <value>The default value is empty (no per-code limits).</value>
    public Dictionary<string, AlertCodeThrottleOptions> AlertCodes { get; } = new(StringComparer.OrdinalIgnoreCase);

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
