using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Duis;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.DependencyInjection.Internal;

/// <summary>Cross-field rules of the traffic, recovery, pace and release options.</summary>
internal sealed class TrafficOptionsValidator : IValidateOptions<ResponsePrioritisationOptions>
{
    private const string Section = ResponsePrioritisationOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, ResponsePrioritisationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        ValidateTraffic(options.Traffic, errors);
        ValidateRecovery(options.Recovery, errors);
        ValidatePace(options.Pace, errors);
        ValidateRelease(options.Release, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static void ValidateTraffic(TrafficOptions? traffic, List<string> errors)
    {
        if (traffic is null)
        {
            errors.Add($"{Section}:Traffic must not be null.");
            return;
        }

        double shares = 0;
        foreach (var level in PriorityLevels.All)
        {
            var settings = traffic.Get(level);
            if (settings is null)
            {
                errors.Add($"{Section}:Traffic:{level} must not be null.");
                continue;
            }

            if (settings.MaxWait is { } maxWait && maxWait <= TimeSpan.Zero)
            {
                errors.Add($"{Section}:Traffic:{level}:MaxWait is {Text(maxWait)}: it must be positive (for example \"01:00:00\"), or absent for unbounded.");
            }

            shares += settings.MinShare;
            ValidateThrottle(settings.Normal, $"{Section}:Traffic:{level}:Normal", errors);
            ValidateThrottle(settings.Recovery, $"{Section}:Traffic:{level}:Recovery", errors);
        }

        if (shares > 0.9)
        {
            errors.Add($"{Section}:Traffic minimum shares add up to {shares:0.##}: keep their sum at or below 0.9 so the priority order still decides most releases.");
        }

        foreach (var (code, limits) in traffic.AlertCodes)
        {
            if (!DuisCode.TryParse(code, out _))
            {
                errors.Add($"{Section}:Traffic:AlertCodes key '{code}' is not an alert code: use 1 to 8 letters or digits, such as 8F35 or N24.");
            }

            if (limits is null)
            {
                errors.Add($"{Section}:Traffic:AlertCodes:{code} must not be null.");
                continue;
            }

            ValidateThrottle(limits.Normal, $"{Section}:Traffic:AlertCodes:{code}:Normal", errors, inDictionary: true);
            ValidateThrottle(limits.Recovery, $"{Section}:Traffic:AlertCodes:{code}:Recovery", errors, inDictionary: true);
        }

        ValidateConsolidation(traffic.Consolidation, errors);
    }

    private static void ValidateConsolidation(Consolidation.ConsolidationOptions? consolidation, List<string> errors)
    {
        const string Path = $"{Section}:Traffic:Consolidation";
        if (consolidation is null)
        {
            errors.Add($"{Path} must not be null.");
            return;
        }

        foreach (var level in consolidation.Levels)
        {
            if (!PriorityLevels.IsDefined(level))
            {
                errors.Add($"{Path}:Levels holds {(int)level}, which is not a priority level: use Normal, Low or Bulk.");
            }
            else if (level is PriorityLevel.Critical or PriorityLevel.High)
            {
                errors.Add($"{Path}:Levels holds {level}: Critical and High work is never consolidated (each of its messages gets its own handler call); use Normal, Low or Bulk.");
            }
        }

        foreach (var code in consolidation.AlertCodes)
        {
            if (!DuisCode.TryParse(code, out _))
            {
                errors.Add($"{Path}:AlertCodes holds '{code}', which is not an alert code: use 1 to 8 letters or digits, such as 8F35 or N24.");
            }
        }

        if (consolidation.Window <= TimeSpan.Zero)
        {
            errors.Add($"{Path}:Window is {Text(consolidation.Window)}: it must be positive (for example \"00:05:00\").");
        }

        if (consolidation.MaxGroupSize < 2)
        {
            errors.Add($"{Path}:MaxGroupSize is {consolidation.MaxGroupSize}: a group holds the held alert and at least one repeat, so use 2 or more (for example 100).");
        }
    }

    private static void ValidateThrottle(ThrottleOptions? throttle, string path, List<string> errors, bool inDictionary = false)
    {
        if (throttle is null)
        {
            errors.Add($"{path} must not be null.");
        }
        else
        {
            // Checked here as well as by the DataAnnotations ranges, which do not reach into dictionaries (AlertCodes).
            if (double.IsNaN(throttle.Rate) || throttle.Rate < 0 || (inDictionary && throttle.Rate > 1_000_000))
            {
                errors.Add($"{path}:Rate is {throttle.Rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}: it must be 0 (unlimited) or a positive number of messages per second up to 1000000.");
            }

            if (inDictionary && throttle.Burst is < 1 or > 1_000_000)
            {
                errors.Add($"{path}:Burst is {throttle.Burst.ToString(System.Globalization.CultureInfo.InvariantCulture)}: it must be between 1 and 1000000.");
            }
        }
    }

    private static void ValidateRecovery(Release.RecoveryOptions? recovery, List<string> errors)
    {
        if (recovery is null)
        {
            errors.Add($"{Section}:Recovery must not be null.");
            return;
        }

        if (recovery.ExitBacklog >= recovery.EnterBacklog)
        {
            errors.Add($"{Section}:Recovery:ExitBacklog ({recovery.ExitBacklog}) must be below EnterBacklog ({recovery.EnterBacklog}) so the mode does not flap.");
        }

        if (recovery.ArrivalRateWindow < TimeSpan.FromMilliseconds(10) || recovery.ArrivalRateWindow > TimeSpan.FromDays(1))
        {
            errors.Add($"{Section}:Recovery:ArrivalRateWindow is {Text(recovery.ArrivalRateWindow)}: it must be between 00:00:00.010 and 1.00:00:00.");
        }

        if (recovery.HoldTime < TimeSpan.Zero || recovery.HoldTime > TimeSpan.FromDays(1))
        {
            errors.Add($"{Section}:Recovery:HoldTime is {Text(recovery.HoldTime)}: it must be between 00:00:00 and 1.00:00:00.");
        }
    }

    private static void ValidatePace(Release.PaceOptions? pace, List<string> errors)
    {
        if (pace is null)
        {
            errors.Add($"{Section}:Pace must not be null.");
            return;
        }

        if (!Enum.IsDefined(pace.Mode))
        {
            errors.Add($"{Section}:Pace:Mode '{pace.Mode}' is undefined: use Fixed or Adaptive.");
        }

        if (pace.MinLimit > pace.MaxLimit)
        {
            errors.Add($"{Section}:Pace:MinLimit ({pace.MinLimit}) must not exceed MaxLimit ({pace.MaxLimit}).");
        }
        else if (pace.InitialLimit < pace.MinLimit || pace.InitialLimit > pace.MaxLimit)
        {
            errors.Add($"{Section}:Pace:InitialLimit ({pace.InitialLimit}) must be between MinLimit ({pace.MinLimit}) and MaxLimit ({pace.MaxLimit}).");
        }

        if (pace.MinLatencyWindow < TimeSpan.FromSeconds(1) || pace.MinLatencyWindow > TimeSpan.FromDays(1))
        {
            errors.Add($"{Section}:Pace:MinLatencyWindow is {Text(pace.MinLatencyWindow)}: it must be between 00:00:01 and 1.00:00:00.");
        }
    }

    private static void ValidateRelease(Release.ReleaseOptions? release, List<string> errors)
    {
        if (release is null)
        {
            errors.Add($"{Section}:Release must not be null.");
            return;
        }

        if (release.RetryBaseDelay < TimeSpan.Zero || release.RetryBaseDelay > TimeSpan.FromDays(1))
        {
            errors.Add($"{Section}:Release:RetryBaseDelay is {Text(release.RetryBaseDelay)}: it must be between 00:00:00 and 1.00:00:00.");
        }

        if (release.RetryMaxDelay < release.RetryBaseDelay || release.RetryMaxDelay > TimeSpan.FromDays(1))
        {
            errors.Add($"{Section}:Release:RetryMaxDelay is {Text(release.RetryMaxDelay)}: it must be at least RetryBaseDelay and at most 1.00:00:00.");
        }

        if (release.HandlerTimeout <= TimeSpan.Zero || release.HandlerTimeout > TimeSpan.FromDays(1))
        {
            errors.Add($"{Section}:Release:HandlerTimeout is {Text(release.HandlerTimeout)}: it must be positive and at most 1.00:00:00.");
        }

        if (release.ShutdownTimeout < TimeSpan.Zero || release.ShutdownTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"{Section}:Release:ShutdownTimeout is {Text(release.ShutdownTimeout)}: it must be between 00:00:00 and 01:00:00.");
        }
    }

    private static string Text(TimeSpan value) => value.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
}
