using Microsoft.Extensions.Options;

namespace DuisPrioritiser.DependencyInjection.Internal;

/// <summary>Validates the DataAnnotations ranges of <see cref="ResponsePrioritisationOptions"/>; generated at compile time, no reflection.</summary>
[OptionsValidator]
internal sealed partial class ResponsePrioritisationOptionsDataAnnotationsValidator : IValidateOptions<ResponsePrioritisationOptions>
{
}
