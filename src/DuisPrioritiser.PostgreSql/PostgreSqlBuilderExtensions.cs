using DuisPrioritiser.DependencyInjection;
using DuisPrioritiser.PostgreSql;
using DuisPrioritiser.PostgreSql.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DuisPrioritiser;

/// <summary><c>UsePostgreSql</c> on <see cref="IResponsePrioritisationBuilder"/>: the backlog in a PostgreSQL database shared by several instances.</summary>
public static class PostgreSqlBuilderExtensions
{
    /// <summary>
    /// Holds the backlog in PostgreSQL at <paramref name="connectionString"/>, shared by every instance that uses the
    /// same database, <see cref="PostgreSqlBacklogOptions.Schema"/> and <see cref="PostgreSqlBacklogOptions.TablePrefix"/>.
    /// The schema is created or upgraded on start unless <see cref="PostgreSqlBacklogOptions.ApplySchemaOnStart"/> is off.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionString">An Npgsql connection string, for example <c>Host=db;Database=duis;Username=adapter;Password=...</c>.</param>
    /// <param name="configure">Adjusts the options; optional.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="connectionString"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is empty or not a valid connection string.</exception>
    public static IResponsePrioritisationBuilder UsePostgreSql(this IResponsePrioritisationBuilder builder, string connectionString, Action<PostgreSqlBacklogOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException("The PostgreSQL connection string is not valid: " + ex.Message, nameof(connectionString), ex);
        }

        return Register(builder, configure, _ => (NpgsqlDataSource.Create(connectionString), true));
    }

    /// <summary>
    /// Holds the backlog in PostgreSQL through <paramref name="dataSource"/> (which the caller owns and disposes), shared
    /// by every instance that uses the same database, schema and table prefix.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="dataSource">The data source, for example from <c>NpgsqlDataSourceBuilder</c> with your own logging or authentication.</param>
    /// <param name="configure">Adjusts the options; optional.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="dataSource"/> is <see langword="null"/>.</exception>
    public static IResponsePrioritisationBuilder UsePostgreSql(this IResponsePrioritisationBuilder builder, NpgsqlDataSource dataSource, Action<PostgreSqlBacklogOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return Register(builder, configure, _ => (dataSource, false));
    }

    private static IResponsePrioritisationBuilder Register(IResponsePrioritisationBuilder builder, Action<PostgreSqlBacklogOptions>? configure, Func<IServiceProvider, (NpgsqlDataSource DataSource, bool Owned)> dataSource)
    {
        var options = builder.Services.AddOptions<PostgreSqlBacklogOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => o.Validate().Count == 0, "The PostgreSQL backlog options are invalid: call PostgreSqlBacklogOptions.Validate() to see what to fix.");

        // Consolidation of repeated alerts needs the held alerts in this process (an embedded store): refused, not ignored.
        builder.Services.AddOptions<ResponsePrioritisationOptions>().Validate(
            o => o.Traffic?.Consolidation?.IsEnabled != true,
            $"{ResponsePrioritisationOptions.SectionName}:Traffic:Consolidation is on, but the PostgreSQL backlog store does not support consolidation of repeated alerts: " +
            "clear Traffic:Consolidation:Levels and Traffic:Consolidation:AlertCodes, or use the memory store or the file journal.");
        return builder.UseBacklogStore(provider =>
        {
            var (source, owned) = dataSource(provider);
            var prioritisation = provider.GetRequiredService<IOptions<ResponsePrioritisationOptions>>().Value;
            var retention = prioritisation.Deduplication.MaxAge > TimeSpan.Zero ? prioritisation.Deduplication.MaxAge : TimeSpan.FromHours(1);
            return new PostgreSqlBacklogStore(
                source,
                owned,
                provider.GetRequiredService<IOptions<PostgreSqlBacklogOptions>>().Value,
                retention,
                provider.GetService<TimeProvider>(),
                provider.GetService<ILoggerFactory>()?.CreateLogger("DuisPrioritiser.PostgreSql"));
        });
    }
}
