using System.Diagnostics.Metrics;
using DuisPrioritiser.Classification;
using DuisPrioritiser.DependencyInjection.Internal;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DuisPrioritiser;

/// <summary>Registers DuisPrioritiser in an <see cref="IServiceCollection"/>.</summary>
public static class ResponsePrioritisationServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="IResponseReleaseScheduler"/> and its options (validated at start). Safe to call more
    /// than once: services are added once, and each call's configuration is applied in order.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder for further configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddResponsePrioritisation(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(static d => d.ServiceType == typeof(ResponsePrioritisationMarker)))
        {
            return new ResponsePrioritisationBuilder(services);
        }

        services.AddSingleton<ResponsePrioritisationMarker>();
        services.AddOptions<ResponsePrioritisationOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResponsePrioritisationOptions>, ResponsePrioritisationOptionsDataAnnotationsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResponsePrioritisationOptions>, ResponsePrioritisationOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResponsePrioritisationOptions>, TrafficOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(CreateScheduler);
        services.TryAddSingleton<IResponseReleaseScheduler>(static sp => sp.GetRequiredService<ResponseReleaseScheduler>());
        services.TryAddSingleton<IRecoveryControl>(static sp => sp.GetRequiredService<ResponseReleaseScheduler>());
        return new ResponsePrioritisationBuilder(services);
    }

    /// <summary>Registers DuisPrioritiser and configures its options in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>A builder for further configuration.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddResponsePrioritisation(this IServiceCollection services, Action<ResponsePrioritisationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = services.AddResponsePrioritisation();
        services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Registers DuisPrioritiser and binds its options from <paramref name="configuration"/>, typically
    /// <c>configuration.GetSection("DuisPrioritiser")</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration section to bind.</param>
    /// <returns>A builder for further configuration.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddResponsePrioritisation(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddResponsePrioritisation();
        services.AddOptions<ResponsePrioritisationOptions>().Bind(configuration);
        return builder;
    }

    private static ResponseReleaseScheduler CreateScheduler(IServiceProvider provider)
    {
        var options = provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value;
        var timeProvider = provider.GetService<TimeProvider>();
        return new ResponseReleaseScheduler(
            options,
            CreateClassifier(provider, options),
            provider.GetService<IDrainPolicy>() ?? DrainPolicies.Create(options, timeProvider),
            timeProvider,
            provider.GetService<ILogger<ResponseReleaseScheduler>>(),
            provider.GetService<IMeterFactory>(),
            provider.GetService<IBacklogStore>());
    }

    /// <summary>
    /// Explicit overrides first, then the integrator's classifiers in registration order, then the built-in DUIS
    /// defaults, then the default level.
    /// </summary>
    internal static IPriorityClassifier CreateClassifier(IServiceProvider provider, ResponsePrioritisationOptions options)
    {
        var chain = new List<IPriorityClassifier>();
        if (!options.Overrides.IsEmpty)
        {
            chain.Add(new RuleBasedPriorityClassifier(options.Overrides));
        }

        chain.AddRange(provider.GetServices<IPriorityClassifier>());
        chain.Add(DuisDefaultPriorityClassifier.Instance);
        return PriorityClassifier.Combine(options.DefaultLevel, chain);
    }
}
