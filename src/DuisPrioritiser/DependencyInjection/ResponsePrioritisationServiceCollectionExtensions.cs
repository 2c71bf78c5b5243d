using System.Diagnostics.Metrics;
using DuisPrioritiser.Classification;
using DuisPrioritiser.DependencyInjection.Internal;
using DuisPrioritiser.Draining;
using DuisPrioritiser.Release;
using DuisPrioritiser.Storage;
using DuisPrioritiser.Tuning;
using DuisPrioritiser.Tuning.Internal;
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
        services.TryAddSingleton<PrioritisationTuning>();
        services.TryAddSingleton<IPrioritisationTuning>(static sp =>
        {
            // The scheduler attaches its parts when it is created: create it first.
            sp.GetRequiredService<ResponseReleaseScheduler>();
            return sp.GetRequiredService<PrioritisationTuning>();
        });
        services.TryAddSingleton<Release.Internal.ReleaseGate>();
        services.TryAddSingleton<IReleaseControl>(static sp => sp.GetRequiredService<Release.Internal.ReleaseGate>());
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
        services.AddOptions<ResponsePrioritisationOptions>().Bind(configuration, static binder => binder.ErrorOnUnknownConfiguration = true);
        return builder;
    }

    private static ResponseReleaseScheduler CreateScheduler(IServiceProvider provider)
    {
        var tuning = provider.GetRequiredService<PrioritisationTuning>();
        var options = tuning.Current;
        var timeProvider = provider.GetService<TimeProvider>() ?? TimeProvider.System;

        // The classifier and a built-in policy are read through swappable wrappers, so tuning can replace them while
        // the scheduler runs; a custom policy is the integrator's and is used as given.
        var classifier = new SwappableClassifier(CreateClassifier(provider, options));
        var custom = provider.GetService<IDrainPolicy>();
        var policy = custom is null ? new SwappableDrainPolicy(DrainPolicies.Create(options, timeProvider)) : null;
        var scheduler = new ResponseReleaseScheduler(
            options,
            classifier,
            (IDrainPolicy?)policy ?? custom,
            timeProvider,
            provider.GetService<ILogger<ResponseReleaseScheduler>>(),
            provider.GetService<IMeterFactory>(),
            provider.GetService<IBacklogStore>());
        tuning.Attach(scheduler, classifier, policy, changed => CreateClassifier(provider, changed), timeProvider);
        return scheduler;
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
