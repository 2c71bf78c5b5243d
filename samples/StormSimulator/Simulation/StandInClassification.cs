using DuisPrioritiser;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Duis;

namespace StormSimulator.Simulation;

/// <summary>
/// The classification the simulator gives the scheduler. The default DUIS classifier (catalogue defaults for every
/// SRV and alert code) is not on this branch yet, so this stand-in configures the equivalent for the SRVs and codes
/// the mix uses: explicit overrides in <see cref="ResponsePrioritisationOptions.Overrides"/> (as an integrator
/// would), plus two tiny classifiers for the rules overrides cannot express: a DCC-scheduled execution is Low, and an
/// alert no rule names is Bulk. The levels are those of srv-catalogue.csv and alert-priorities.csv.
/// </summary>
/// <remarks>Once the default DUIS classifier is registered by <c>AddResponsePrioritisation()</c>, this stand-in can
/// go: <see cref="Apply"/> and <see cref="Classifiers"/> then change nothing (they agree with the catalogue).</remarks>
internal static class StandInClassification
{
    /// <summary>Gets the classifiers registered after the overrides, in order.</summary>
    public static IReadOnlyList<IPriorityClassifier> Classifiers { get; } = [new DccScheduledClassifier(), new AlertFallbackClassifier()];

    /// <summary>Adds the explicit overrides to <paramref name="options"/>.</summary>
    /// <param name="options">The options.</param>
    public static void Apply(ResponsePrioritisationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var srvs = options.Overrides.ServiceReferenceVariants;
        foreach (var srv in new[] { "2.2", "1.5", "4.18", "4.3", "8.1.1", "8.7.1", "8.11", "6.20.1" })
        {
            srvs[srv] = PriorityLevel.Critical; // prepayment, install and commission
        }

        foreach (var srv in new[] { "7.1", "7.2", "1.1.1", "6.23" })
        {
            srvs[srv] = PriorityLevel.High; // supply control, tariff, change of supplier
        }

        var codes = options.Overrides.AlertCodes;
        foreach (var code in new[] { "8F0F", "810D", "81AA", "8F51" })
        {
            codes[code] = PriorityLevel.Critical; // prepayment alerts
        }

        foreach (var code in new[] { "8F32", "81BD", "8F1D", "8F35", "8F36", "AD1" })
        {
            codes[code] = PriorityLevel.High; // supply and outage alerts
        }

        options.Overrides.DccAlertPayloads["PowerOutageEvent"] = PriorityLevel.High;
    }

    /// <summary>Creates the same chain the scheduler builds from the options and the registered classifiers (overrides, then <see cref="Classifiers"/>, then the default level).</summary>
    /// <returns>The classifier.</returns>
    public static IPriorityClassifier CreateChain()
    {
        var options = new ResponsePrioritisationOptions();
        Apply(options);
        return PriorityClassifier.Combine(options.DefaultLevel, [new RuleBasedPriorityClassifier(options.Overrides), .. Classifiers]);
    }

    /// <summary>A DCC-scheduled execution is Low (read from the envelope, which overrides cannot match).</summary>
    private sealed class DccScheduledClassifier : IPriorityClassifier
    {
        public bool TryClassify(DuisMessage message, out PriorityLevel level)
        {
            level = PriorityLevel.Low;
            return message.IsDccScheduled;
        }
    }

    /// <summary>Any alert that no override names is Bulk.</summary>
    private sealed class AlertFallbackClassifier : IPriorityClassifier
    {
        public bool TryClassify(DuisMessage message, out PriorityLevel level)
        {
            level = PriorityLevel.Bulk;
            return message.IsAlert;
        }
    }
}
