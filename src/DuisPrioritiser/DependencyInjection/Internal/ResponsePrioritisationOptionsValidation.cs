using Microsoft.Extensions.Options;

namespace DuisPrioritiser.DependencyInjection.Internal;

/// <summary>Runs every options validator, so code that constructs types without DI gets the same guarantees.</summary>
internal static class ResponsePrioritisationOptionsValidation
{
    private static readonly IValidateOptions<ResponsePrioritisationOptions>[] s_validators =
        [new ResponsePrioritisationOptionsDataAnnotationsValidator(), new ResponsePrioritisationOptionsValidator(), new TrafficOptionsValidator()];

    public static void ThrowIfInvalid(ResponsePrioritisationOptions options)
    {
        var failures = new List<string>();
        foreach (var validator in s_validators)
        {
            var result = validator.Validate(Options.DefaultName, options);
            if (result.Failed)
            {
                failures.AddRange(result.Failures ?? [result.FailureMessage]);
            }
        }

        if (failures.Count > 0)
        {
            throw new ArgumentException("Invalid DuisPrioritiser options: " + string.Join(" ", failures), nameof(options));
        }
    }
}
