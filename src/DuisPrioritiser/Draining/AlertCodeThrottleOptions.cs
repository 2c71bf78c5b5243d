using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.Draining;

/// <summary>Release-rate limits for one alert code (a Device Alert code such as <c>8F35</c> or a DCC Alert code such as <c>N24</c>), per mode.</summary>
public sealed class AlertCodeThrottleOptions
{
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
