using System.Text.RegularExpressions;
using DuisPrioritiser.Tuning.Internal;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.DependencyInjection.Internal;

/// <summary>
/// Validates the DataAnnotations ranges of <see cref="ResponsePrioritisationOptions"/> (generated at compile time, no
/// reflection) and rewrites each range failure to name the configuration key and the value read:
/// <c>DuisPrioritiser:Traffic:Bulk:MinShare is 0.7: it must be between 0 and 0.5.</c>
/// </summary>
internal sealed partial class ResponsePrioritisationOptionsDataAnnotationsValidator : IValidateOptions<ResponsePrioritisationOptions>
{
    private readonly GeneratedValidator _generated = new();

    public ValidateOptionsResult Validate(string? name, ResponsePrioritisationOptions options)
    {
        var result = _generated.Validate(name, options);
        if (!result.Failed)
        {
            return result;
        }

        SortedDictionary<string, string>? settings = null;
        var failures = new List<string>();
        foreach (var failure in result.Failures ?? [result.FailureMessage])
        {
            var match = RangeFailure().Match(failure);
            if (!match.Success)
            {
                failures.Add(failure);
                continue;
            }

            // "ResponsePrioritisationOptions.Traffic.Bulk.MinShare" -> "Traffic:Bulk:MinShare"
            string path = match.Groups["path"].Value;
            int dot = path.IndexOf('.', StringComparison.Ordinal);
            string key = (dot >= 0 ? path[(dot + 1)..] : path).Replace('.', ':');
            settings ??= OptionsDescription.Flatten(options);
            string read = settings.TryGetValue(key, out var value) ? value : "(not set)";
            failures.Add($"{ResponsePrioritisationOptions.SectionName}:{key} is {read}: it must be between {match.Groups["min"].Value} and {match.Groups["max"].Value}.");
        }

        return ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex(@"The field (?<path>[\w.]+) must be between (?<min>\S+) and (?<max>\S+?)\.?'?\.?$", RegexOptions.CultureInvariant)]
    private static partial Regex RangeFailure();

    /// <summary>The source-generated DataAnnotations validator.</summary>
    [OptionsValidator]
    internal sealed partial class GeneratedValidator : IValidateOptions<ResponsePrioritisationOptions>
    {
    }
}
