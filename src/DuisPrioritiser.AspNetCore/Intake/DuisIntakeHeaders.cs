namespace DuisPrioritiser.AspNetCore;

/// <summary>The response headers the receive endpoint sets.</summary>
public static class DuisIntakeHeaders
{
    /// <summary>The level the message was accepted at (<c>Critical</c>, <c>High</c>, <c>Normal</c>, <c>Low</c>, <c>Bulk</c>), on 204 and on a 503 for a message that was read.</summary>
    public const string Priority = "Duis-Priority";

    /// <summary>Set to <c>true</c> on the 204 for a redelivered duplicate that was acknowledged but not enqueued again.</summary>
    public const string Duplicate = "Duis-Duplicate";
}
