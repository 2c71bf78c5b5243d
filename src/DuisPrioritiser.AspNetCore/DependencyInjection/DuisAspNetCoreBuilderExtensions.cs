using DuisPrioritiser.AspNetCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DuisPrioritiser;

/// <summary>Configures the ASP.NET Core integration on <see cref="IResponsePrioritisationBuilder"/>.</summary>
public static class DuisAspNetCoreBuilderExtensions
{
    /// <summary>Configures the receive endpoint (<see cref="DuisIntakeOptions"/>) in code; validated at start.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddDuisIntake(this IResponsePrioritisationBuilder builder, Action<DuisIntakeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<DuisIntakeOptions>().Configure(configure).ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// Binds the receive endpoint's options (<see cref="DuisIntakeOptions"/>) from <paramref name="configuration"/>,
    /// typically <c>configuration.GetSection("DuisIntake")</c>; validated at start.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddDuisIntake(this IResponsePrioritisationBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<DuisIntakeOptions>().Bind(configuration, static binder => binder.ErrorOnUnknownConfiguration = true).ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }
}
