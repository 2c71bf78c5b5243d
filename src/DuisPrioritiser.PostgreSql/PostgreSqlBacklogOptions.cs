using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace DuisPrioritiser.PostgreSql;

/// <summary>Options of the PostgreSQL backlog store that several adapter instances share.</summary>
/// <remarks>
/// The store validates and copies these when it is built (<see cref="Validate"/> states the rules), so later changes
/// have no effect. Every instance that shares one backlog must use the same <see cref="Schema"/> and <see cref="TablePrefix"/>.
/// </remarks>
public sealed partial class PostgreSqlBacklogOptions
{
    /// <summary>Gets or sets the schema that holds the backlog tables; created on start when missing.</summary>
    /// <value>The default value is <c>duis</c>. Lowercase letters, digits and underscores, starting with a letter or underscore, at most 40 characters.</value>
    [Required]
    public string Schema { get; set; } = "duis";

    /// <summary>Gets or sets a prefix for the table names, so several independent backlogs can share one schema.</summary>
    /// <value>The default value is the empty string. Lowercase letters, digits and underscores, at most 20 characters.</value>
    public string TablePrefix { get; set; } = string.Empty;

    /// <summary>Gets or sets how long a claim is held before another instance may take the message.</summary>
    /// <remarks>An instance that is alive renews its leases every third of this time, so only a dead (or cut-off)
    /// instance's claims expire. Longer means a slower failover; shorter means more renewal traffic.</remarks>
    /// <value>The default value is 30 seconds. Between 3 seconds and 1 hour.</value>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the most messages one claim takes from one level.</summary>
    /// <remarks>The release loop never claims more than its free in-flight slots, so this is only an upper bound.</remarks>
    /// <value>The default value is 64. Between 1 and 10,000.</value>
    [Range(1, 10_000)]
    public int ClaimBatchSize { get; set; } = 64;

    /// <summary>Gets or sets how often an idle instance looks at the table when no notification arrives.</summary>
    /// <remarks>Instances are normally woken by <c>LISTEN/NOTIFY</c>; polling is the fallback when a notification is
    /// missed (for example while the listening connection reconnects).</remarks>
    /// <value>The default value is 1 second. Between 10 milliseconds and 5 minutes.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the most accepts grouped into one transaction (group commit).</summary>
    /// <value>The default value is 1,000. Between 1 and 50,000.</value>
    [Range(1, 50_000)]
    public int MaxGroupCommitSize { get; set; } = 1_000;

    /// <summary>Gets or sets a value indicating whether the schema is created or upgraded on start.</summary>
    /// <remarks>Set <see langword="false"/> when a DBA applies <c>sql/duis-prioritiser-postgresql.sql</c> (shipped in the
    /// package); the store then checks the schema version on start and refuses to run against an older one.</remarks>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ApplySchemaOnStart { get; set; } = true;

    /// <summary>Copies every setting from <paramref name="source"/>.</summary>
    /// <param name="source">The options to copy.</param>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is <see langword="null"/>.</exception>
    public void CopyFrom(PostgreSqlBacklogOptions source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Schema = source.Schema;
        TablePrefix = source.TablePrefix;
        LeaseTime = source.LeaseTime;
        ClaimBatchSize = source.ClaimBatchSize;
        PollInterval = source.PollInterval;
        MaxGroupCommitSize = source.MaxGroupCommitSize;
        ApplySchemaOnStart = source.ApplySchemaOnStart;
    }

    /// <summary>Checks the options and returns what is wrong, or an empty list.</summary>
    /// <returns>One sentence per problem, each saying what to fix.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Schema) || Schema.Length > 40 || !IdentifierPattern().IsMatch(Schema))
        {
            errors.Add($"Schema '{Schema}' is not usable: use 1 to 40 lowercase letters, digits or underscores, starting with a letter or underscore.");
        }

        if (TablePrefix is null || TablePrefix.Length > 20 || (TablePrefix.Length > 0 && !PrefixPattern().IsMatch(TablePrefix)))
        {
            errors.Add($"TablePrefix '{TablePrefix}' is not usable: use up to 20 lowercase letters, digits or underscores.");
        }

        if (LeaseTime < TimeSpan.FromSeconds(3) || LeaseTime > TimeSpan.FromHours(1))
        {
            errors.Add($"LeaseTime {LeaseTime} is out of range: use between 3 seconds and 1 hour.");
        }

        if (ClaimBatchSize is < 1 or > 10_000)
        {
            errors.Add($"ClaimBatchSize {ClaimBatchSize} is out of range: use between 1 and 10,000.");
        }

        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add($"PollInterval {PollInterval} is out of range: use between 10 milliseconds and 5 minutes.");
        }

        if (MaxGroupCommitSize is < 1 or > 50_000)
        {
            errors.Add($"MaxGroupCommitSize {MaxGroupCommitSize} is out of range: use between 1 and 50,000.");
        }

        return errors;
    }

    internal PostgreSqlBacklogOptions ValidatedCopy()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("The PostgreSQL backlog options are invalid: " + string.Join(" ", errors), "options");
        }

        var copy = new PostgreSqlBacklogOptions();
        copy.CopyFrom(this);
        return copy;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[a-z0-9_]+$", RegexOptions.CultureInvariant)]
    private static partial Regex PrefixPattern();
}
