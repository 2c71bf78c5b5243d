using System.Diagnostics.CodeAnalysis;
using DuisPrioritiser.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DuisPrioritiser;

/// <summary>Backlog storage on <see cref="IResponsePrioritisationBuilder"/>: where accepted messages live until acknowledged.</summary>
/// <remarks>
/// Without a call here the scheduler keeps its backlog in memory, or in the file journal when
/// <c>UseFileJournal</c> (or <c>Journal:Directory</c>) is set. An integration package registers its store through
/// these methods, for example <c>DuisPrioritiser.PostgreSql</c>'s <c>UsePostgreSql(...)</c>.
/// </remarks>
public static class ResponsePrioritisationStorageBuilderExtensions
{
    /// <summary>
    /// Holds the backlog in the store <paramref name="factory"/> creates (one per service provider). The scheduler
    /// opens it on start; the service provider owns and disposes it. A later call replaces an earlier one.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Creates the store.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseBacklogStore(this IResponsePrioritisationBuilder builder, Func<IServiceProvider, IBacklogStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.RemoveAll<IBacklogStore>();
        builder.Services.AddSingleton(factory);
        return builder;
    }

    /// <summary>Holds the backlog in a store of type <typeparamref name="TStore"/>, created by the service provider (which owns and disposes it).</summary>
    /// <typeparam name="TStore">The store type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UseBacklogStore<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TStore>(this IResponsePrioritisationBuilder builder)
        where TStore : class, IBacklogStore
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.RemoveAll<IBacklogStore>();
        builder.Services.TryAddSingleton<TStore>();
        builder.Services.AddSingleton<IBacklogStore>(static sp => sp.GetRequiredService<TStore>());
        return builder;
    }
}
