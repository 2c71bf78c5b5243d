using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser.DependencyInjection.Internal;

/// <summary>Cross-field and format rules that DataAnnotations cannot express.</summary>
internal sealed class ResponsePrioritisationOptionsValidator : IValidateOptions<ResponsePrioritisationOptions>
{
    public ValidateOptionsResult Validate(string? name, ResponsePrioritisationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!PriorityLevels.IsDefined(options.DefaultLevel))
        {
            errors.Add($"{ResponsePrioritisationOptions.SectionName}:DefaultLevel '{options.DefaultLevel}' is undefined: use Critical, High, Normal, Low or Bulk.");
        }

        if (options.Drain is null)
        {
            errors.Add($"{ResponsePrioritisationOptions.SectionName}:Drain must not be null.");
        }
        else if (!Enum.IsDefined(options.Drain.Policy))
        {
            errors.Add($"{ResponsePrioritisationOptions.SectionName}:Drain:Policy '{options.Drain.Policy}' is undefined: use StrictPriority or WeightedFair.");
        }

        if (options.Health is { } health && health.CriticalWaitDegradedAfter <= TimeSpan.Zero)
        {
            errors.Add($"{ResponsePrioritisationOptions.SectionName}:Health:CriticalWaitDegradedAfter is {health.CriticalWaitDegradedAfter.ToString("c", System.Globalization.CultureInfo.InvariantCulture)}: it must be positive, such as '00:01:00'.");
        }

        if (options.Health is { } storeHealth && storeHealth.UnhealthyAfterStoreUnavailableFor <= TimeSpan.Zero)
        {
            errors.Add($"{ResponsePrioritisationOptions.SectionName}:Health:UnhealthyAfterStoreUnavailableFor is {storeHealth.UnhealthyAfterStoreUnavailableFor.ToString("c", System.Globalization.CultureInfo.InvariantCulture)}: it must be positive, such as '00:01:00'.");
        }

        errors.AddRange(RuleBasedPriorityClassifier.GetValidationErrors(options.Overrides, $"{ResponsePrioritisationOptions.SectionName}:Overrides"));
        errors.AddRange(Journal.JournalOptions.GetValidationErrors(options.Journal, $"{ResponsePrioritisationOptions.SectionName}:Journal"));
        errors.AddRange(Deduplication.DeduplicationOptions.GetValidationErrors(options.Deduplication, $"{ResponsePrioritisationOptions.SectionName}:Deduplication"));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
