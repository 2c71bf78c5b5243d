using System.Diagnostics.CodeAnalysis;
using DuisPrioritiser.Classification;
using DuisPrioritiser.Draining;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DuisPrioritiser;

/// <summary>Follow-up configuration on <see cref="IResponsePrioritisationBuilder"/>.</summary>
public static class ResponsePrioritisationBuilderExtensions
{
    /// <summary>
    /// Adds a classifier to the chain. Classifiers run after the explicit overrides from options and before the
    /// built-in defaults, in the order they were added; the first that decides wins.
    /// </summary>
    /// <typeparam name="TClassifier">The classifier type, resolved as a singleton.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddClassifier<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TClassifier>(this IResponsePrioritisationBuilder builder)
        where TClassifier : class, IPriorityClassifier
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPriorityClassifier, TClassifier>());
        return builder;
    }

    /// <summary>Adds a classifier instance to the chain (see <see cref="AddClassifier{TClassifier}(IResponsePrioritisationBuilder)"/>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="classifier">The classifier.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddClassifier(this IResponsePrioritisationBuilder builder, IPriorityClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(classifier);
        builder.Services.AddSingleton(classifier);
        return builder;
    }

    /// <summary>Selects a built-in drain policy.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="policy">The policy.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="policy"/> is undefined.</exception>
    public static IResponsePrioritisationBuilder UseDrainPolicy(this IResponsePrioritisationBuilder builder, DrainPolicyKind policy)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!Enum.IsDefined(policy))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "Use StrictPriority or WeightedFair.");
        }

        builder.Services.Configure<ResponsePrioritisationOptions>(options => options.Drain.Policy = policy);
        return builder;
    }

    /// <summary>Uses a custom drain policy instead of the one the options select. The last call wins.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="policy">The policy.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseDrainPolicy(this IResponsePrioritisationBuilder builder, IDrainPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(policy);
        builder.Services.Replace(ServiceDescriptor.Singleton(policy));
        return builder;
    }

    /// <summary>Uses a custom drain policy created from the service provider. The last call wins.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Creates the policy.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseDrainPolicy(this IResponsePrioritisationBuilder builder, Func<IServiceProvider, IDrainPolicy> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.Replace(ServiceDescriptor.Singleton(factory));
        return builder;
    }

    /// <summary>Configures the options in code, after any earlier configuration.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder Configure(this IResponsePrioritisationBuilder builder, Action<ResponsePrioritisationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Sets what a flow is for the levels that release fairly between flows
    /// (<see cref="LevelTrafficOptions.FairQueueing"/>; on for Bulk by default): messages with the same key take turns
    /// as one flow. Without this call the key is the device (<see cref="Duis.DuisMessage.Device"/>). The last call wins.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="selector">The flow key of a message; cheap and free of allocation (it runs on every accepted message of a fair level).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseFlowKey(this IResponsePrioritisationBuilder builder, Func<Duis.DuisMessage, ulong> selector)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(selector);
        builder.Services.Configure<ResponsePrioritisationOptions>(options => options.Traffic.UseFlowKey(selector));
        return builder;
    }
}
