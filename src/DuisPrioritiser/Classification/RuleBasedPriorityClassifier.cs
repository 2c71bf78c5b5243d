using System.Collections.Frozen;
using DuisPrioritiser.Duis;

namespace DuisPrioritiser.Classification;

/// <summary>
/// A classifier driven by explicit rules: exact SRVs, SRV prefixes (<c>4.6.*</c>), alert codes and DCC Alert
/// payload names, as configured in <see cref="PriorityOverrideOptions"/>.
/// </summary>
/// <remarks>
/// The rules are validated and copied when the classifier is constructed, so later changes to the options
/// object have no effect. Lookups are allocation-free and the instance is thread-safe.
/// Order of precedence: for a message with an SRV, exact SRV, then the two-component prefix, then the
/// one-component prefix; for an alert, the alert code, then the DCC Alert payload name.
/// </remarks>
public sealed class RuleBasedPriorityClassifier : IPriorityClassifier
{
    private readonly FrozenDictionary<ServiceReferenceVariant, PriorityLevel> _exact;
    private readonly FrozenDictionary<int, PriorityLevel> _twoComponentPrefixes;
    private readonly FrozenDictionary<int, PriorityLevel> _oneComponentPrefixes;
    private readonly FrozenDictionary<DuisCode, PriorityLevel> _alertCodes;
    private readonly FrozenDictionary<string, PriorityLevel> _payloads;

    /// <summary>Initialises the classifier from <paramref name="rules"/>.</summary>
    /// <param name="rules">The rules.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rules"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A rule key is malformed or a level is undefined; the message names the rule.</exception>
    public RuleBasedPriorityClassifier(PriorityOverrideOptions rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var errors = GetValidationErrors(rules, "Overrides");
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(rules));
        }

        var exact = new Dictionary<ServiceReferenceVariant, PriorityLevel>();
        var two = new Dictionary<int, PriorityLevel>();
        var one = new Dictionary<int, PriorityLevel>();
        foreach (var (key, level) in rules.ServiceReferenceVariants)
        {
            var pattern = SrvPattern.Parse(key);
            switch (pattern.Kind)
            {
                case SrvPatternKind.Exact:
                    exact[pattern.Srv] = level;
                    break;
                case SrvPatternKind.TwoComponentPrefix:
                    two[(pattern.Srv.Major << 16) | pattern.Srv.Minor] = level;
                    break;
                default:
                    one[pattern.Major] = level;
                    break;
            }
        }

        _exact = exact.ToFrozenDictionary();
        _twoComponentPrefixes = two.ToFrozenDictionary();
        _oneComponentPrefixes = one.ToFrozenDictionary();
        _alertCodes = rules.AlertCodes.ToFrozenDictionary(pair => DuisCode.Parse(pair.Key.Trim()), pair => pair.Value);
        _payloads = rules.DccAlertPayloads.ToFrozenDictionary(pair => pair.Key.Trim(), pair => pair.Value, StringComparer.Ordinal);
    }

    /// <summary>Gets the number of rules.</summary>
    public int RuleCount => _exact.Count + _twoComponentPrefixes.Count + _oneComponentPrefixes.Count + _alertCodes.Count + _payloads.Count;

    /// <inheritdoc />
    public bool TryClassify(DuisMessage message, out PriorityLevel level)
    {
        ArgumentNullException.ThrowIfNull(message);
        var srv = message.ServiceReferenceVariant;
        if (!srv.IsNone)
        {
            if (_exact.TryGetValue(srv, out level))
            {
                return true;
            }

            if (srv.ComponentCount == 3 && _twoComponentPrefixes.TryGetValue((srv.Major << 16) | srv.Minor, out level))
            {
                return true;
            }

            if (_oneComponentPrefixes.TryGetValue(srv.Major, out level))
            {
                return true;
            }
        }

        if (!message.AlertCode.IsNone && _alertCodes.TryGetValue(message.AlertCode, out level))
        {
            return true;
        }

        if (message.DccAlertPayloadName is { } payload && _payloads.TryGetValue(payload, out level))
        {
            return true;
        }

        level = default;
        return false;
    }

    /// <summary>Lists what is wrong with <paramref name="rules"/>, each entry saying what to fix.</summary>
    internal static List<string> GetValidationErrors(PriorityOverrideOptions rules, string path)
    {
        var errors = new List<string>();
        foreach (var (key, level) in rules.ServiceReferenceVariants)
        {
            if (!SrvPattern.TryParse(key, out _))
            {
                errors.Add($"{path}:ServiceReferenceVariants key '{key}' is not an SRV ('8.1.1', '11.2') or an SRV prefix ('4.6.*', '4.*').");
            }

            AddLevelError(errors, level, $"{path}:ServiceReferenceVariants:{key}");
        }

        foreach (var (key, level) in rules.AlertCodes)
        {
            if (!DuisCode.TryParse(key?.Trim(), out _))
            {
                errors.Add($"{path}:AlertCodes key '{key}' is not an alert code: use 1 to {DuisCode.MaxLength} letters or digits such as '8F0F' or 'N24'.");
            }

            AddLevelError(errors, level, $"{path}:AlertCodes:{key}");
        }

        foreach (var (key, level) in rules.DccAlertPayloads)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                errors.Add($"{path}:DccAlertPayloads has an empty key: use the local name of the DCCAlert payload element, such as 'PowerOutageEvent'.");
            }

            AddLevelError(errors, level, $"{path}:DccAlertPayloads:{key}");
        }

        return errors;
    }

    private static void AddLevelError(List<string> errors, PriorityLevel level, string path)
    {
        if (!PriorityLevels.IsDefined(level))
        {
            errors.Add($"{path} has undefined level '{level}': use Critical, High, Normal, Low or Bulk.");
        }
    }

    private enum SrvPatternKind
    {
        Exact,
        TwoComponentPrefix,
        OneComponentPrefix,
    }

    private readonly record struct SrvPattern(SrvPatternKind Kind, ServiceReferenceVariant Srv, int Major)
    {
        public static SrvPattern Parse(string key)
        {
            if (!TryParse(key, out var pattern))
            {
                throw new FormatException($"'{key}' is not an SRV or SRV prefix.");
            }

            return pattern;
        }

        public static bool TryParse(string? key, out SrvPattern pattern)
        {
            pattern = default;
            if (key is null)
            {
                return false;
            }

            var text = key.AsSpan().Trim();
            if (!text.EndsWith(".*", StringComparison.Ordinal))
            {
                if (ServiceReferenceVariant.TryParse(text, out var exact))
                {
                    pattern = new SrvPattern(SrvPatternKind.Exact, exact, exact.Major);
                    return true;
                }

                return false;
            }

            var stem = text[..^2];
            if (ServiceReferenceVariant.TryParse(stem, out var prefix))
            {
                if (prefix.ComponentCount != 2)
                {
                    return false;
                }

                pattern = new SrvPattern(SrvPatternKind.TwoComponentPrefix, prefix, prefix.Major);
                return true;
            }

            // One component: reuse the SRV grammar by parsing "n.0".
            Span<char> probe = stackalloc char[8];
            if (stem.Length is 0 or > 4 || !stem.TryCopyTo(probe))
            {
                return false;
            }

            probe[stem.Length] = '.';
            probe[stem.Length + 1] = '0';
            if (!ServiceReferenceVariant.TryParse(probe[..(stem.Length + 2)], out var single))
            {
                return false;
            }

            pattern = new SrvPattern(SrvPatternKind.OneComponentPrefix, default, single.Major);
            return true;
        }
    }
}
