using DuisPrioritiser.Deduplication;
using DuisPrioritiser.Journal;
using Microsoft.Extensions.DependencyInjection;

namespace DuisPrioritiser;

/// <summary>Durability configuration on <see cref="IResponsePrioritisationBuilder"/>: the journal and duplicate suppression.</summary>
public static class ResponsePrioritisationJournalBuilderExtensions
{
    /// <summary>
    /// Turns on the durable file journal in <paramref name="directory"/>: <c>EnqueueAsync</c> completes only once the
    /// message is on disk, acknowledged messages are marked complete, and a restart on the same directory recovers
    /// every accepted message not yet completed, at its level and in its order, before new work.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="directory">The journal directory, created if missing; use one directory per scheduler.</param>
    /// <param name="configure">Optionally configures the flush policy, batching, segment size and corruption handling.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="directory"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty or white space.</exception>
    public static IResponsePrioritisationBuilder UseFileJournal(this IResponsePrioritisationBuilder builder, string directory, Action<JournalOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        builder.Services.Configure<ResponsePrioritisationOptions>(options =>
        {
            options.Journal.Directory = directory;
            configure?.Invoke(options.Journal);
        });
        return builder;
    }

    /// <summary>Configures duplicate suppression (on by default), or turns it off with <c>o =&gt; o.Enabled = false</c>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder ConfigureDeduplication(this IResponsePrioritisationBuilder builder, Action<DeduplicationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure<ResponsePrioritisationOptions>(options => configure(options.Deduplication));
        return builder;
    }
}
