using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using DuisPrioritiser.DeadLetters;
using DuisPrioritiser.DeadLetters.Internal;
using DuisPrioritiser.Release;
using DuisPrioritiser.Release.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;

namespace DuisPrioritiser;

/// <summary>Registers the hosted release loop (push mode), its resilience pipeline and its dead-letter store on <see cref="IResponsePrioritisationBuilder"/>.</summary>
/// <remarks>
/// <para>Naming: <c>Use…</c> methods <b>replace</b> (the last call wins: one handler, one dead-letter store); <c>Add…</c>
/// methods add to a chain; <c>Configure…</c> methods adjust settings and may be called more than once (applied in order).</para>
/// <para>Registering a handler adds a hosted service that drains the scheduler into it within the in-flight limit
/// (<see cref="ResponsePrioritisationOptions.Pace"/>), through the resilience pipeline
/// (<see cref="ResponsePrioritisationOptions.Release"/>). Without a handler nothing drains automatically: read the
/// scheduler yourself (pull mode, <see cref="IResponseReleaseScheduler.ReadAllAsync"/>).</para>
/// </remarks>
public static class ResponsePrioritisationReleaseBuilderExtensions
{
    /// <summary>
    /// Releases messages to <typeparamref name="THandler"/> from a hosted release loop, replacing any handler registered before.
    /// With <see cref="ServiceLifetime.Scoped"/> (the default) a new DI scope is created per message and the handler is
    /// resolved in it, so it may depend on scoped services such as a <c>DbContext</c>.
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="lifetime">The handler's lifetime: <see cref="ServiceLifetime.Scoped"/> (one per message, default), <see cref="ServiceLifetime.Transient"/> (one per message) or <see cref="ServiceLifetime.Singleton"/> (one, called concurrently).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IResponsePrioritisationBuilder builder, ServiceLifetime lifetime = ServiceLifetime.Scoped)
        where THandler : class, IResponseHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAdd(new ServiceDescriptor(typeof(THandler), typeof(THandler), lifetime));
        var registration = lifetime == ServiceLifetime.Singleton
            ? new ReleaseHandlerRegistration(static sp => sp.GetRequiredService<THandler>())
            : new ReleaseHandlerRegistration(static sp => new ScopedResponseHandler(
                sp.GetRequiredService<IServiceScopeFactory>(),
                static (provider, message, token) => provider.GetRequiredService<THandler>().HandleAsync(message, token)));
        return SetHandler(builder, registration);
    }

    /// <summary>Releases messages to <paramref name="handler"/> (one instance, called concurrently) from a hosted release loop, replacing any handler registered before.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseHandler(this IResponsePrioritisationBuilder builder, IResponseHandler handler)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(handler);
        return SetHandler(builder, new ReleaseHandlerRegistration(_ => handler));
    }

    /// <summary>Releases messages to a delegate from a hosted release loop, replacing any handler registered before. Throw from it to report a failure.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="handler">Handles one released message.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseHandler(this IResponsePrioritisationBuilder builder, Func<ReleasedMessage, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return builder.UseHandler(new DelegateResponseHandler(handler));
    }

    /// <summary>
    /// Releases messages to a delegate that gets the <see cref="IServiceProvider"/> of a new DI scope per message
    /// (resolve scoped services from it), replacing any handler registered before.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="handler">Handles one released message with the message's scope.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseHandler(this IResponsePrioritisationBuilder builder, Func<IServiceProvider, ReleasedMessage, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(handler);
        return SetHandler(builder, new ReleaseHandlerRegistration(sp => new ScopedResponseHandler(sp.GetRequiredService<IServiceScopeFactory>(), handler)));
    }

    /// <summary>The former name of <see cref="UseHandler{THandler}(IResponsePrioritisationBuilder, ServiceLifetime)"/> (as a singleton); it replaces, so use <c>UseHandler</c>.</summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static IResponsePrioritisationBuilder AddHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IResponsePrioritisationBuilder builder)
        where THandler : class, IResponseHandler
        => builder.UseHandler<THandler>(ServiceLifetime.Singleton);

    /// <summary>The former name of <see cref="UseHandler(IResponsePrioritisationBuilder, IResponseHandler)"/>; it replaces, so use <c>UseHandler</c>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static IResponsePrioritisationBuilder AddHandler(this IResponsePrioritisationBuilder builder, IResponseHandler handler) => builder.UseHandler(handler);

    /// <summary>The former name of <see cref="UseHandler(IResponsePrioritisationBuilder, Func{ReleasedMessage, CancellationToken, ValueTask})"/>; it replaces, so use <c>UseHandler</c>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="handler">Handles one released message.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static IResponsePrioritisationBuilder AddHandler(this IResponsePrioritisationBuilder builder, Func<ReleasedMessage, CancellationToken, ValueTask> handler) => builder.UseHandler(handler);

    /// <summary>
    /// Replaces or extends the release loop's Polly pipeline. <paramref name="configure"/> gets an empty builder and a
    /// context: call <see cref="ReleaseResilienceContext.AddStandardStrategies"/> to keep the standard retry, circuit
    /// breaker and time-out (and add your strategies before it to wrap them, after it to run inside them), or build your
    /// own pipeline from its parts. Replaces an earlier call.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Builds the pipeline.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder ConfigureResilience(this IResponsePrioritisationBuilder builder, Action<ResiliencePipelineBuilder, ReleaseResilienceContext> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        GetSetup(builder).Configure = configure;
        return builder;
    }

    /// <summary>
    /// Says which handler failures are transient (retried, returned to the front of their level, counted against the
    /// back-end's circuit breaker) and which are permanent (dead-lettered at once). <see cref="DuisPermanentFailureException"/>
    /// is always permanent; time-outs are always transient. Without this, every other failure is transient.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="isTransient">Returns <see langword="true"/> for a transient failure.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder ClassifyFailures(this IResponsePrioritisationBuilder builder, Func<Exception, bool> isTransient)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(isTransient);
        GetSetup(builder).IsTransient = isTransient;
        return builder;
    }

    /// <summary>Stores dead letters in <typeparamref name="TStore"/> (a singleton), replacing the built-in store.</summary>
    /// <typeparam name="TStore">The store type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseDeadLetterStore<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TStore>(this IResponsePrioritisationBuilder builder)
        where TStore : class, IDeadLetterStore
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IDeadLetterStore, TStore>());
        return builder;
    }

    /// <summary>Stores dead letters in <paramref name="store"/>, replacing the built-in store.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="store">The store.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseDeadLetterStore(this IResponsePrioritisationBuilder builder, IDeadLetterStore store)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(store);
        builder.Services.Replace(ServiceDescriptor.Singleton(store));
        return builder;
    }

    /// <summary>
    /// Hands dead letters to <typeparamref name="TSink"/> (a singleton) instead of the dead-letter store, replacing any
    /// sink registered before. The sink then owns them: <see cref="DeadLetterManager"/> does not see them.
    /// </summary>
    /// <typeparam name="TSink">The sink type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseDeadLetterSink<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSink>(this IResponsePrioritisationBuilder builder)
        where TSink : class, IDeadLetterSink
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IDeadLetterSink, TSink>());
        return builder;
    }

    /// <summary>Hands dead letters to <paramref name="sink"/> instead of the dead-letter store, replacing any sink registered before.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="sink">The sink.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseDeadLetterSink(this IResponsePrioritisationBuilder builder, IDeadLetterSink sink)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(sink);
        builder.Services.Replace(ServiceDescriptor.Singleton(sink));
        return builder;
    }

    /// <summary>The former name of <see cref="UseDeadLetterSink{TSink}(IResponsePrioritisationBuilder)"/>; it replaces, so use <c>UseDeadLetterSink</c>.</summary>
    /// <typeparam name="TSink">The sink type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static IResponsePrioritisationBuilder AddDeadLetterSink<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSink>(this IResponsePrioritisationBuilder builder)
        where TSink : class, IDeadLetterSink
        => builder.UseDeadLetterSink<TSink>();

    /// <summary>The former name of <see cref="UseDeadLetterSink(IResponsePrioritisationBuilder, IDeadLetterSink)"/>; it replaces, so use <c>UseDeadLetterSink</c>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="sink">The sink.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static IResponsePrioritisationBuilder AddDeadLetterSink(this IResponsePrioritisationBuilder builder, IDeadLetterSink sink) => builder.UseDeadLetterSink(sink);

    private static ReleaseResilienceSetup GetSetup(IResponsePrioritisationBuilder builder)
    {
        foreach (var descriptor in builder.Services)
        {
            if (descriptor.ServiceType == typeof(ReleaseResilienceSetup) && descriptor.ImplementationInstance is ReleaseResilienceSetup existing)
            {
                return existing;
            }
        }

        var setup = new ReleaseResilienceSetup();
        builder.Services.AddSingleton(setup);
        return setup;
    }

    private static IResponsePrioritisationBuilder SetHandler(IResponsePrioritisationBuilder builder, ReleaseHandlerRegistration registration)
    {
        builder.Services.Replace(ServiceDescriptor.Singleton(registration));
        builder.Services.TryAddSingleton<IDeadLetterStore>(static sp =>
        {
            var options = sp.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value;
            var time = sp.GetService<TimeProvider>() ?? TimeProvider.System;
            var logger = (ILogger?)sp.GetService<ILoggerFactory>()?.CreateLogger("DuisPrioritiser.DeadLetters") ?? NullLogger.Instance;
            return options.Journal.IsEnabled
                ? new FileDeadLetterStore(Path.Combine(options.Journal.Directory!, "dead-letters"), time, logger)
                : new InMemoryDeadLetterStore(time);
        });
        builder.Services.TryAddSingleton<IDeadLetterSink>(static sp => sp.GetRequiredService<IDeadLetterStore>());
        builder.Services.TryAddSingleton<DeadLetterManager>();
        builder.Services.TryAddSingleton(static sp => new ResponseReleaseService(
            sp.GetRequiredService<IResponseReleaseScheduler>(),
            sp.GetRequiredService<ReleaseHandlerRegistration>().Create(sp),
            sp.GetRequiredService<IDeadLetterSink>(),
            sp.GetRequiredService<IOptions<ResponsePrioritisationOptions>>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<Tuning.Internal.PrioritisationTuning>(),
            sp.GetService<ReleaseGate>(),
            sp.GetService<ReleaseResilienceSetup>()));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ResponseReleaseService>(static sp => sp.GetRequiredService<ResponseReleaseService>()));
        return builder;
    }
}
