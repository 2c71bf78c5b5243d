using System.Globalization;
using Npgsql;

namespace DuisPrioritiser.PostgreSql.Schema;

/// <summary>The versioned schema: embedded migration scripts, applied in order under an advisory lock.</summary>
/// <remarks>
/// Each migration is idempotent (<c>IF NOT EXISTS</c>) and recorded in <c>{prefix}schema_version</c>. Applying takes
/// <c>pg_advisory_xact_lock</c> on a key derived from the schema and prefix, in one transaction, so several instances
/// starting at once apply each version exactly once and the others wait, then see it applied.
/// </remarks>
internal static class PostgreSqlSchema
{
    private static readonly string[] s_migrationNames = ["0001_backlog"];

    /// <summary>Gets the schema version this package creates and expects.</summary>
    public static int LatestVersion => s_migrationNames.Length;

    /// <summary>Returns migration <paramref name="version"/> (1-based) with the names filled in.</summary>
    public static string Render(int version, string schema, string prefix)
    {
        var name = s_migrationNames[version - 1];
        using var stream = typeof(PostgreSqlSchema).Assembly.GetManifestResourceStream($"DuisPrioritiser.PostgreSql.Migrations.{name}.sql")
            ?? throw new InvalidOperationException($"The embedded migration '{name}' is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("{schema}", schema, StringComparison.Ordinal).Replace("{prefix}", prefix, StringComparison.Ordinal);
    }

    /// <summary>Returns the whole script a DBA applies by hand: every migration and the version records.</summary>
    public static string RenderDbaScript(string schema, string prefix)
    {
        var text = new System.Text.StringBuilder();
        text.Append("-- DuisPrioritiser.PostgreSql schema (version ").Append(LatestVersion.ToString(CultureInfo.InvariantCulture))
            .Append(") for schema '").Append(schema).Append("' and table prefix '").Append(prefix).Append("'.\n")
            .Append("-- Generated from the migrations the store runs on start; safe to run more than once.\n")
            .Append("-- Apply with: psql -v ON_ERROR_STOP=1 -f duis-prioritiser-postgresql.sql\n")
            .Append("BEGIN;\n")
            .Append(Preamble(schema, prefix)).Append('\n');
        for (var version = 1; version <= LatestVersion; version++)
        {
            text.Append('\n').Append(Render(version, schema, prefix)).Append('\n')
                .Append(RecordVersion(schema, prefix, version)).Append('\n');
        }

        text.Append("COMMIT;\n");
        return text.ToString();
    }

    /// <summary>Creates or upgrades the schema; safe with several instances at once.</summary>
    /// <exception cref="InvalidOperationException">The database holds a newer schema version than this package knows.</exception>
    public static async Task ApplyAsync(NpgsqlDataSource dataSource, string schema, string prefix, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionScope = transaction.ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock(hashtext('duis_prioritiser.schema:{schema}.{prefix}'))", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, Preamble(schema, prefix), cancellationToken).ConfigureAwait(false);
        var current = await ReadVersionAsync(connection, transaction, schema, prefix, cancellationToken).ConfigureAwait(false);
        ThrowIfNewer(current, schema);
        for (var version = current + 1; version <= LatestVersion; version++)
        {
            await ExecuteAsync(connection, transaction, Render(version, schema, prefix), cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, RecordVersion(schema, prefix, version), cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks that a DBA-applied schema is at the version this package expects.</summary>
    /// <exception cref="InvalidOperationException">The schema is missing, older or newer.</exception>
    public static async Task VerifyAsync(NpgsqlDataSource dataSource, string schema, string prefix, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection);
        await using var existsScope = exists.ConfigureAwait(false);
        exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"{schema}.{prefix}schema_version" });
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            throw new InvalidOperationException($"The schema '{schema}' has no {prefix}schema_version table: apply sql/duis-prioritiser-postgresql.sql from the package, or set ApplySchemaOnStart to true.");
        }

        var current = await ReadVersionAsync(connection, null, schema, prefix, cancellationToken).ConfigureAwait(false);
        ThrowIfNewer(current, schema);
        if (current < LatestVersion)
        {
            throw new InvalidOperationException($"The schema '{schema}' is at version {current}; this package needs version {LatestVersion}: apply the newer sql/duis-prioritiser-postgresql.sql, or set ApplySchemaOnStart to true.");
        }
    }

    private static string Preamble(string schema, string prefix)
        => $"CREATE SCHEMA IF NOT EXISTS {schema};\n"
        + $"CREATE TABLE IF NOT EXISTS {schema}.{prefix}schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());";

    private static string RecordVersion(string schema, string prefix, int version)
        => $"INSERT INTO {schema}.{prefix}schema_version (version) VALUES ({version.ToString(CultureInfo.InvariantCulture)}) ON CONFLICT (version) DO NOTHING;";

    private static void ThrowIfNewer(int current, string schema)
    {
        if (current > LatestVersion)
        {
            throw new InvalidOperationException($"The schema '{schema}' is at version {current}, newer than this package's {LatestVersion}: upgrade DuisPrioritiser.PostgreSql on this instance.");
        }
    }

    private static async Task<int> ReadVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string schema, string prefix, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {schema}.{prefix}schema_version", connection, transaction);
        await using var commandScope = command.ConfigureAwait(false);
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        await using var commandScope = command.ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
