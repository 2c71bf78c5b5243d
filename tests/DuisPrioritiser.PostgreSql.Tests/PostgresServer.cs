using System.Diagnostics;
using Npgsql;

namespace DuisPrioritiser.PostgreSql.Tests;

/// <summary>
/// The real PostgreSQL server the tests use, found from <c>DUIS_TEST_POSTGRES</c> (a connection string). CI starts one
/// (<c>.ci/postgres.sh start</c>); locally, without it, the tests are ignored with the command to start one, and in CI
/// (<c>CI=true</c>) they fail, so they can never silently skip there.
/// </summary>
internal static class PostgresServer
{
    public const string HowToStart =
        "No PostgreSQL server for the tests: set DUIS_TEST_POSTGRES to a connection string, or start a throw-away one with "
        + "`eval \"$(.ci/postgres.sh start)\"` from the repository root (stop it with `.ci/postgres.sh stop`).";

    public static string ConnectionString
    {
        get
        {
            var value = Environment.GetEnvironmentVariable("DUIS_TEST_POSTGRES");
            if (!string.IsNullOrWhiteSpace(value))
            {
                return value;
            }

            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(HowToStart + " (CI=true: PostgreSQL tests must run, not skip.)");
            }

            Assert.Ignore(HowToStart);
            return null!;
        }
    }

    /// <summary>
    /// Gets the path of <c>.ci/postgres.sh</c> from <c>DUIS_TEST_POSTGRES_CONTROL</c>; without it the test is ignored
    /// (or fails in CI) with the command to start a server the tests can stop and resume.
    /// </summary>
    public static string ControlScript
    {
        get
        {
            var script = Environment.GetEnvironmentVariable("DUIS_TEST_POSTGRES_CONTROL");
            if (string.IsNullOrWhiteSpace(script))
            {
                if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                {
                    Assert.Fail("DUIS_TEST_POSTGRES_CONTROL is not set: start the server with `.ci/postgres.sh start`, which sets it.");
                }

                Assert.Ignore("This test restarts the server: start it with `eval \"$(.ci/postgres.sh start)\"`, which sets DUIS_TEST_POSTGRES_CONTROL.");
            }

            return script;
        }
    }

    /// <summary>Runs <c>.ci/postgres.sh</c> with <paramref name="verb"/> (restart-immediate, kill-immediate, resume).</summary>
    public static void Control(string verb)
    {
        var script = ControlScript;

        using var process = Process.Start(new ProcessStartInfo(script, verb) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"postgres.sh {verb} did not finish in 90 s.");
        }

        Assert.That(process.ExitCode, Is.Zero, () => $"postgres.sh {verb} failed: {error.Result}");
    }

    /// <summary>A schema name no other test uses.</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N")[..16];

    public static NpgsqlDataSource CreateDataSource(string? connectionString = null) => NpgsqlDataSource.Create(connectionString ?? ConnectionString);

    public static async Task DropSchemaAsync(string schema)
    {
        await using var dataSource = CreateDataSource();
        await using var command = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string sql)
    {
        await using var dataSource = CreateDataSource();
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(string sql)
    {
        await using var dataSource = CreateDataSource();
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
