using System.Diagnostics.CodeAnalysis;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace DuisPrioritiser;

/// <summary>Registers the hosted release loop (push mode) on <see cref="IResponsePrioritisationBuilder"/>.</summary>
/// <remarks>
/// Registering a handler adds a hosted service that drains the scheduler into it within the in-flight limit
/// (<see cref="ResponsePrioritisationOptions.Pace"/>), with retries and dead-lettering
/// (<see cref="ResponsePrioritisationOptions.Release"/>). Without a handler nothing drains automatically: read the
/// scheduler yourself (pull mode, <see cref="IResponseReleaseScheduler.ReadAllAsync"/>). The last handler registered wins.
/// </remarks>
public static class ResponsePrioritisationReleaseBuilderExtensions
{
    /// <summary>Releases messages to <typeparamref name="THandler"/> (a singleton) from a hosted release loop.</summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IResponsePrioritisationBuilder builder)
        where THandler : class, IResponseHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IResponseHandler, THandler>());
        return AddReleaseLoop(builder);
    }

    /// <summary>Releases messages to <paramref name="handler"/> from a hosted release loop.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddHandler(this IResponsePrioritisationBuilder builder, IResponseHandler handler)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(handler);
        builder.Services.Replace(ServiceDescriptor.Singleton(handler));
        return AddReleaseLoop(builder);
    }

    /// <summary>Releases messages to a delegate from a hosted release loop. Throw from it to report a failure.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="handler">Handles one released message.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddHandler(this IResponsePrioritisationBuilder builder, Func<ReleasedMessage, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return builder.AddHandler(new DelegateResponseHandler(handler));
    }

    /// <summary>Hands messages that cannot be handled to <typeparamref name="TSink"/> (a singleton) instead of the default, which logs them at error level.</summary>
    /// <typeparam name="TSink">The sink type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddDeadLetterSink<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSink>(this IResponsePrioritisationBuilder builder)
        where TSink : class, IDeadLetterSink
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IDeadLetterSink, TSink>());
        return builder;
    }

    /// <summary>Hands messages that cannot be handled to <paramref name="sink"/> instead of the default, which logs them at error level.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="sink">The sink.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder AddDeadLetterSink(this IResponsePrioritisationBuilder builder, IDeadLetterSink sink)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(sink);
        builder.Services.Replace(ServiceDescriptor.Singleton(sink));
        return builder;
    }

    private static IResponsePrioritisationBuilder AddReleaseLoop(IResponsePrioritisationBuilder builder)
    {
        builder.Services.TryAddSingleton<IDeadLetterSink, LoggingDeadLetterSink>();
        builder.Services.TryAddSingleton<ResponseReleaseService>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ResponseReleaseService>(static sp => sp.GetRequiredService<ResponseReleaseService>()));
        return builder;
    }
}
